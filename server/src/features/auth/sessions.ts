import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm'
import type { Config } from '../../config'
import type { Db, Tx } from '../../db/client'
import { transaction } from '../../db/client'
import { refreshTokens, sessions, users } from '../../db/schema'
import { UnauthorizedError } from '../../errors'
import { newId, randomToken, sha256 } from '../../lib/crypto'
import type { AuditService, RequestMeta } from '../audit/service'
import { SessionCache, type Invalidation } from './session-cache'

export interface AuthenticatedSession {
  session: typeof sessions.$inferSelect
  user: typeof users.$inferSelect
}

export type SessionMethod = 'password' | 'mfa' | 'oauth:google' | 'oauth:github' | 'oauth:microsoft' | 'register' | 'password_reset'

export interface IssuedSession {
  userId: string
  sessionId: string
  refreshToken: string
  refreshTokenExpiresAt: Date
}

const TOUCH_INTERVAL_MS = 60_000

/** The realtime hub, as sessions see it: the one cross-instance channel for revocations and user changes. */
export interface SessionEvents {
  /** Closes the sessions' sockets and drops them from the other instances' caches. */
  sessionsRevoked(sessionIds: string[]): void
  /** Drops these users' cached rows on the other instances. */
  usersChanged(userIds: string[]): void
  /** Invalidations published by the other instances (and a flush after a lost connection). */
  onInvalidation(listener: (change: Invalidation) => void): void
}

/**
 * Sessions are refresh-token families. Every refresh rotates the token; presenting a token that was
 * already rotated means it leaked, so the whole family is revoked.
 */
export class SessionService {
  #authenticate
  readonly #cache: SessionCache<AuthenticatedSession>
  constructor(private db: Db, private config: Config, private audit: AuditService, private events?: SessionEvents) {
    this.#cache = new SessionCache(config.sessionCacheMs)
    events?.onInvalidation((change) => this.#cache.apply(change))
    this.#authenticate = db
      .select({ session: sessions, user: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      // cast(): with a bare placeholder, each run of this join costs as much as preparing it again (~3x; docs/BENCHMARKS.md).
      .where(eq(sessions.id, sql`cast(${sql.placeholder('sessionId')} as text)`))
      .prepare()
  }

  get #refreshTtlMs() {
    return this.config.refreshTokenTtlDays * 86_400_000
  }

  create(userId: string, method: SessionMethod, meta: RequestMeta, tx: Db | Tx = this.db): IssuedSession {
    const now = Date.now()
    const sessionId = newId()
    const expiresAt = new Date(now + this.#refreshTtlMs)
    tx.insert(sessions).values({ id: sessionId, userId, createdAt: new Date(now), lastUsedAt: new Date(now), expiresAt, ip: meta.ip, userAgent: meta.userAgent, method }).run()
    const refreshToken = this.#issueRefreshToken(sessionId, expiresAt, tx)
    return { userId, sessionId, refreshToken, refreshTokenExpiresAt: expiresAt }
  }

  #issueRefreshToken(sessionId: string, expiresAt: Date, tx: Db | Tx): string {
    const token = randomToken()
    tx.insert(refreshTokens).values({ id: newId(), sessionId, tokenHash: sha256(token), createdAt: new Date(), expiresAt }).run()
    return token
  }

  rotate(refreshToken: string, meta: RequestMeta): IssuedSession {
    const result = transaction(this.db, (tx) => {
      const row = tx
        .select({ token: refreshTokens, session: sessions, user: users })
        .from(refreshTokens)
        .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(eq(refreshTokens.tokenHash, sha256(refreshToken)))
        .get()
      if (!row) return { error: new UnauthorizedError('Refresh token is not valid', { code: 'INVALID_REFRESH_TOKEN' }) }
      const now = Date.now()
      if (row.token.rotatedAt) {
        if (!row.session.revokedAt) {
          this.revoke(row.session.id, 'refresh_token_reuse', tx)
          this.audit.record({ action: 'auth.refresh.reuse_detected', targetUserId: row.user.id, meta, details: { sessionId: row.session.id } }, tx)
        }
        return { error: new UnauthorizedError('Refresh token was already used; the session has been revoked', { code: 'REFRESH_TOKEN_REUSED' }) }
      }
      if (row.session.revokedAt) return { error: new UnauthorizedError('Session has been revoked', { code: 'SESSION_REVOKED' }) }
      if (row.token.expiresAt.getTime() <= now || row.session.expiresAt.getTime() <= now) return { error: new UnauthorizedError('Session has expired', { code: 'SESSION_EXPIRED' }) }
      if (row.user.disabledAt) return { error: new UnauthorizedError('Account is disabled', { code: 'ACCOUNT_DISABLED' }) }
      tx.update(refreshTokens).set({ rotatedAt: new Date(now) }).where(eq(refreshTokens.id, row.token.id)).run()
      const expiresAt = new Date(now + this.#refreshTtlMs)
      tx.update(sessions).set({ lastUsedAt: new Date(now), expiresAt, ip: meta.ip ?? row.session.ip }).where(eq(sessions.id, row.session.id)).run()
      const next = this.#issueRefreshToken(row.session.id, expiresAt, tx)
      return { issued: { userId: row.user.id, sessionId: row.session.id, refreshToken: next, refreshTokenExpiresAt: expiresAt } }
    })
    // The reuse revocation must commit, so the error is thrown after the transaction.
    if ('error' in result) throw result.error
    return result.issued
  }

  /**
   * Resolves an access token's session to its user; every authenticated request passes here. Live
   * sessions are cached for SESSION_CACHE_MS (session-cache.ts); only live ones, so every refusal
   * is read from the database.
   */
  authenticate(sessionId: string, userId: string): AuthenticatedSession {
    const now = Date.now()
    const cached = this.#cache.get(sessionId, now)
    if (cached && cached.user.id === userId && cached.session.expiresAt.getTime() > now) return cached
    const row = this.#authenticate.get({ sessionId })
    if (!row || row.user.id !== userId) throw new UnauthorizedError('Session not found', { code: 'SESSION_REVOKED' })
    if (row.session.revokedAt) throw new UnauthorizedError('Session has been revoked', { code: 'SESSION_REVOKED' })
    if (row.session.expiresAt.getTime() <= now) throw new UnauthorizedError('Session has expired', { code: 'SESSION_EXPIRED' })
    if (row.user.disabledAt) throw new UnauthorizedError('Account is disabled', { code: 'ACCOUNT_DISABLED' })
    if (now - row.session.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      this.db.update(sessions).set({ lastUsedAt: new Date(now) }).where(eq(sessions.id, sessionId)).run()
    }
    // Shared by every request until it expires: frozen, so a handler that writes to `auth.user` fails loudly.
    Object.freeze(row.session)
    Object.freeze(row.user)
    this.#cache.set(sessionId, userId, Object.freeze(row), now)
    return row
  }

  /**
   * Call after any write to a user row that `auth.user` shows (profile, role, email verification,
   * two-factor): drops the cached row here at once and on the other instances.
   */
  userChanged(userId: string): void {
    this.#cache.apply({ userIds: [userId] })
    const events = this.events
    // After the surrounding transaction has committed, or another instance could re-read the old row.
    if (events) queueMicrotask(() => events.usersChanged([userId]))
  }

  revoke(sessionId: string, reason: string, tx: Db | Tx = this.db): boolean {
    const result = tx.update(sessions).set({ revokedAt: new Date(), revokedReason: reason }).where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt))).returning({ id: sessions.id }).all()
    this.#cache.apply({ sessionIds: [sessionId] })
    this.#announce(result.map((row) => row.id))
    return result.length > 0
  }

  revokeAllForUser(userId: string, reason: string, options: { except?: string } = {}, tx: Db | Tx = this.db): number {
    const conditions = [eq(sessions.userId, userId), isNull(sessions.revokedAt)]
    if (options.except) conditions.push(ne(sessions.id, options.except))
    const revoked = tx.update(sessions).set({ revokedAt: new Date(), revokedReason: reason }).where(and(...conditions)).returning({ id: sessions.id }).all()
    this.#cache.apply({ sessionIds: revoked.map((row) => row.id) })
    this.#announce(revoked.map((row) => row.id))
    return revoked.length
  }

  /**
   * Open sockets of revoked sessions are closed. Transactions here are synchronous, so a microtask
   * runs once the surrounding one has finished (a rolled-back revoke only costs a reconnect).
   */
  #announce(sessionIds: string[]): void {
    if (sessionIds.length === 0 || !this.events) return
    const events = this.events
    queueMicrotask(() => events.sessionsRevoked(sessionIds))
  }

  listActive(userId: string) {
    return this.db
      .select()
      .from(sessions)
      .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date())))
      .orderBy(desc(sessions.lastUsedAt))
      .all()
  }

  get(sessionId: string) {
    return this.db.select().from(sessions).where(eq(sessions.id, sessionId)).get()
  }
}
