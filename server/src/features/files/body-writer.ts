import { open } from 'node:fs/promises'
import { PayloadTooLargeError } from '../../errors'
import { SNIFF_BYTES } from './sniff'

export interface WriteOptions {
  /** Where in the file the body's first byte goes. */
  position: number
  /** The most bytes this body may carry; one more byte answers 413. */
  maxBytes: number
  /** Sees the first bytes of the file once SNIFF_BYTES arrived (or the body ended); may throw to refuse, or return a lower limit. */
  onHead?: (head: Uint8Array, complete: boolean) => number | void
}

export interface WriteResult {
  written: number
  /** The client went away mid-body; `written` bytes did land. */
  interrupted: boolean
  head: Uint8Array
}

/**
 * Streams a request body into a file chunk by chunk (memory stays at one chunk whatever the size),
 * counting bytes as they arrive so a limit trips before the rest is read.
 */
export async function writeBody(body: ReadableStream<Uint8Array> | null, path: string, options: WriteOptions): Promise<WriteResult> {
  const handle = await open(path, options.position === 0 ? 'w' : 'r+')
  let written = 0
  let limit = options.maxBytes
  let head: Uint8Array = new Uint8Array(0)
  let headSeen = !options.onHead
  const tooLarge = () => new PayloadTooLargeError(`The file is larger than ${limit} bytes`, { details: { limitBytes: limit } })
  const sawHead = (complete: boolean) => {
    headSeen = true
    const lower = options.onHead!(head, complete)
    if (typeof lower === 'number') limit = Math.min(limit, lower)
    if (written > limit) throw tooLarge()
  }
  const reader = body?.getReader()
  try {
    if (!reader) {
      if (!headSeen) sawHead(true)
      return { written, interrupted: false, head }
    }
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>
      try {
        chunk = await reader.read()
      } catch {
        return { written, interrupted: true, head }
      }
      if (chunk.done) break
      const value = chunk.value
      if (written + value.byteLength > limit) throw tooLarge()
      if (head.length < SNIFF_BYTES) head = concat(head, value.subarray(0, SNIFF_BYTES - head.length))
      await handle.write(value, 0, value.byteLength, options.position + written)
      written += value.byteLength
      if (!headSeen && head.length >= SNIFF_BYTES) sawHead(false)
    }
    if (!headSeen) sawHead(true)
    return { written, interrupted: false, head }
  } catch (error) {
    // @NOTE: the answer is the error either way; a failed cancel of the rest of the body changes nothing.
    await reader?.cancel().catch(() => {})
    throw error
  } finally {
    await handle.close()
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}
