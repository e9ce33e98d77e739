import { EventEmitter } from 'node:events'
import type { MediaNotificationFrame, MediaResponseFrame, RequestData, RequestName, ResponseData, SignalingErrorCode } from '../../server/src/contracts/signaling'
import { mintMediaToken } from './auth'

/** A request media refused (or that never got an answer): the typed code travels to the browser. */
export class MediaRequestError extends Error {
  override name = 'MediaRequestError'
  constructor(readonly code: SignalingErrorCode, message: string, readonly details?: unknown) {
    super(message)
  }
}

export interface MediaLinkOptions {
  url: string
  secret: string
  requestTimeoutMs?: number
}

interface LinkEvents {
  notification: [frame: MediaNotificationFrame]
  /** The socket closed; pending requests were rejected. The owner reconnects (media keeps peers for MEDIA_PEER_TIMEOUT_MS). */
  close: [code: number]
}

/**
 * The API's end of the internal channel: typed `request()` and `notification` events. One link per
 * media process is enough; it does not reconnect by itself.
 */
export class MediaLink extends EventEmitter<LinkEvents> {
  readonly #ws: WebSocket
  readonly #timeoutMs: number
  readonly #pending = new Map<number, { resolve: (data: unknown) => void; reject: (error: Error) => void; timer: ReturnType<typeof setTimeout> }>()
  #nextId = 1

  private constructor(ws: WebSocket, timeoutMs: number) {
    super()
    this.#ws = ws
    this.#timeoutMs = timeoutMs
    ws.addEventListener('message', (event) => this.#onMessage(String(event.data)))
    ws.addEventListener('close', (event) => {
      for (const [id, pending] of this.#pending) {
        clearTimeout(pending.timer)
        pending.reject(new MediaRequestError('MEDIA_UNAVAILABLE', 'the media link closed'))
        this.#pending.delete(id)
      }
      this.emit('close', event.code)
    })
  }

  /** Opens the channel with a freshly minted token; rejects when media refuses or is unreachable. */
  static connect(options: MediaLinkOptions): Promise<MediaLink> {
    const ws = new WebSocket(options.url, { headers: { authorization: `Bearer ${mintMediaToken(options.secret)}` } } as unknown as string[])
    return new Promise((resolve, reject) => {
      const fail = () => reject(new MediaRequestError('MEDIA_UNAVAILABLE', `cannot open the media link at ${options.url}`))
      ws.addEventListener('error', fail, { once: true })
      ws.addEventListener('close', fail, { once: true })
      ws.addEventListener('open', () => {
        ws.removeEventListener('error', fail)
        ws.removeEventListener('close', fail)
        resolve(new MediaLink(ws, options.requestTimeoutMs ?? 10_000))
      }, { once: true })
    })
  }

  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN
  }

  /** peerId undefined for room-level requests the API makes itself (createRoom, closeRoom, recording). */
  request<N extends RequestName>(roomId: string, peerId: string | undefined, name: N, data: RequestData<N>): Promise<ResponseData<N>> {
    return this.send({ roomId, peerId, request: { name, data } }) as Promise<ResponseData<N>>
  }

  /** Sends any frame body (the API relays a browser's already validated `{ name, data }`). */
  send(frame: { roomId: string; peerId?: string; request: unknown }): Promise<unknown> {
    if (!this.open) return Promise.reject(new MediaRequestError('MEDIA_UNAVAILABLE', 'the media link is not open'))
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new MediaRequestError('TIMEOUT', 'the media server did not answer in time'))
      }, this.#timeoutMs)
      this.#pending.set(id, { resolve, reject, timer })
      this.#ws.send(JSON.stringify({ id, ...frame }))
    })
  }

  close(): void {
    this.#ws.close()
  }

  #onMessage(raw: string): void {
    let frame: MediaResponseFrame | MediaNotificationFrame
    try {
      frame = JSON.parse(raw)
    } catch {
      return
    }
    if ('notification' in frame) {
      this.emit('notification', frame)
      return
    }
    const pending = this.#pending.get(frame.id)
    if (!pending) return
    this.#pending.delete(frame.id)
    clearTimeout(pending.timer)
    if (frame.ok) pending.resolve(frame.data)
    else pending.reject(new MediaRequestError(frame.error.code, frame.error.message, frame.error.details))
  }
}
