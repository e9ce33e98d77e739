/** What the other API instances tell this one: sessions ended, users changed, or "forget everything". */
export type Invalidation = { sessionIds: string[] } | { userIds: string[] } | { all: true }

interface Entry<T> {
  userId: string
  value: T
  /** Date.now() after which the entry is read from the database again, whatever pub/sub said. */
  freshUntil: number
}

/**
 * Authenticated sessions (session + user rows) kept for at most `ttlMs` per process, so a request
 * need not re-read them. Every path that ends or weakens a session, or changes what `auth.user`
 * shows, drops the entries here synchronously and on the other instances through the realtime
 * hub's Redis channel; `ttlMs` bounds how long a lost message can keep a stale entry alive.
 * `ttlMs` 0 turns the cache off.
 */
export class SessionCache<T> {
  readonly #entries = new Map<string, Entry<T>>()

  constructor(readonly ttlMs: number, readonly maxEntries = 10_000) {}

  get enabled(): boolean {
    return this.ttlMs > 0
  }

  get size(): number {
    return this.#entries.size
  }

  get(sessionId: string, now = Date.now()): T | undefined {
    const entry = this.#entries.get(sessionId)
    if (!entry) return undefined
    if (entry.freshUntil > now) return entry.value
    this.#entries.delete(sessionId)
    return undefined
  }

  set(sessionId: string, userId: string, value: T, now = Date.now()): void {
    if (!this.enabled) return
    // Map order is insertion order: the oldest entry goes first once the bound is reached.
    this.#entries.delete(sessionId)
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!)
    this.#entries.set(sessionId, { userId, value, freshUntil: now + this.ttlMs })
  }

  /** Invalidations are rare (sign-out, revocation, profile edits), so a scan is cheaper than a second index. */
  apply(change: Invalidation): void {
    if ('all' in change) return this.#entries.clear()
    if ('sessionIds' in change) {
      for (const id of change.sessionIds) this.#entries.delete(id)
      return
    }
    const users = new Set(change.userIds)
    for (const [sessionId, entry] of this.#entries) if (users.has(entry.userId)) this.#entries.delete(sessionId)
  }
}
