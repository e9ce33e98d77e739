import { eq } from 'drizzle-orm'
import type { Db } from '../db/client'
import { users } from '../db/schema'
import type { PresenceStatus, ServerEvent } from './protocol'

export const presenceTopic = (userId: string) => `presence:${userId}`

interface Entry {
  sockets: number
  chosen: Exclude<PresenceStatus, 'offline'>
}

/**
 * Presence derived from open sockets: a user with at least one socket shows the status they chose
 * (online by default, or away / dnd); the last socket closing makes them offline and records
 * "last seen". Kept per API instance; changes are published on `presence:<userId>` topics.
 */
export class PresenceTracker {
  #entries = new Map<string, Entry>()

  constructor(private db: Db, private publish: (topic: string, event: ServerEvent) => void) {}

  connected(userId: string): void {
    const entry = this.#entries.get(userId)
    if (entry) {
      entry.sockets++
      return
    }
    this.#entries.set(userId, { sockets: 1, chosen: 'online' })
    this.#announce(userId)
  }

  disconnected(userId: string): void {
    const entry = this.#entries.get(userId)
    if (!entry) return
    entry.sockets--
    if (entry.sockets > 0) return
    this.#entries.delete(userId)
    this.db.update(users).set({ lastSeenAt: new Date() }).where(eq(users.id, userId)).run()
    this.#announce(userId)
  }

  choose(userId: string, status: Exclude<PresenceStatus, 'offline'>): void {
    const entry = this.#entries.get(userId)
    if (!entry || entry.chosen === status) return
    entry.chosen = status
    this.#announce(userId)
  }

  snapshot(userId: string): Extract<ServerEvent, { type: 'presence' }> {
    const entry = this.#entries.get(userId)
    if (entry) return { type: 'presence', userId, status: entry.chosen, lastSeenAt: null }
    const row = this.db.select({ lastSeenAt: users.lastSeenAt }).from(users).where(eq(users.id, userId)).get()
    return { type: 'presence', userId, status: 'offline', lastSeenAt: row?.lastSeenAt?.toISOString() ?? null }
  }

  #announce(userId: string): void {
    this.publish(presenceTopic(userId), this.snapshot(userId))
  }
}
