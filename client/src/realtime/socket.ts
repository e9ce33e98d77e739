import { createSignal } from 'solid-js'
import type { ClientCommand, ServerEvent } from '../../../server/src/realtime/protocol'

export type ConnectionState = 'connecting' | 'online' | 'offline'

type Command = ClientCommand extends infer C ? (C extends { ref?: string } ? Omit<C, 'ref'> : never) : never
type Ack = Extract<ServerEvent, { type: 'ack' }>

/** A refused command: the server's error frame (or our timeout / disconnect). */
export class CommandError extends Error {
  constructor(readonly code: string, message: string, readonly details?: unknown) {
    super(message)
  }
  /** Worth retrying later (the socket went away), as opposed to a refusal that will not change. */
  get transient(): boolean {
    return this.code === 'DISCONNECTED' || this.code === 'TIMEOUT' || this.code === 'RATE_LIMITED'
  }
}

export interface RealtimeOptions {
  url: string
  token(): string | null
  /** Called on close code 4001; resolves true when a fresh access token is stored. */
  refresh(): Promise<boolean>
  /** The session is gone (revoked or refresh refused): stop and let the app sign out. */
  signedOut(): void
  /** What this client already holds, for gap-free resume after every (re)connect. */
  resumeState(): Array<{ id: string; lastSeq: number; lastVersion?: number }>
  onEvent(event: ServerEvent): void
  /** After `ready` and the resume request: the moment to flush the outbox. */
  onOnline(): void
}

const COMMAND_TIMEOUT_MS = 10_000
const PING_EVERY_MS = 25_000
const BACKOFF_MIN_MS = 500
const BACKOFF_MAX_MS = 30_000

/**
 * The app's one WebSocket: auth by first frame, resume with last seen seqs, ping/pong liveness,
 * reconnect with exponential backoff and full jitter, re-auth after a token refresh.
 */
export class RealtimeClient {
  readonly state
  readonly #setState
  #socket: WebSocket | null = null
  #attempt = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  #pinger: ReturnType<typeof setInterval> | undefined
  #lastFrameAt = 0
  #stopped = true
  #nextRef = 0
  #pending = new Map<string, { resolve(ack: Ack): void; reject(error: CommandError): void; timer: ReturnType<typeof setTimeout> }>()

  constructor(private options: RealtimeOptions) {
    ;[this.state, this.#setState] = createSignal<ConnectionState>('connecting')
  }

  start(): void {
    if (!this.#stopped) return
    this.#stopped = false
    window.addEventListener('online', this.#onNetworkBack)
    window.addEventListener('offline', this.#onNetworkGone)
    this.#connect()
  }

  stop(): void {
    this.#stopped = true
    window.removeEventListener('online', this.#onNetworkBack)
    window.removeEventListener('offline', this.#onNetworkGone)
    clearTimeout(this.#timer)
    this.#drop('DISCONNECTED')
    this.#socket?.close(1000)
    this.#socket = null
  }

  /** Sends a command and resolves with its ack; rejects with the server's error or DISCONNECTED / TIMEOUT. */
  request(command: Command): Promise<Ack> {
    const socket = this.#socket
    if (!socket || socket.readyState !== WebSocket.OPEN || this.state() !== 'online') return Promise.reject(new CommandError('DISCONNECTED', 'Not connected'))
    const ref = `r${++this.#nextRef}`
    return new Promise<Ack>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(ref)
        reject(new CommandError('TIMEOUT', 'The server did not answer in time'))
      }, COMMAND_TIMEOUT_MS)
      this.#pending.set(ref, { resolve, reject, timer })
      socket.send(JSON.stringify({ ...command, ref }))
    })
  }

  /** Fire-and-forget (typing, presence): dropped silently while offline. */
  notify(command: Command): void {
    if (this.#socket?.readyState === WebSocket.OPEN && this.state() === 'online') this.#socket.send(JSON.stringify(command))
  }

  #onNetworkBack = () => {
    if (this.state() === 'online') return
    clearTimeout(this.#timer)
    this.#attempt = 0
    this.#connect()
  }

  // The browser knows the network is gone before the socket does (an open socket can hang for minutes).
  // Closing cleanly needs the network, so the socket is let go at once rather than waiting for its close.
  #onNetworkGone = () => {
    const socket = this.#socket
    if (!socket) return
    this.#socket = null
    clearInterval(this.#pinger)
    this.#drop('DISCONNECTED')
    this.#setState('offline')
    socket.close(4000)
  }

  #connect(): void {
    if (this.#stopped) return
    if (!navigator.onLine) {
      this.#setState('offline')
      return // the `online` event reconnects
    }
    const token = this.options.token()
    if (!token) return this.options.signedOut()
    this.#setState('connecting')
    const socket = new WebSocket(this.options.url)
    this.#socket = socket
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token }))
    socket.onmessage = (frame) => {
      this.#lastFrameAt = Date.now()
      let event: ServerEvent
      try {
        event = JSON.parse(String(frame.data)) as ServerEvent
      } catch {
        return
      }
      this.#receive(event)
    }
    socket.onclose = (close) => {
      if (this.#socket !== socket) return
      this.#socket = null
      clearInterval(this.#pinger)
      this.#drop('DISCONNECTED')
      if (this.#stopped) return
      this.#setState('offline')
      void this.#afterClose(close.code)
    }
  }

  async #afterClose(code: number): Promise<void> {
    if (code === 4001) {
      // Expired access token: refresh, then reconnect at once.
      if (await this.options.refresh()) return this.#connect()
      return this.options.signedOut()
    }
    if (code === 4003 || code === 4004) return this.options.signedOut()
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.#attempt++)
    this.#timer = setTimeout(() => this.#connect(), BACKOFF_MIN_MS / 2 + Math.random() * ceiling)
  }

  #receive(event: ServerEvent): void {
    if (event.type === 'ready') {
      this.#attempt = 0
      this.#setState('online')
      const conversations = this.options.resumeState()
      if (conversations.length > 0) this.#socket?.send(JSON.stringify({ type: 'resume', conversations }))
      this.#startPinging()
      this.options.onEvent(event)
      this.options.onOnline()
      return
    }
    if ((event.type === 'ack' || event.type === 'error') && event.ref) {
      const waiter = this.#pending.get(event.ref)
      if (waiter) {
        this.#pending.delete(event.ref)
        clearTimeout(waiter.timer)
        if (event.type === 'ack') waiter.resolve(event)
        else waiter.reject(new CommandError(event.code, event.message, event.details))
        return
      }
    }
    if (event.type === 'pong') return
    this.options.onEvent(event)
  }

  #startPinging(): void {
    clearInterval(this.#pinger)
    this.#lastFrameAt = Date.now()
    this.#pinger = setInterval(() => {
      const socket = this.#socket
      if (!socket) return
      // Two silent intervals: the link is dead even if the browser has not noticed.
      if (Date.now() - this.#lastFrameAt > PING_EVERY_MS * 2) return socket.close(4000)
      socket.send(JSON.stringify({ type: 'ping' }))
    }, PING_EVERY_MS)
  }

  #drop(code: string): void {
    for (const [ref, waiter] of this.#pending) {
      clearTimeout(waiter.timer)
      waiter.reject(new CommandError(code, 'The connection closed before the server answered'))
      this.#pending.delete(ref)
    }
  }
}
