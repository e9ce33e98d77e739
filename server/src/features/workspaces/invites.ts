import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm'
import type { Config } from '../../config'
import { transaction, type Db, type Tx } from '../../db/client'
import { users, workspaceInvites, workspaceMembers, workspaces } from '../../db/schema'
import { ConflictError, ForbiddenError, GoneError, NotFoundError } from '../../errors'
import { newId, randomToken, sha256 } from '../../lib/crypto'
import type { AuditService, RequestMeta } from '../audit/service'
import { normalizeEmail } from '../auth/service'
import type { MailService } from '../mail/service'
import type { NotificationService } from '../notifications/service'
import type { ActivityHook } from './activity'
import { MANAGERS, type Membership, type WorkspaceMembership } from './membership'
import type { CreateInviteInput } from './model'


type InviteRow = typeof workspaceInvites.$inferSelect

const DEFAULT_TTL_HOURS = 168
const HOUR_MS = 3_600_000

/** Invites by email (a token mailed to one address, single use) and by link (a code with optional use cap). */
export class WorkspaceInvites {
  constructor(private db: Db, private config: Config, private mail: MailService, private audit: AuditService, private membership: WorkspaceMembership, private notifications: NotificationService, private activity: ActivityHook[] = []) {}

  /** The plain code leaves only in the mail (email) or in this answer (link); the table keeps its hash. */
  create(workspaceId: string, actorId: string, input: CreateInviteInput, meta: RequestMeta): { invite: InviteRow; code?: string; joinUrl?: string } {
    const code = randomToken()
    const joinUrl = `${this.config.publicUrl}/join/${code}`
    const hours = input.expiresInHours ?? DEFAULT_TTL_HOURS
    return transaction(this.db, (tx, afterCommit) => {
      const { workspace } = this.membership.assertRole(workspaceId, actorId, MANAGERS, tx)
      const email = input.kind === 'email' ? normalizeEmail(input.email) : null
      if (email) {
        const member = tx.select({ id: users.id }).from(users)
          .innerJoin(workspaceMembers, and(eq(workspaceMembers.userId, users.id), eq(workspaceMembers.workspaceId, workspaceId)))
          .where(eq(users.email, email)).get()
        if (member) throw new ConflictError('Someone with this email is already a member', { code: 'ALREADY_MEMBER' })
      }
      const now = new Date()
      const invite = tx.insert(workspaceInvites).values({
        id: newId(),
        workspaceId,
        kind: input.kind,
        codeHash: sha256(code),
        email,
        role: input.role ?? 'member',
        createdBy: actorId,
        createdAt: now,
        expiresAt: new Date(now.getTime() + hours * HOUR_MS),
        maxUses: input.kind === 'email' ? 1 : (input.maxUses ?? null),
      }).returning().get()
      this.audit.record({ action: 'workspace.invite.created', actorUserId: actorId, meta, details: { workspaceId, inviteId: invite.id, kind: invite.kind, role: invite.role, email } }, tx)
      if (!email) return { invite, code, joinUrl }
      // Someone who already has an account also sees the invite in Parley, not only by mail.
      this.notifications.invite(tx, afterCommit, { email, inviteId: invite.id, workspaceId, workspaceName: workspace.name, role: invite.role, actorId })
      const inviter = tx.select({ displayName: users.displayName }).from(users).where(eq(users.id, actorId)).get()
      const text = `${inviter?.displayName ?? 'Someone'} invited you to the workspace ${workspace.name} on Parley as ${invite.role}.\n\nJoin within ${hours} hours, signed in with this email address:\n${joinUrl}\n\nToken: ${code}`
      afterCommit(async () => {
        await this.mail.send({ to: email, kind: 'workspace_invite', secrets: [code], subject: `Join ${workspace.name} on Parley`, text })
      })
      return { invite }
    })
  }

  /** Invites that can still be accepted, newest first. */
  listActive(workspaceId: string, actorId: string): InviteRow[] {
    this.membership.assertRole(workspaceId, actorId, MANAGERS)
    const now = new Date()
    return this.db.select().from(workspaceInvites)
      .where(and(
        eq(workspaceInvites.workspaceId, workspaceId),
        isNull(workspaceInvites.revokedAt),
        or(isNull(workspaceInvites.expiresAt), gt(workspaceInvites.expiresAt, now)),
        or(isNull(workspaceInvites.maxUses), lt(workspaceInvites.uses, workspaceInvites.maxUses)),
      ))
      .orderBy(desc(workspaceInvites.createdAt), desc(workspaceInvites.id))
      .all()
  }

  revoke(workspaceId: string, actorId: string, inviteId: string, meta: RequestMeta): void {
    transaction(this.db, (tx) => {
      this.membership.assertRole(workspaceId, actorId, MANAGERS, tx)
      const revoked = tx.update(workspaceInvites).set({ revokedAt: new Date() })
        .where(and(eq(workspaceInvites.id, inviteId), eq(workspaceInvites.workspaceId, workspaceId), isNull(workspaceInvites.revokedAt)))
        .returning({ id: workspaceInvites.id, kind: workspaceInvites.kind }).get()
      if (!revoked) throw inviteNotFound()
      this.audit.record({ action: 'workspace.invite.revoked', actorUserId: actorId, meta, details: { workspaceId, inviteId, kind: revoked.kind } }, tx)
    })
  }

  /** What a signed-in user sees before joining; anything that cannot be accepted is simply not found. */
  preview(code: string, userId: string) {
    const found = this.#find(code, this.db)
    if (!found || found.invite.revokedAt || isExpired(found.invite) || isUsedUp(found.invite)) throw inviteNotFound()
    return { ...found, alreadyMember: Boolean(this.membership.find(found.workspace.id, userId)) }
  }

  /** Joins the workspace; accepting again as a member answers the membership without spending a use. */
  accept(code: string, userId: string, meta: RequestMeta): { joined: boolean; membership: Membership } {
    return transaction(this.db, (tx, afterCommit) => {
      const found = this.#find(code, tx)
      if (!found || found.invite.revokedAt) throw inviteNotFound()
      const { invite, workspace } = found
      const existing = this.membership.find(workspace.id, userId, tx)
      if (existing) return { joined: false, membership: existing }
      if (invite.kind === 'email') {
        const user = tx.select({ email: users.email }).from(users).where(eq(users.id, userId)).get()
        if (!user || normalizeEmail(user.email) !== invite.email) throw new ForbiddenError('This invite was sent to a different email address', { code: 'INVITE_EMAIL_MISMATCH' })
      }
      if (isExpired(invite)) throw new GoneError('This invite has expired', { code: 'INVITE_EXPIRED' })
      if (isUsedUp(invite)) throw usedUp()
      // The guarded increment is what enforces the cap, whatever the checks above saw.
      const counted = tx.update(workspaceInvites).set({ uses: sql`${workspaceInvites.uses} + 1` })
        .where(and(
          eq(workspaceInvites.id, invite.id),
          isNull(workspaceInvites.revokedAt),
          or(isNull(workspaceInvites.maxUses), lt(workspaceInvites.uses, workspaceInvites.maxUses)),
          or(isNull(workspaceInvites.expiresAt), gt(workspaceInvites.expiresAt, new Date())),
        ))
        .returning({ id: workspaceInvites.id }).get()
      if (!counted) throw usedUp()
      tx.insert(workspaceMembers).values({ workspaceId: workspace.id, userId, role: invite.role, joinedAt: new Date() }).run()
      this.audit.record({ action: 'workspace.joined', actorUserId: userId, targetUserId: userId, meta, details: { workspaceId: workspace.id, inviteId: invite.id, kind: invite.kind, role: invite.role, invitedBy: invite.createdBy } }, tx)
      for (const hook of this.activity) hook.onActivity(tx, afterCommit, { type: 'member.joined', scope: 'workspace', workspaceId: workspace.id, userId, role: invite.role, actorId: userId })
      return { joined: true, membership: { workspace, role: invite.role } }
    })
  }

  #find(code: string, tx: Db | Tx) {
    return tx.select({ invite: workspaceInvites, workspace: workspaces }).from(workspaceInvites)
      .innerJoin(workspaces, eq(workspaces.id, workspaceInvites.workspaceId))
      .where(eq(workspaceInvites.codeHash, sha256(code))).get()
  }
}

function isExpired(invite: InviteRow): boolean {
  return invite.expiresAt !== null && invite.expiresAt.getTime() <= Date.now()
}

function isUsedUp(invite: InviteRow): boolean {
  return invite.maxUses !== null && invite.uses >= invite.maxUses
}

function inviteNotFound() {
  return new NotFoundError('This invite does not exist or is no longer valid', { code: 'INVITE_NOT_FOUND' })
}

function usedUp() {
  return new ConflictError('This invite has been used up', { code: 'INVITE_USED_UP' })
}
