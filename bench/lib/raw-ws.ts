/**
 * A minimal WebSocket client over Bun.connect for the fan-out listeners: one JavaScript call per
 * TCP read instead of one MessageEvent (and one decoded string) per frame, so 100,000 frames/s
 * cost the load generator little and the latency measured is mostly the server's.
 *
 * Enough of RFC 6455 for a benchmark: text frames from the server (unmasked, unfragmented, 7/16/64-bit
 * lengths), masked text frames and a close frame from the client, pings answered with pongs.
 * No extensions are offered, so the server never compresses.
 */
import type { Socket } from 'bun'

export interface RawHandlers {
  /** A whole text frame; `payload` is a view into the read buffer, valid only during the call. */
  onText(payload: Uint8Array): void
  onOpen(): void
  onClose(): void
}

export interface RawSocket {
  send(text: string): void
  close(): void
}

const encoder = new TextEncoder()
const HEADER_END = encoder.encode('\r\n\r\n')

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(needle, from)
}

/** A client frame: FIN + opcode, the MASK bit and length, a mask key, the masked payload. */
function frame(opcode: number, payload: Uint8Array): Uint8Array {
  const length = payload.byteLength
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10
  const out = new Uint8Array(header + 4 + length)
  out[0] = 0x80 | opcode
  if (header === 2) out[1] = 0x80 | length
  else if (header === 4) {
    out[1] = 0x80 | 126
    out[2] = length >> 8
    out[3] = length & 0xff
  } else {
    out[1] = 0x80 | 127
    new DataView(out.buffer).setBigUint64(2, BigInt(length))
  }
  const mask = crypto.getRandomValues(new Uint8Array(4))
  out.set(mask, header)
  for (let i = 0; i < length; i++) out[header + 4 + i] = payload[i]! ^ mask[i & 3]!
  return out
}

export function openRaw(url: string, handlers: RawHandlers): RawSocket {
  const target = new URL(url)
  let upgraded = false
  let closed = false
  let pending: Uint8Array = new Uint8Array(0)
  let socket: Socket<undefined> | null = null
  const outbox: Uint8Array[] = []

  const write = (bytes: Uint8Array) => {
    if (socket && upgraded) socket.write(bytes)
    else outbox.push(bytes)
  }
  const finish = () => {
    if (closed) return
    closed = true
    handlers.onClose()
  }

  /** Consumes whole frames from `data`; returns the bytes of an unfinished frame, if any. */
  const readFrames = (data: Uint8Array): Uint8Array => {
    let at = 0
    while (data.byteLength - at >= 2) {
      const opcode = data[at]! & 0x0f
      let length = data[at + 1]! & 0x7f
      let start = at + 2
      if (length === 126) {
        if (data.byteLength - at < 4) break
        length = (data[at + 2]! << 8) | data[at + 3]!
        start = at + 4
      } else if (length === 127) {
        if (data.byteLength - at < 10) break
        length = Number(new DataView(data.buffer, data.byteOffset + at + 2, 8).getBigUint64(0))
        start = at + 10
      }
      if (data.byteLength < start + length) break
      const payload = data.subarray(start, start + length)
      if (opcode === 0x1) handlers.onText(payload)
      else if (opcode === 0x9) socket?.write(frame(0xa, payload))
      else if (opcode === 0x8) {
        socket?.end()
        finish()
        return new Uint8Array(0)
      }
      at = start + length
    }
    return at === data.byteLength ? new Uint8Array(0) : data.slice(at)
  }

  void Bun.connect({
    hostname: target.hostname,
    port: Number(target.port || 80),
    socket: {
      open(s) {
        socket = s
        const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64')
        s.write(`GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`)
      },
      data(_s, chunk) {
        let data: Uint8Array = pending.byteLength ? Buffer.concat([pending, chunk]) : chunk
        if (!upgraded) {
          const end = indexOf(data, HEADER_END)
          if (end < 0) {
            pending = data.slice()
            return
          }
          const status = new TextDecoder().decode(data.subarray(0, 12))
          if (!status.startsWith('HTTP/1.1 101')) {
            socket?.end()
            return finish()
          }
          upgraded = true
          for (const bytes of outbox.splice(0)) socket!.write(bytes)
          handlers.onOpen()
          data = data.subarray(end + HEADER_END.byteLength)
        }
        pending = readFrames(data)
      },
      close: finish,
      error: finish,
      connectError: finish,
    },
  }).catch(finish)

  return {
    send: (text) => write(frame(0x1, encoder.encode(text))),
    close: () => {
      if (!closed && socket) socket.write(frame(0x8, new Uint8Array(0)))
      socket?.end()
      finish()
    },
  }
}
