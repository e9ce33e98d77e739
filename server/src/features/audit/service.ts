import { and, desc, eq, lt, type SQL } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { auditLog } from '../../db/schema'
import { newId } from '../../lib/crypto'

export type AuditAction =
  | 'auth.register'
  | 'auth.login.success'
  | 'auth.login.failure'
  | 'auth.login.throttled'
  | 'auth.logout'
  | 'auth.refresh.reuse_detected'
  | 'auth.email.verified'
  | 'auth.password.reset_requested'
  | 'auth.password.reset'
  | 'auth.oauth.login'
  | 'auth.oauth.linked'
  | 'user.password.changed'
  | 'user.profile.updated'
  | 'user.deleted'
  | 'user.mfa.enabled'
  | 'user.mfa.disabled'
  | 'user.mfa.recovery_codes_regenerated'
  | 'user.mfa.failure'
  | 'session.revoked'
  | 'session.revoked_others'
  | 'admin.user.disabled'
  | 'admin.user.enabled'
  | 'admin.user.role_changed'
  | 'workspace.created'
  | 'workspace.updated'
  | 'workspace.deleted'
  | 'workspace.member.removed'
  | 'workspace.member.left'
  | 'workspace.member.role_changed'
  | 'workspace.ownership.transferred'
  | 'workspace.invite.created'
  | 'workspace.invite.revoked'
  | 'workspace.joined'

export interface RequestMeta {
  ip: string | null
  userAgent: string | null
}

export interface AuditEntry {
  action: AuditAction
  actorUserId?: string | null
  targetUserId?: string | null
  meta?: RequestMeta
  details?: Record<string, unknown>
}

export class AuditService {
  constructor(private db: Db) {}

  record(entry: AuditEntry, tx: Db | Tx = this.db): void {
    tx.insert(auditLog)
      .values({
        id: newId(),
        at: new Date(),
        action: entry.action,
        actorUserId: entry.actorUserId ?? null,
        targetUserId: entry.targetUserId ?? null,
        ip: entry.meta?.ip ?? null,
        userAgent: entry.meta?.userAgent ?? null,
        details: entry.details ?? null,
      })
      .run()
  }

  list(filter: { limit: number; before?: Date; action?: string; userId?: string }) {
    const conditions: SQL[] = []
    if (filter.before) conditions.push(lt(auditLog.at, filter.before))
    if (filter.action) conditions.push(eq(auditLog.action, filter.action))
    if (filter.userId) conditions.push(eq(auditLog.targetUserId, filter.userId))
    return this.db.select().from(auditLog).where(and(...conditions)).orderBy(desc(auditLog.at), desc(auditLog.id)).limit(filter.limit).all()
  }
}
