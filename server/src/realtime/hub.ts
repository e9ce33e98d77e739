import type Redis from 'ioredis'
import type { Logger } from '../logger'
import { errorFields } from '../logger'
import type { ServerEvent } from './protocol'
import type { Invalidation } from '../features/auth/session-cache'

/** What services publish through; they know topics and events, nothing of sockets or Redis. */
export interface EventSink {
  toConversation(conversationId: string, event: ServerEvent): void
  toUser(userId: string, event: ServerEvent): void
  /** Subscribes (or unsubscribes) every socket of the user to the conversation, on every instance. */
  membershipChanged(userId: string, conversationId: string, joined: boolean): void
}

/** One connected socket as the hub sees it. */
export interface HubSocket {
  userId: string
  sessionId: string
  subscribe(topic: string): void
  unsubscribe(topic: string): void
  send(data: string): void
  /** Ends the socket (session revoked). */
  close(code: number, reason: string): void
}

interface Publisher {
  publish(topic: string, data: string): number
}

type Envelope =
  | { origin: string; kind: 'topic'; topic: string; data: string }
  | { origin: string; kind: 'membership'; userId: string; conversationId: string; joined: boolean }
  | { origin: string; kind: 'revoked'; sessionIds: string[] }
  | { origin: string; kind: 'users'; userIds: string[] }

export const conversationTopic = (id: string) => `conv:${id}`
export const userTopic = (id: string) => `user:${id}`

/**
 * Fan-out with Bun's native pub/sub (a topic per conversation and per user). With Redis, every
 * event is also published on one channel and replayed locally by the other API instances, so a
 * message sent through one instance reaches sockets on all of them.
 */
export class RealtimeHub implements EventSink {
  #server: Publisher | null = null
  #sockets = new Map<string, Set<HubSocket>>()
  #subscriber: Redis | null = null
  readonly #channel: string
  readonly #invalidationListeners: Array<(change: Invalidation) => void> = []

  constructor(private instanceId: string, private log: Logger, private redis: Redis | null, redisPrefix: string) {
    this.#channel = `${redisPrefix}realtime`
  }

  /** Starts listening to the other instances; call once the HTTP server is up. */
  async attach(server: Publisher): Promise<void> {
    this.#server = server
    if (!this.redis || this.#subscriber) return
    // A subscriber waits for Redis as long as it takes (it resubscribes after reconnects by itself).
    this.#subscriber = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined })
    this.#subscriber.on('error', (error) => this.log.warn('hub() [redis subscriber error]', errorFields(error)))
    this.#subscriber.on('message', (_channel: string, raw: string) => this.#fromRedis(raw))
    // Messages published while the subscriber was away are lost: cached sessions are forgotten.
    this.#subscriber.on('ready', () => this.#invalidated({ all: true }))
    try {
      await this.#subscriber.subscribe(this.#channel)
    } catch (error) {
      this.log.error('attach() [redis subscribe failed; events from other instances will not arrive]', errorFields(error))
    }
  }

  get connections(): number {
    let count = 0
    for (const set of this.#sockets.values()) count += set.size
    return count
  }

  register(socket: HubSocket): void {
    const set = this.#sockets.get(socket.userId) ?? new Set()
    set.add(socket)
    this.#sockets.set(socket.userId, set)
  }

  unregister(socket: HubSocket): void {
    const set = this.#sockets.get(socket.userId)
    set?.delete(socket)
    if (set?.size === 0) this.#sockets.delete(socket.userId)
  }

  toConversation(conversationId: string, event: ServerEvent): void {
    this.#publish(conversationTopic(conversationId), JSON.stringify(event))
  }

  toUser(userId: string, event: ServerEvent): void {
    this.#publish(userTopic(userId), JSON.stringify(event))
  }

  /** Any other topic (presence): same local fan-out and Redis bridge. */
  toTopic(topic: string, event: ServerEvent): void {
    this.#publish(topic, JSON.stringify(event))
  }

  membershipChanged(userId: string, conversationId: string, joined: boolean): void {
    this.#applyMembership(userId, conversationId, joined)
    this.#bridge({ origin: this.instanceId, kind: 'membership', userId, conversationId, joined })
  }

  /** Closes every socket of these sessions, on every instance. */
  sessionsRevoked(sessionIds: string[]): void {
    this.#closeSessions(sessionIds)
    this.#bridge({ origin: this.instanceId, kind: 'revoked', sessionIds })
  }

  /** Session caches on the other instances drop these users' rows (profile, role, two-factor changed). */
  usersChanged(userIds: string[]): void {
    this.#bridge({ origin: this.instanceId, kind: 'users', userIds })
  }

  /** Revocations and user changes made by the other instances, for the session cache. */
  onInvalidation(listener: (change: Invalidation) => void): void {
    this.#invalidationListeners.push(listener)
  }

  #invalidated(change: Invalidation): void {
    for (const listener of this.#invalidationListeners) listener(change)
  }

  #closeSessions(sessionIds: string[]): void {
    const revoked = new Set(sessionIds)
    for (const set of this.#sockets.values()) {
      for (const socket of set) if (revoked.has(socket.sessionId)) socket.close(4004, 'SESSION_REVOKED')
    }
  }

  async close(): Promise<void> {
    this.#server = null
    const subscriber = this.#subscriber
    this.#subscriber = null
    if (!subscriber) return
    // A subscriber that is not connected would queue QUIT forever; cut it off instead.
    if (subscriber.status !== 'ready') return subscriber.disconnect()
    // @NOTE: a QUIT that fails or stalls changes nothing on the way out; disconnect covers both.
    await Promise.race([subscriber.quit().catch(() => undefined), Bun.sleep(1000)])
    subscriber.disconnect()
  }

  #publish(topic: string, data: string): void {
    this.#server?.publish(topic, data)
    this.#bridge({ origin: this.instanceId, kind: 'topic', topic, data })
  }

  #applyMembership(userId: string, conversationId: string, joined: boolean): void {
    const topic = conversationTopic(conversationId)
    const event: ServerEvent = joined ? { type: 'conversation.joined', conversationId } : { type: 'conversation.left', conversationId }
    for (const socket of this.#sockets.get(userId) ?? []) {
      if (joined) socket.subscribe(topic)
      else socket.unsubscribe(topic)
      socket.send(JSON.stringify(event))
    }
  }

  #bridge(envelope: Envelope): void {
    if (!this.redis) return
    // @NOTE: losing Redis must not fail the write that produced the event; local sockets already have it.
    this.redis.publish(this.#channel, JSON.stringify(envelope)).catch((error) => this.log.warn('hub() [redis publish failed]', errorFields(error)))
  }

  #fromRedis(raw: string): void {
    let envelope: Envelope
    try {
      envelope = JSON.parse(raw) as Envelope
    } catch {
      return
    }
    if (envelope.origin === this.instanceId) return
    if (envelope.kind === 'topic') this.#server?.publish(envelope.topic, envelope.data)
    else if (envelope.kind === 'revoked') {
      this.#invalidated({ sessionIds: envelope.sessionIds })
      this.#closeSessions(envelope.sessionIds)
    } else if (envelope.kind === 'users') this.#invalidated({ userIds: envelope.userIds })
    else this.#applyMembership(envelope.userId, envelope.conversationId, envelope.joined)
  }
}
