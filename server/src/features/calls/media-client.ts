import type Redis from 'ioredis'
import type { Logger } from '../../logger'
import { errorFields } from '../../logger'
import { MediaLink, MediaRequestError } from '../../../../media/src/link'
import { pickMediaServer } from '../../../../media/src/registry'
import type { MediaNotificationFrame, SignalingRequest } from '../../contracts/signaling'
import type { MediaLink as CallMediaLink } from './service'

export { MediaRequestError }

export interface MediaClientOptions {
  /** ws:// URL of the media process' channel (MEDIA_URL); used when no media process is registered in Redis. */
  url: string | null
  secret: string | null
  requestTimeoutMs: number
  /** Where media processes register themselves (their REDIS_PREFIX must match the API's). */
  redis: Redis | null
  redisPrefix: string
  log: Logger
}

const MAX_BACKOFF_MS = 5_000

/**
 * Keeps the API linked to a media process: picks the least-loaded one registered in Redis (else
 * MEDIA_URL), opens the authenticated channel (media/src/link.ts), and reconnects with backoff when
 * it drops. Notifications go to the listeners (the relay routes them to users' sockets).
 */
export class MediaClient implements CallMediaLink {
  #link: MediaLink | null = null
  #connecting = false
  #closed = false
  #backoffMs = 250
  #reconnect: ReturnType<typeof setTimeout> | null = null
  #listeners = new Set<(frame: MediaNotificationFrame) => void>()
  #linkListeners = new Set<(up: boolean) => void>()

  constructor(private options: MediaClientOptions) {}

  /** A secret and somewhere to find media: MEDIA_URL or Redis registrations. */
  get configured(): boolean {
    return Boolean(this.options.secret && (this.options.url || this.options.redis))
  }

  get available(): boolean {
    return this.#link?.open ?? false
  }

  /** Starts connecting (and keeps reconnecting until close). Unconfigured, it does nothing. */
  connect(): void {
    if (!this.configured || this.#closed || this.#link || this.#connecting) return
    this.#connecting = true
    void this.#open().finally(() => {
      this.#connecting = false
    })
  }

  /** Sends one request into a room (as `peerId` when given) and resolves with the response data. */
  request(roomId: string, peerId: string | undefined, request: SignalingRequest): Promise<unknown> {
    if (!this.#link?.open) return Promise.reject(new MediaRequestError('MEDIA_UNAVAILABLE', 'The media server is not reachable right now'))
    return this.#link.send({ roomId, ...(peerId ? { peerId } : {}), request })
  }

  onNotification(listener: (frame: MediaNotificationFrame) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Told when the link comes up (true) or goes down (false). */
  onLink(listener: (up: boolean) => void): () => void {
    this.#linkListeners.add(listener)
    return () => this.#linkListeners.delete(listener)
  }

  roomEnded(roomId: string): void {
    this.#bestEffort('closeRoom', this.request(roomId, undefined, { name: 'closeRoom', data: { reason: 'ended' } }))
  }

  peerLeft(roomId: string, peerId: string): void {
    this.#bestEffort('leave', this.request(roomId, peerId, { name: 'leave', data: {} }))
  }

  close(): void {
    this.#closed = true
    if (this.#reconnect) clearTimeout(this.#reconnect)
    this.#link?.close()
    this.#link = null
  }

  async #open(): Promise<void> {
    const { secret, log } = this.options
    const url = await pickMediaServer(this.options.redis, this.options.redisPrefix, this.options.url)
    if (this.#closed) return
    if (!url) return this.#scheduleReconnect()
    let link: MediaLink
    try {
      link = await MediaLink.connect({ url, secret: secret!, requestTimeoutMs: this.options.requestTimeoutMs })
    } catch {
      return this.#scheduleReconnect()
    }
    if (this.#closed) return link.close()
    this.#link = link
    this.#backoffMs = 250
    log.info('mediaClient() [connected]', { url })
    link.on('notification', (frame) => this.#notify(frame))
    link.on('close', (code) => {
      if (this.#link !== link) return
      this.#link = null
      log.warn('mediaClient() [disconnected]', { url, code })
      for (const listener of this.#linkListeners) listener(false)
      if (!this.#closed) this.#scheduleReconnect()
    })
    for (const listener of this.#linkListeners) listener(true)
  }

  #bestEffort(what: string, promise: Promise<unknown>): void {
    // @NOTE: clean-up on the media side is best effort: the media process drops idle peers and rooms by itself.
    promise.catch((error) => this.options.log.debug('mediaClient() [best-effort request failed]', { what, ...errorFields(error) }))
  }

  #scheduleReconnect(): void {
    if (this.#closed) return
    const delay = this.#backoffMs
    this.#backoffMs = Math.min(MAX_BACKOFF_MS, this.#backoffMs * 2)
    this.#reconnect = setTimeout(() => {
      this.#reconnect = null
      this.connect()
    }, delay)
  }

  #notify(frame: MediaNotificationFrame): void {
    for (const listener of this.#listeners) {
      try {
        listener(frame)
      } catch (error) {
        this.options.log.error('mediaClient() [notification listener failed]', errorFields(error))
      }
    }
  }
}
