import type Redis from 'ioredis'
import type { Logger } from '../../logger'
import { errorFields } from '../../logger'
import { MediaLink, MediaRequestError } from '../../../../media/src/link'
import { pickMediaServer } from '../../../../media/src/registry'
import type { MediaNotificationFrame, SignalingRequest } from '../../contracts/signaling'
import { RoomPlacement } from './placement'
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
 * Links the API to the media processes. One link, to the least-loaded process registered in Redis (else
 * MEDIA_URL), is kept open and reconnected with backoff: it says whether calls are available. Each room
 * is placed on a process (placement.ts) and its requests go over a link to that process, opened on demand;
 * so calls spread over every registered process. Notifications of every link go to the listeners (the
 * relay routes them to users' sockets).
 */
export class MediaClient implements CallMediaLink {
  #link: MediaLink | null = null
  #linkUrl: string | null = null
  /** Links to other processes, opened when a room placed there needs one. */
  readonly #others = new Map<string, MediaLink>()
  readonly #opening = new Map<string, Promise<MediaLink | null>>()
  readonly #placement: RoomPlacement
  #connecting = false
  #closed = false
  #backoffMs = 250
  #reconnect: ReturnType<typeof setTimeout> | null = null
  #listeners = new Set<(frame: MediaNotificationFrame) => void>()
  #linkListeners = new Set<(up: boolean) => void>()

  constructor(private options: MediaClientOptions) {
    this.#placement = new RoomPlacement(options.redis, options.redisPrefix, options.url, options.log)
  }

  /** A secret and somewhere to find media: MEDIA_URL or Redis registrations. */
  get configured(): boolean {
    return Boolean(this.options.secret && (this.options.url || this.options.redis))
  }

  get available(): boolean {
    return (this.#link?.open ?? false) || [...this.#others.values()].some((link) => link.open)
  }

  /** Starts connecting (and keeps reconnecting until close). Unconfigured, it does nothing. */
  connect(): void {
    if (!this.configured || this.#closed || this.#link || this.#connecting) return
    this.#connecting = true
    void this.#open().finally(() => {
      this.#connecting = false
    })
  }

  /** Sends one request into a room (as `peerId` when given), to the process the room is placed on. */
  async request(roomId: string, peerId: string | undefined, request: SignalingRequest): Promise<unknown> {
    if (!this.configured || this.#closed) throw new MediaRequestError('MEDIA_UNAVAILABLE', 'The media server is not reachable right now')
    const url = this.options.redis ? await this.#placement.urlFor(roomId) : this.#linkUrl
    const link = url ? await this.#linkTo(url) : null
    if (!link?.open) throw new MediaRequestError('MEDIA_UNAVAILABLE', 'The media server is not reachable right now')
    return link.send({ roomId, ...(peerId ? { peerId } : {}), request })
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
    this.#bestEffort('closeRoom', this.request(roomId, undefined, { name: 'closeRoom', data: { reason: 'ended' } }).finally(() => this.#placement.forget(roomId)))
  }

  peerLeft(roomId: string, peerId: string): void {
    this.#bestEffort('leave', this.request(roomId, peerId, { name: 'leave', data: {} }))
  }

  close(): void {
    this.#closed = true
    if (this.#reconnect) clearTimeout(this.#reconnect)
    this.#link?.close()
    this.#link = null
    for (const link of this.#others.values()) link.close()
    this.#others.clear()
  }

  /** An open link to `url`: the kept one, or one opened (once, even when asked concurrently) for rooms placed there. */
  async #linkTo(url: string): Promise<MediaLink | null> {
    if (this.#linkUrl === url && this.#link?.open) return this.#link
    const other = this.#others.get(url)
    if (other?.open) return other
    const opening = this.#opening.get(url) ?? this.#openOther(url).finally(() => this.#opening.delete(url))
    this.#opening.set(url, opening)
    return opening
  }

  async #openOther(url: string): Promise<MediaLink | null> {
    let link: MediaLink
    try {
      link = await MediaLink.connect({ url, secret: this.options.secret!, requestTimeoutMs: this.options.requestTimeoutMs })
    } catch (error) {
      this.options.log.warn('mediaClient() [placed media process unreachable]', { url, ...errorFields(error) })
      this.#placement.forgetUrl(url)
      return null
    }
    if (this.#closed) {
      link.close()
      return null
    }
    this.#others.set(url, link)
    this.options.log.info('mediaClient() [connected to a placed room\'s process]', { url })
    link.on('notification', (frame) => this.#notify(frame))
    link.on('close', () => {
      if (this.#others.get(url) === link) this.#others.delete(url)
      this.#placement.forgetUrl(url)
      for (const listener of this.#linkListeners) listener(false)
    })
    return link
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
    this.#linkUrl = url
    this.#backoffMs = 250
    log.info('mediaClient() [connected]', { url })
    link.on('notification', (frame) => this.#notify(frame))
    link.on('close', (code) => {
      if (this.#link !== link) return
      this.#link = null
      this.#placement.forgetUrl(url)
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
