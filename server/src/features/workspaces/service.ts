import { and, asc, count, eq } from 'drizzle-orm'
import type { Config } from '../../config'
import { transaction, type Db, type Tx } from '../../db/client'
import { users, workspaceMembers, workspaces, type WorkspaceRole } from '../../db/schema'
import { ConflictError, ForbiddenError } from '../../errors'
import { newId } from '../../lib/crypto'
import type { AuditService, RequestMeta } from '../audit/service'
import type { MailService } from '../mail/service'
import type { NotificationService } from '../notifications/service'
import { WorkspaceInvites } from './invites'
import { MANAGERS, OWNER, WorkspaceMembership, type Membership } from './membership'
import type { UpdateWorkspaceInput } from './model'
import { leaveWorkspaceConversations } from '../conversations/membership'
import type { EventSink } from '../../realtime/hub'
import type { ActivityHook, MemberActivity } from './activity'

/** Workspaces, members and roles; invites live in `invites`. */
export class WorkspaceService {
  readonly membership: WorkspaceMembership
  readonly invites: WorkspaceInvites

  /** `activity` hooks (outgoing webhooks) join the transaction of every member change. */
  constructor(private db: Db, config: Config, mail: MailService, private audit: AuditService, private events: EventSink, notifications: NotificationService, private activity: ActivityHook[] = []) {
    this.membership = new WorkspaceMembership(db)
    this.invites = new WorkspaceInvites(db, config, mail, audit, this.membership, notifications, activity)
  }

  create(actorId: string, input: { name: string; slug?: string; description?: string }, meta: RequestMeta): Membership {
    const name = input.name.trim()
    return transaction(this.db, (tx) => {
      const slug = input.slug ?? freeSlug(tx, slugFrom(name))
      assertSlugFree(tx, slug)
      const now = new Date()
      const workspace = tx.insert(workspaces).values({ id: newId(), slug, name, description: input.description?.trim() ?? '', ownerId: actorId, createdAt: now, updatedAt: now }).returning().get()
      tx.insert(workspaceMembers).values({ workspaceId: workspace.id, userId: actorId, role: 'owner', joinedAt: now }).run()
      this.audit.record({ action: 'workspace.created', actorUserId: actorId, meta, details: { workspaceId: workspace.id, slug } }, tx)
      return { workspace, role: 'owner' as const }
    })
  }

  listMine(userId: string): Membership[] {
    return this.db.select({ workspace: workspaces, role: workspaceMembers.role }).from(workspaceMembers)
      .innerJoin(workspaces, eq(workspaces.id, workspaceMembers.workspaceId))
      .where(eq(workspaceMembers.userId, userId))
      .orderBy(asc(workspaces.name), asc(workspaces.id))
      .all()
  }

  get(workspaceId: string, userId: string): Membership {
    return this.membership.assertMember(workspaceId, userId)
  }

  update(workspaceId: string, actorId: string, input: UpdateWorkspaceInput, meta: RequestMeta): Membership {
    return transaction(this.db, (tx) => {
      const { workspace, role } = this.membership.assertRole(workspaceId, actorId, MANAGERS, tx)
      if (input.slug !== undefined && input.slug !== workspace.slug) assertSlugFree(tx, input.slug)
      const changes = {
        ...(input.name === undefined ? {} : { name: input.name.trim() }),
        ...(input.slug === undefined ? {} : { slug: input.slug }),
        ...(input.description === undefined ? {} : { description: input.description.trim() }),
        ...(input.avatarUrl === undefined ? {} : { avatarUrl: input.avatarUrl }),
      }
      if (Object.keys(changes).length === 0) return { workspace, role }
      const updated = tx.update(workspaces).set({ ...changes, updatedAt: new Date() }).where(eq(workspaces.id, workspaceId)).returning().get()!
      this.audit.record({ action: 'workspace.updated', actorUserId: actorId, meta, details: { workspaceId, fields: Object.keys(changes) } }, tx)
      return { workspace: updated, role }
    })
  }

  /** Members, invites, conversations and their messages go with it (foreign keys cascade). */
  delete(workspaceId: string, actorId: string, meta: RequestMeta): void {
    transaction(this.db, (tx) => {
      const { workspace } = this.membership.assertRole(workspaceId, actorId, OWNER, tx)
      const members = tx.select({ n: count() }).from(workspaceMembers).where(eq(workspaceMembers.workspaceId, workspaceId)).get()?.n ?? 0
      tx.delete(workspaces).where(eq(workspaces.id, workspaceId)).run()
      this.audit.record({ action: 'workspace.deleted', actorUserId: actorId, meta, details: { workspaceId, slug: workspace.slug, name: workspace.name, members } }, tx)
    })
  }

  listMembers(workspaceId: string, userId: string, page: { limit: number; offset: number }) {
    this.membership.assertMember(workspaceId, userId)
    const rows = this.db.select({ member: workspaceMembers, user: { id: users.id, username: users.username, displayName: users.displayName, avatarUrl: users.avatarUrl } })
      .from(workspaceMembers)
      .innerJoin(users, eq(users.id, workspaceMembers.userId))
      .where(eq(workspaceMembers.workspaceId, workspaceId))
      .orderBy(asc(workspaceMembers.joinedAt), asc(workspaceMembers.userId))
      .limit(page.limit)
      .offset(page.offset)
      .all()
    const total = this.db.select({ n: count() }).from(workspaceMembers).where(eq(workspaceMembers.workspaceId, workspaceId)).get()?.n ?? 0
    return { rows, total }
  }

  getMember(workspaceId: string, userId: string, tx: Db | Tx = this.db) {
    return tx.select({ member: workspaceMembers, user: { id: users.id, username: users.username, displayName: users.displayName, avatarUrl: users.avatarUrl } })
      .from(workspaceMembers)
      .innerJoin(users, eq(users.id, workspaceMembers.userId))
      .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)))
      .get()!
  }

  /** Owners and admins manage roles; admins cannot touch the owner, and nobody changes their own role. */
  changeRole(workspaceId: string, actorId: string, targetId: string, role: Exclude<WorkspaceRole, 'owner'>, meta: RequestMeta) {
    return transaction(this.db, (tx, afterCommit) => {
      this.membership.assertRole(workspaceId, actorId, MANAGERS, tx)
      if (targetId === actorId) throw new ForbiddenError('You cannot change your own role', { code: 'CANNOT_CHANGE_OWN_ROLE' })
      const current = this.membership.assertTarget(workspaceId, targetId, tx)
      if (current === 'owner') throw new ForbiddenError('The owner\'s role only changes through an ownership transfer', { code: 'CANNOT_CHANGE_OWNER' })
      if (current !== role) {
        tx.update(workspaceMembers).set({ role }).where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, targetId))).run()
        this.audit.record({ action: 'workspace.member.role_changed', actorUserId: actorId, targetUserId: targetId, meta, details: { workspaceId, from: current, to: role } }, tx)
        this.#emit(tx, afterCommit, { type: 'member.role_changed', scope: 'workspace', workspaceId, userId: targetId, role, previousRole: current, actorId })
      }
      return this.getMember(workspaceId, targetId, tx)
    })
  }

  /** Removing yourself is leaving; the owner can be neither removed nor leave without a transfer. */
  removeMember(workspaceId: string, actorId: string, targetId: string, meta: RequestMeta): void {
    if (targetId === actorId) return this.leave(workspaceId, actorId, meta)
    transaction(this.db, (tx, afterCommit) => {
      this.membership.assertRole(workspaceId, actorId, MANAGERS, tx)
      const role = this.membership.assertTarget(workspaceId, targetId, tx)
      if (role === 'owner') throw new ForbiddenError('The workspace owner cannot be removed', { code: 'CANNOT_REMOVE_OWNER' })
      tx.delete(workspaceMembers).where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, targetId))).run()
      const conversationIds = this.#leaveConversations(tx, afterCommit, workspaceId, targetId)
      this.audit.record({ action: 'workspace.member.removed', actorUserId: actorId, targetUserId: targetId, meta, details: { workspaceId, role } }, tx)
      this.#emit(tx, afterCommit, { type: 'member.removed', scope: 'workspace', workspaceId, userId: targetId, role, actorId, conversationIds })
    })
  }

  leave(workspaceId: string, userId: string, meta: RequestMeta): void {
    transaction(this.db, (tx, afterCommit) => {
      const { role } = this.membership.assertMember(workspaceId, userId, tx)
      if (role === 'owner') throw new ConflictError('Transfer ownership to another member before leaving', { code: 'OWNER_MUST_TRANSFER' })
      tx.delete(workspaceMembers).where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId))).run()
      const conversationIds = this.#leaveConversations(tx, afterCommit, workspaceId, userId)
      this.audit.record({ action: 'workspace.member.left', actorUserId: userId, targetUserId: userId, meta, details: { workspaceId, role } }, tx)
      this.#emit(tx, afterCommit, { type: 'member.left', scope: 'workspace', workspaceId, userId, role, actorId: userId, conversationIds })
    })
  }

  /** Returns the conversations left, which a member event lists instead of one event per channel. */
  #leaveConversations(tx: Tx, afterCommit: (effect: () => void) => void, workspaceId: string, userId: string): string[] {
    const left = leaveWorkspaceConversations(tx, workspaceId, userId)
    afterCommit(() => {
      for (const conversationId of left) this.events.membershipChanged(userId, conversationId, false)
    })
    return left
  }

  #emit(tx: Tx, afterCommit: (effect: () => void) => void, activity: MemberActivity): void {
    for (const hook of this.activity) hook.onActivity(tx, afterCommit, activity)
  }

  /** The new owner must already be a member; the old owner stays on as an admin. */
  transferOwnership(workspaceId: string, actorId: string, targetId: string, meta: RequestMeta): Membership {
    return transaction(this.db, (tx, afterCommit) => {
      this.membership.assertRole(workspaceId, actorId, OWNER, tx)
      if (targetId === actorId) throw new ConflictError('You already own this workspace', { code: 'ALREADY_OWNER' })
      const previousRole = this.membership.assertTarget(workspaceId, targetId, tx)
      const member = (userId: string) => and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId))
      tx.update(workspaceMembers).set({ role: 'admin' }).where(member(actorId)).run()
      tx.update(workspaceMembers).set({ role: 'owner' }).where(member(targetId)).run()
      const workspace = tx.update(workspaces).set({ ownerId: targetId, updatedAt: new Date() }).where(eq(workspaces.id, workspaceId)).returning().get()!
      this.audit.record({ action: 'workspace.ownership.transferred', actorUserId: actorId, targetUserId: targetId, meta, details: { workspaceId, previousRole } }, tx)
      this.#emit(tx, afterCommit, { type: 'member.role_changed', scope: 'workspace', workspaceId, userId: targetId, role: 'owner', previousRole, actorId })
      this.#emit(tx, afterCommit, { type: 'member.role_changed', scope: 'workspace', workspaceId, userId: actorId, role: 'admin', previousRole: 'owner', actorId })
      return { workspace, role: 'admin' as const }
    })
  }
}

/** `Team Rocket!` → `team-rocket`; names without a usable letter fall back to `workspace`. */
export function slugFrom(name: string): string {
  const slug = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40).replace(/-+$/, '')
  return slug.length >= 2 ? slug : 'workspace'
}

function slugTaken(tx: Db | Tx, slug: string): boolean {
  return Boolean(tx.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.slug, slug)).get())
}

function assertSlugFree(tx: Db | Tx, slug: string): void {
  if (slugTaken(tx, slug)) throw new ConflictError('This workspace address is taken', { code: 'SLUG_TAKEN' })
}

/** A derived slug must not fail the request: `team`, `team-2`, … then a random tail. */
function freeSlug(tx: Db | Tx, base: string): string {
  if (!slugTaken(tx, base)) return base
  for (let n = 2; n <= 20; n++) {
    const candidate = `${base.slice(0, 40 - String(n).length - 1)}-${n}`
    if (!slugTaken(tx, candidate)) return candidate
  }
  return `${base.slice(0, 31)}-${newId().slice(-8).toLowerCase()}`
}
