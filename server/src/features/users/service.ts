import { eq } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { transaction } from '../../db/client'
import { users, workspaces } from '../../db/schema'
import { ConflictError, NotFoundError, ValidationError } from '../../errors'
import type { AuditService, RequestMeta } from '../audit/service'
import { assertPasswordAcceptable, hashPassword } from '../auth/passwords'
import type { AttemptThrottle } from '../auth/attempts'
import type { SessionService } from '../auth/sessions'

export interface ProfilePatch {
  displayName?: string
  username?: string
  avatarUrl?: string | null
}

export class UserService {
  constructor(private db: Db, private sessions: SessionService, private attempts: AttemptThrottle, private audit: AuditService) {}

  get(userId: string) {
    const user = this.db.select().from(users).where(eq(users.id, userId)).get()
    if (!user) throw new NotFoundError('User not found')
    return user
  }

  updateProfile(userId: string, patch: ProfilePatch, meta: RequestMeta) {
    const changes: Partial<typeof users.$inferInsert> = {}
    if (patch.displayName !== undefined) {
      const displayName = patch.displayName.trim()
      if (!displayName) throw new ValidationError('Display name cannot be blank', { details: [{ field: 'displayName', message: 'blank' }] })
      changes.displayName = displayName
    }
    if (patch.username !== undefined) changes.username = patch.username.toLowerCase()
    if (patch.avatarUrl !== undefined) changes.avatarUrl = patch.avatarUrl
    return transaction(this.db, (tx) => {
      if (changes.username) {
        const other = tx.select({ id: users.id }).from(users).where(eq(users.username, changes.username)).get()
        if (other && other.id !== userId) throw new ConflictError('This username is taken', { code: 'USERNAME_TAKEN' })
      }
      const updated = tx.update(users).set({ ...changes, updatedAt: new Date() }).where(eq(users.id, userId)).returning().get()
      if (!updated) throw new NotFoundError('User not found')
      this.sessions.userChanged(userId)
      this.audit.record({ action: 'user.profile.updated', actorUserId: userId, targetUserId: userId, meta, details: { fields: Object.keys(changes) } }, tx)
      return updated
    })
  }

  /** Changing the password signs out every other device; the current one stays signed in. */
  async changePassword(userId: string, sessionId: string, currentPassword: string, newPassword: string, meta: RequestMeta): Promise<number> {
    const user = this.get(userId)
    await this.attempts.confirmPassword(user, currentPassword)
    assertPasswordAcceptable(newPassword, { email: user.email, username: user.username })
    const passwordHash = await hashPassword(newPassword)
    return transaction(this.db, (tx) => {
      tx.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, userId)).run()
      const revoked = this.sessions.revokeAllForUser(userId, 'password_changed', { except: sessionId }, tx)
      this.audit.record({ action: 'user.password.changed', actorUserId: userId, targetUserId: userId, meta, details: { sessionsRevoked: revoked } }, tx)
      return revoked
    })
  }

  /** Accounts with a password must confirm it; OAuth-only accounts are already re-authenticated by their token. */
  async deleteAccount(userId: string, password: string | undefined, meta: RequestMeta): Promise<void> {
    const user = this.get(userId)
    if (user.passwordHash) {
      if (password === undefined) throw new ValidationError('Confirm with your password', { details: [{ field: 'password', message: 'required' }] })
      await this.attempts.confirmPassword(user, password)
    }
    transaction(this.db, (tx) => {
      const owned = tx.select({ id: workspaces.id, name: workspaces.name }).from(workspaces).where(eq(workspaces.ownerId, userId)).all()
      if (owned.length > 0) throw new ConflictError('Transfer or delete the workspaces you own first', { code: 'OWNER_MUST_TRANSFER', details: { workspaces: owned } })
      // Revoked before the rows go: sockets close and session caches forget them on every instance.
      this.sessions.revokeAllForUser(userId, 'account_deleted', {}, tx)
      tx.delete(users).where(eq(users.id, userId)).run()
      this.audit.record({ action: 'user.deleted', actorUserId: userId, targetUserId: userId, meta, details: { username: user.username } }, tx)
    })
  }
}
