/**
 * A process holding many listening sockets for bench/ws-fanout.ts, so the clients' CPU is not the
 * benchmark process's and not the server's. Speaks JSON lines (bench/lib/line-worker.ts):
 *
 *   env: LISTEN_URL, LISTEN_PROTOCOL (parley | socketio), TOKENS_FILE (JSON array of access tokens)
 *   out: { event: 'connected', ready, failed }      once every socket is signed in (or failed)
 *   in:  { cmd: 'count' }                           → { ready, closed, counts: { [phase]: n } }
 *   in:  { cmd: 'take', phase }                     → { count, lastMs, latencies: [ms…] } (and forgets them)
 *
 * Both protocols are read the same cheap way (a marker search, no JSON.parse), so the listener
 * side costs the same against either server: the figures compare servers, not client libraries.
 * LISTEN_CLIENT=raw (the default) reads frames straight off TCP (bench/lib/raw-ws.ts: one call per
 * read, no string per frame); LISTEN_CLIENT=websocket uses Bun's WebSocket (one event per frame).
 * Socket.IO is spoken as raw Engine.IO v4 frames: `0{…}` open → `40{auth}` → `40{sid}`; `2` ping → `3` pong; `42[…]` events.
 */
import { readFileSync } from 'node:fs'
import { nowMs } from './latency'
import { openRaw } from './raw-ws'

const url = process.env.LISTEN_URL!
const protocol = process.env.LISTEN_PROTOCOL as 'parley' | 'socketio'
const tokens = JSON.parse(readFileSync(process.env.TOKENS_FILE!, 'utf8')) as string[]
const CONNECT_CONCURRENCY = 64
const CONNECT_TIMEOUT_MS = 120_000
const MARKER = 'bench:t='
const MARKER_BYTES = Buffer.from(MARKER)
const client = (process.env.LISTEN_CLIENT ?? 'raw') as 'raw' | 'websocket'

interface PhaseStats {
  count: number
  lastMs: number
  latencies: number[]
}
const phases = new Map<number, PhaseStats>()
const sockets: WebSocket[] = []
let ready = 0
let failed = 0
let closed = 0

function record(data: string): void {
  const at = data.indexOf(MARKER)
  if (at < 0) return
  const received = nowMs()
  const end = data.indexOf(':p=', at)
  const sentMs = Number(data.slice(at + MARKER.length, end))
  const phase = Number(data.slice(end + 3, data.indexOf(':', end + 3)))
  let stats = phases.get(phase)
  if (!stats) phases.set(phase, (stats = { count: 0, lastMs: 0, latencies: [] }))
  stats.count++
  stats.lastMs = received
  stats.latencies.push(received - sentMs)
}

/** The same as `record`, for a frame still in bytes: only the marker's few bytes become a string. */
function recordBytes(payload: Uint8Array): void {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
  const at = bytes.indexOf(MARKER_BYTES)
  if (at >= 0) record(bytes.toString('latin1', at, Math.min(bytes.length, at + 64)))
}

/** `connect` over bench/lib/raw-ws.ts. */
function connectRaw(token: string): Promise<boolean> {
  return new Promise((resolve) => {
    let signedIn = false
    let settled = false
    const target = protocol === 'parley' ? `${url}/ws?token=${encodeURIComponent(token)}` : `${url}/socket.io/?EIO=4&transport=websocket`
    const done = (ok: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signedIn = ok
      resolve(ok)
    }
    const ws = openRaw(target, {
      onOpen: () => {},
      onClose: () => {
        if (signedIn) closed++
        done(false)
      },
      onText: (payload) => {
        if (signedIn) {
          if (protocol === 'socketio' && payload.byteLength === 1 && payload[0] === 0x32) ws.send('3')
          else recordBytes(payload)
          return
        }
        const data = new TextDecoder().decode(payload)
        if (protocol === 'parley') return done(data.includes('"type":"ready"'))
        if (data.startsWith('0{')) ws.send(`40${JSON.stringify({ token })}`)
        else if (data.startsWith('40')) done(true)
        else if (data.startsWith('44')) done(false)
      },
    })
    const timer = setTimeout(() => {
      if (!settled) ws.close()
    }, 30_000)
  })
}

/** Opens one socket and resolves once the server says it is signed in (false if it never does). */
function connect(token: string): Promise<boolean> {
  if (client === 'raw') return connectRaw(token)
  return new Promise((resolve) => {
    let signedIn = false
    const target = protocol === 'parley' ? `${url}/ws?token=${encodeURIComponent(token)}` : `${url}/socket.io/?EIO=4&transport=websocket`
    const ws = new WebSocket(target)
    const timer = setTimeout(() => {
      if (!signedIn) ws.close()
    }, 30_000)
    const done = (ok: boolean) => {
      if (signedIn) return
      clearTimeout(timer)
      if (ok) {
        signedIn = true
        sockets.push(ws)
      }
      resolve(ok)
    }
    ws.onmessage = (event) => {
      const data = event.data as string
      if (signedIn) {
        if (protocol === 'socketio' && data === '2') ws.send('3')
        else record(data)
        return
      }
      if (protocol === 'parley') return done(data.includes('"type":"ready"'))
      if (data.startsWith('0{')) ws.send(`40${JSON.stringify({ token })}`)
      else if (data.startsWith('40')) done(true)
      else if (data.startsWith('44')) done(false)
    }
    ws.onclose = () => {
      if (signedIn) closed++
      done(false)
    }
  })
}

async function connectAll(): Promise<void> {
  const deadline = Date.now() + CONNECT_TIMEOUT_MS
  let next = 0
  const lane = async () => {
    while (next < tokens.length && Date.now() < deadline) {
      const token = tokens[next++]!
      if (await connect(token)) ready++
      else failed++
    }
  }
  await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, lane))
  failed += tokens.length - ready - failed
  console.log(JSON.stringify({ event: 'connected', ready, failed }))
}

async function serveCommands(): Promise<void> {
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of Bun.stdin.stream()) {
    buffer += decoder.decode(chunk, { stream: true })
    let newline: number
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const command = JSON.parse(buffer.slice(0, newline)) as { cmd: string; phase?: number }
      buffer = buffer.slice(newline + 1)
      if (command.cmd === 'count') {
        console.log(JSON.stringify({ ready: ready - closed, closed, counts: Object.fromEntries([...phases].map(([p, s]) => [p, s.count])) }))
      } else if (command.cmd === 'take') {
        const stats = phases.get(command.phase!) ?? { count: 0, lastMs: 0, latencies: [] }
        phases.delete(command.phase!)
        console.log(JSON.stringify({ count: stats.count, lastMs: stats.lastMs, latencies: stats.latencies.map((l) => Math.round(l * 100) / 100) }))
      } else console.log(JSON.stringify({ error: `unknown command ${command.cmd}` }))
    }
  }
  // stdin closed: the benchmark is gone, so are we.
  process.exit(0)
}

void serveCommands()
await connectAll()
