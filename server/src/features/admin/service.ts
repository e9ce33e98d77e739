import { and, asc, count, eq, isNull, or, sql, type SQL, type AnyColumn } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { transaction } from '../../db/client'
import { users } from '../../db/schema'
import { ConflictError, ForbiddenError, NotFoundError } from '../../errors'
import type { AuditService, RequestMeta } from '../audit/service'
import type { SessionService } from '../auth/sessions'

export class AdminService {
  constructor(private db: Db, private sessions: SessionService, private audit: AuditService) {}

  listUsers(options: { q?: string; limit: number; offset: number }) {
    let where: SQL | undefined
    if (options.q) {
      const pattern = `%${options.q.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%`
      // SQLite's LIKE has no escape character unless one is named; without it `john_doe` would find nothing.
      const contains = (column: AnyColumn) => sql`${column} like ${pattern} escape '\\'`
      where = or(contains(users.email), contains(users.username), contains(users.displayName))
    }
    const rows = this.db.select().from(users).where(where).orderBy(asc(users.createdAt)).limit(options.limit).offset(options.offset).all()
    const total = this.db.select({ n: count() }).from(users).where(where).get()?.n ?? 0
    return { rows, total }
  }

  /** Disabling signs the user out everywhere at once. */
  setDisabled(actorId: string, userId: string, disabled: boolean, meta: RequestMeta) {
    if (actorId === userId && disabled) throw new ForbiddenError('You cannot disable your own account', { code: 'CANNOT_DISABLE_SELF' })
    return transaction(this.db, (tx) => {
      const user = tx.update(users).set({ disabledAt: disabled ? new Date() : null, updatedAt: new Date() }).where(eq(users.id, userId)).returning().get()
      if (!user) throw new NotFoundError('User not found')
      const revoked = disabled ? this.sessions.revokeAllForUser(userId, 'disabled_by_admin', {}, tx) : 0
      this.audit.record({ action: disabled ? 'admin.user.disabled' : 'admin.user.enabled', actorUserId: actorId, targetUserId: userId, meta, details: { sessionsRevoked: revoked } }, tx)
      return user
    })
  }

  setRole(actorId: string, userId: string, role: 'admin' | 'user', meta: RequestMeta) {
    return transaction(this.db, (tx) => {
      const current = tx.select().from(users).where(eq(users.id, userId)).get()
      if (!current) throw new NotFoundError('User not found')
      if (current.role === 'admin' && !current.disabledAt && role === 'user') {
        // Only admins who can still sign in count: a disabled admin cannot run the platform.
        const admins = tx.select({ n: count() }).from(users).where(and(eq(users.role, 'admin'), isNull(users.disabledAt))).get()?.n ?? 0
        if (admins <= 1) throw new ConflictError('The platform needs at least one administrator', { code: 'LAST_ADMIN' })
      }
      const user = tx.update(users).set({ role, updatedAt: new Date() }).where(eq(users.id, userId)).returning().get()!
      this.sessions.userChanged(userId)
      this.audit.record({ action: 'admin.user.role_changed', actorUserId: actorId, targetUserId: userId, meta, details: { from: current.role, to: role } }, tx)
      return user
    })
  }
}
