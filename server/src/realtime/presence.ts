import { eq } from 'drizzle-orm'
import type Redis from 'ioredis'
import type { Db } from '../db/client'
import { users } from '../db/schema'
import type { Logger } from '../logger'
import { errorFields } from '../logger'
import type { PresenceStatus, ServerEvent } from './protocol'

export const presenceTopic = (userId: string) => `presence:${userId}`

type Chosen = Exclude<PresenceStatus, 'offline'>
type PresenceEvent = Extract<ServerEvent, { type: 'presence' }>

const HEARTBEAT_MS = 20_000
const INSTANCE_TTL_MS = 60_000
/** Choosing `dnd` on the socket while do-not-disturb is off turns it on for this long. */
export const SOCKET_DND_MS = 8 * 3600_000
/** setTimeout's limit; a later expiry is announced by the next change or subscribe instead. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** The notification do-not-disturb setting, which the `dnd` presence status mirrors. */
export interface DndSetting {
  dnd(userId: string): { active: boolean; until: string | null }
  setDnd(userId: string, until: string | null, options: { quiet?: boolean }): unknown
}

/**
 * Presence derived from open sockets: a user with at least one socket anywhere shows the status
 * they chose (online, away or dnd); when their last socket closes they are offline with a "last
 * seen" time. Each API instance counts its own sockets; with Redis the counts of live instances
 * (each refreshes a heartbeat) are summed, so a crashed instance stops counting within a minute.
 * `dnd` and the do-not-disturb setting are one: while the setting is on a connected user shows
 * `dnd`; choosing `dnd` turns it on (SOCKET_DND_MS unless already on), choosing `online` turns it
 * off, and `away` leaves it alone (idle clients send it on their own).
 */
export class PresenceTracker {
  #local = new Map<string, number>()
  #chosen = new Map<string, Chosen>()
  #heartbeat: ReturnType<typeof setInterval> | null = null
  /** Per user: when their do-not-disturb ends, announced then so watchers see it end. */
  #dndExpiry = new Map<string, { at: number; timer: ReturnType<typeof setTimeout> }>()
  readonly #keys

  constructor(
    private db: Db,
    private publish: (topic: string, event: ServerEvent) => void,
    private instanceId: string,
    private redis: Redis | null,
    prefix: string,
    private log: Logger,
    private dndSetting?: DndSetting,
  ) {
    this.#keys = { instances: `${prefix}presence:instances`, counts: (id: string) => `${prefix}presence:counts:${id}`, chosen: `${prefix}presence:chosen` }
    if (redis) {
      // The first beat waits for the connection (commands fail fast while it is not ready).
      if (redis.status === 'ready') this.#beat()
      redis.on('ready', () => this.#beat())
      this.#heartbeat = setInterval(() => this.#beat(), HEARTBEAT_MS)
      this.#heartbeat.unref?.()
    }
  }

  async connected(userId: string): Promise<void> {
    const local = (this.#local.get(userId) ?? 0) + 1
    this.#local.set(userId, local)
    await this.#redis((redis) => redis.multi().hincrby(this.#keys.counts(this.instanceId), userId, 1).zadd(this.#keys.instances, Date.now(), this.instanceId).exec())
    if (local === 1 && (await this.#elsewhere(userId)) === 0) await this.#announce(userId)
  }

  async disconnected(userId: string): Promise<void> {
    const local = (this.#local.get(userId) ?? 1) - 1
    if (local > 0) this.#local.set(userId, local)
    else this.#local.delete(userId)
    await this.#redis((redis) => (local > 0 ? redis.hincrby(this.#keys.counts(this.instanceId), userId, -1) : redis.hdel(this.#keys.counts(this.instanceId), userId)))
    if (local > 0 || (await this.#elsewhere(userId)) > 0) return
    this.#chosen.delete(userId)
    await this.#redis((redis) => redis.hdel(this.#keys.chosen, userId))
    this.db.update(users).set({ lastSeenAt: new Date() }).where(eq(users.id, userId)).run()
    await this.#announce(userId)
  }

  async choose(userId: string, status: Chosen): Promise<void> {
    this.#chosen.set(userId, status)
    await this.#redis((redis) => redis.hset(this.#keys.chosen, userId, status))
    const active = this.dndSetting?.dnd(userId).active
    if (status === 'dnd' && active === false) this.dndSetting!.setDnd(userId, new Date(Date.now() + SOCKET_DND_MS).toISOString(), { quiet: true })
    if (status === 'online' && active === true) this.dndSetting!.setDnd(userId, null, { quiet: true })
    await this.#announce(userId)
  }

  /** The do-not-disturb setting changed elsewhere (REST): watchers of a connected user see the status follow. */
  async dndChanged(userId: string): Promise<void> {
    const sockets = (this.#local.get(userId) ?? 0) + (await this.#elsewhere(userId))
    if (sockets > 0) await this.#announce(userId)
  }

  async snapshot(userId: string): Promise<PresenceEvent> {
    const sockets = (this.#local.get(userId) ?? 0) + (await this.#elsewhere(userId))
    if (sockets > 0) {
      const chosen = this.#chosen.get(userId) ?? ((await this.#redis((redis) => redis.hget(this.#keys.chosen, userId))) as Chosen | null) ?? 'online'
      if (!this.dndSetting) return { type: 'presence', userId, status: chosen, lastSeenAt: null }
      const dnd = this.dndSetting.dnd(userId)
      if (dnd.active && dnd.until) this.#announceAt(userId, Date.parse(dnd.until))
      // A chosen `dnd` whose setting ended (expired, or switched off by REST) is plain online.
      return { type: 'presence', userId, status: dnd.active ? 'dnd' : chosen === 'dnd' ? 'online' : chosen, lastSeenAt: null }
    }
    const row = this.db.select({ lastSeenAt: users.lastSeenAt }).from(users).where(eq(users.id, userId)).get()
    return { type: 'presence', userId, status: 'offline', lastSeenAt: row?.lastSeenAt?.toISOString() ?? null }
  }

  async close(): Promise<void> {
    if (this.#heartbeat) clearInterval(this.#heartbeat)
    for (const { timer } of this.#dndExpiry.values()) clearTimeout(timer)
    this.#dndExpiry.clear()
    // This instance's sockets are gone with it.
    await this.#redis((redis) => redis.multi().del(this.#keys.counts(this.instanceId)).zrem(this.#keys.instances, this.instanceId).exec())
  }

  /** Sockets of the user on the other live instances (0 without Redis). */
  async #elsewhere(userId: string): Promise<number> {
    const counts = await this.#redis(async (redis) => {
      const live = await redis.zrangebyscore(this.#keys.instances, Date.now() - INSTANCE_TTL_MS, '+inf')
      const others = live.filter((id) => id !== this.instanceId)
      if (others.length === 0) return 0
      const values = await Promise.all(others.map((id) => redis.hget(this.#keys.counts(id), userId)))
      return values.reduce((sum, value) => sum + Number(value ?? 0), 0)
    })
    return counts ?? 0
  }

  async #announce(userId: string): Promise<void> {
    this.publish(presenceTopic(userId), await this.snapshot(userId))
  }

  #announceAt(userId: string, at: number): void {
    const delay = at - Date.now() + 10
    if (this.#dndExpiry.get(userId)?.at === at || delay > MAX_TIMER_MS) return
    clearTimeout(this.#dndExpiry.get(userId)?.timer)
    const timer = setTimeout(() => {
      this.#dndExpiry.delete(userId)
      // @NOTE: presence is best effort; a failed announce leaves the next change or subscribe to correct it.
      void this.dndChanged(userId).catch(() => {})
    }, Math.max(0, delay))
    timer.unref?.()
    this.#dndExpiry.set(userId, { at, timer })
  }

  #beat(): void {
    void this.#redis((redis) => redis.zadd(this.#keys.instances, Date.now(), this.instanceId))
  }

  /** Redis is an aid here: when it is away, presence falls back to this instance's own view. */
  async #redis<T>(work: (redis: Redis) => Promise<T>): Promise<T | null> {
    if (!this.redis) return null
    try {
      return await work(this.redis)
    } catch (error) {
      this.log.debug('presence() [redis unavailable]', errorFields(error))
      return null
    }
  }
}
