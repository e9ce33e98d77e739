import { open, rm, stat } from 'node:fs/promises'
import { PayloadTooLargeError } from '../../errors'
import { SNIFF_BYTES } from './sniff'

/** Copy buffers, reused across chunks: the copy into the staging file allocates nothing per chunk. */
const COPY_BUFFER_BYTES = 1024 * 1024
const idleBuffers: Uint8Array[] = []

export interface ReceivedChunk {
  written: number
  /** The client went away mid-body; `written` bytes did land. */
  interrupted: boolean
}

const tooLarge = (limit: number) => new PayloadTooLargeError(`The file is larger than ${limit} bytes`, { details: { limitBytes: limit } })

/**
 * Writes a request body to `path` inside Bun (`Bun.write` of a Response over the body stream): no
 * JavaScript buffer is made per piece, so nothing waits for the garbage collector and RSS stays flat
 * at any upload size (a JS reader loop left ~128 KiB of garbage per piece: +94 MB over a 500 MB
 * upload). A body over `maxBytes` is refused before reading when its length is declared, otherwise
 * once written (the server's body limit bounds it); the file is removed then.
 */
export async function receiveBody(body: ReadableStream<Uint8Array> | null, path: string, maxBytes: number, declaredBytes: number | null): Promise<ReceivedChunk> {
  if (declaredBytes !== null && declaredBytes > maxBytes) throw tooLarge(maxBytes)
  if (!body) {
    await Bun.write(path, '')
    return { written: 0, interrupted: false }
  }
  let interrupted = false
  try {
    await Bun.write(path, new Response(body))
  } catch (error) {
    // A dropped connection rejects, and what arrived is in the file: kept, as the protocol promises.
    if ((error as Error).name !== 'AbortError') {
      await rm(path, { force: true })
      throw error
    }
    interrupted = true
  }
  const written = await stat(path).then((s) => s.size, () => 0)
  if (written > maxBytes) {
    await rm(path, { force: true })
    throw tooLarge(maxBytes)
  }
  return { written, interrupted }
}

/** The first SNIFF_BYTES of a file (fewer when it is shorter). */
export async function readHead(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r')
  try {
    const head = new Uint8Array(SNIFF_BYTES)
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0)
    return head.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

/** Copies all of `source` into `target` at `position` through a reused buffer. */
export async function appendAt(source: string, target: string, position: number): Promise<number> {
  const buffer = idleBuffers.pop() ?? new Uint8Array(COPY_BUFFER_BYTES)
  const input = await open(source, 'r')
  try {
    const output = await open(target, position === 0 ? 'w' : 'r+')
    try {
      let copied = 0
      for (;;) {
        const { bytesRead } = await input.read(buffer, 0, buffer.length, copied)
        if (bytesRead === 0) return copied
        await output.write(buffer, 0, bytesRead, position + copied)
        copied += bytesRead
      }
    } finally {
      await output.close()
    }
  } finally {
    await input.close()
    idleBuffers.push(buffer)
  }
}
