import { and, asc, count, eq, inArray, ne, sql } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { transaction } from '../../db/client'
import { conversations, participants, type ConversationKind } from '../../db/schema'
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors'
import { newId } from '../../lib/crypto'
import type { ConversationAccess, ConversationRow, ParticipantRow } from './access'
import type { EventSink } from '../../realtime/hub'
import type { ActivityHook, WorkspaceActivity } from '../workspaces/activity'
import {
  CHANNEL_NAME_PATTERN,
  MAX_GROUP_SIZE,
  type Conversation,
  type ConversationSummary,
  type CreateConversationInput,
  type UpdateConversationInput,
  type UpdateMySettingsInput,
} from './model'
import { assertChannelNameFree, assertUnreachable, assertUsersExist, assertWorkspaceMembers, channelName, conversationNotFound, hasReadReceipts, isModerator, isWorkspaceManager, othersThan, workspaceNotFound } from './rules'
import { listingsFor, participantPage, participantsByIds, summariesFor, summaryFor, toConversation } from './views'

/** Who is acting: the platform role decides over lounges. */
export interface Actor {
  id: string
  role: 'admin' | 'user'
}

type ParticipantRole = ParticipantRow['role']
type Created = { summary: ConversationSummary; created: boolean }

/** Work that follows a read pointer moving forward (notifications for the messages read). */
export interface ReadHook {
  onRead(userId: string, conversationId: string, lastReadSeq: number): void
}

/** Channels, groups, DMs and lounges, and who takes part in them. */
export class ConversationService {
  /** Membership changes made by the write in progress; sent to sockets once it commits. */
  #membership: Array<{ userId: string; conversationId: string; joined: boolean }> = []
  /** Member and conversation activity of the write in progress, handed to the activity hooks inside its transaction. */
  #activity: WorkspaceActivity[] = []

  /** `activityHooks` (outgoing webhooks) join the transaction of every member or channel change. */
  constructor(private db: Db, private access: ConversationAccess, private events: EventSink, private readHooks: ReadHook[] = [], private activityHooks: ActivityHook[] = []) {}

  /** Tells every socket in the conversation about a change of its name, topic, privacy or archive state. */
  #announce(conversation: Conversation): Conversation {
    this.events.toConversation(conversation.id, { type: 'conversation.updated', conversation })
    return conversation
  }

  /** A write transaction whose membership changes reach every socket of the users after commit. */
  #write<T>(work: (tx: Tx) => T): T {
    this.#membership = []
    this.#activity = []
    try {
      const result = transaction(this.db, (tx, afterCommit) => {
        const done = work(tx)
        for (const activity of this.#activity) for (const hook of this.activityHooks) hook.onActivity(tx, afterCommit, activity)
        return done
      })
      for (const change of this.#membership) this.events.membershipChanged(change.userId, change.conversationId, change.joined)
      return result
    } finally {
      this.#membership = []
      this.#activity = []
    }
  }

  create(actor: Actor, input: CreateConversationInput): Created {
    return this.#write((tx) => {
      switch (input.kind) {
        case 'channel': {
          const role = this.access.workspaceRole(input.workspaceId, actor.id, tx)
          if (!role) throw workspaceNotFound()
          if (role === 'guest') throw new ForbiddenError('Guests cannot create channels', { code: 'GUEST_NOT_ALLOWED' })
          assertChannelNameFree(tx, input.workspaceId, input.name)
          const others = othersThan(actor.id, input.memberIds)
          assertWorkspaceMembers(tx, input.workspaceId, others)
          const conversation = this.#insert(tx, actor, { kind: 'channel', workspaceId: input.workspaceId, name: input.name, isPrivate: input.isPrivate ?? false, topic: input.topic, description: input.description })
          this.#activity.push({ type: 'conversation.created', conversation, actorId: actor.id, memberIds: [actor.id, ...others] })
          return this.#created(tx, conversation, actor.id, 'owner', others)
        }
        case 'group': {
          const others = othersThan(actor.id, input.memberIds)
          if (others.length === 0) throw new ValidationError('A group needs at least one other member', { code: 'GROUP_TOO_SMALL' })
          assertUsersExist(tx, others)
          if (input.workspaceId) {
            if (!this.access.isWorkspaceMember(input.workspaceId, actor.id, tx)) throw workspaceNotFound()
            assertWorkspaceMembers(tx, input.workspaceId, others)
          }
          const conversation = this.#insert(tx, actor, { kind: 'group', workspaceId: input.workspaceId ?? null, name: input.name?.trim() ?? null })
          return this.#created(tx, conversation, actor.id, 'owner', others)
        }
        case 'dm':
          return this.#openDm(tx, actor, input.userId)
        case 'lounge': {
          if (actor.role !== 'admin') throw new ForbiddenError('Only platform administrators create lounges', { code: 'ADMIN_REQUIRED' })
          const conversation = this.#insert(tx, actor, { kind: 'lounge', workspaceId: null, name: input.name.trim(), topic: input.topic, description: input.description })
          return this.#created(tx, conversation, actor.id, 'owner', [])
        }
        default:
          return assertUnreachable(input)
      }
    })
  }

  /** The id of the DM between two people, opened if there is none yet; for features that message someone directly (story replies). */
  openDirect(userId: string, otherId: string): string {
    return this.#write((tx) => this.#openDm(tx, { id: userId, role: 'user' }, otherId).summary.id)
  }

  list(userId: string, filter: { workspaceId?: string; kind?: ConversationKind }) {
    return summariesFor(this.db, userId, and(
      filter.workspaceId ? eq(conversations.workspaceId, filter.workspaceId) : undefined,
      filter.kind ? eq(conversations.kind, filter.kind) : undefined,
    ))
  }

  get(conversationId: string, userId: string): ConversationSummary {
    const { conversation, participant } = this.access.assertParticipant(conversationId, userId)
    return summaryFor(this.db, conversation, participant)
  }

  update(actor: Actor, conversationId: string, input: UpdateConversationInput): Conversation {
    return this.#announce(this.#write((tx) => {
      const { conversation, participant, workspaceRole } = this.#manageable(tx, conversationId, actor)
      const changes: Partial<typeof conversations.$inferInsert> = { topic: input.topic, description: input.description }
      switch (conversation.kind) {
        case 'dm':
          throw new ConflictError('A direct message has no name, topic or settings to change', { code: 'DM_NOT_EDITABLE' })
        case 'group':
          if (!participant) throw conversationNotFound()
          if (input.isPrivate !== undefined) throw new ValidationError('Only channels can be made private or public', { code: 'NOT_A_CHANNEL' })
          if (input.name !== undefined) changes.name = input.name?.trim() || null
          break
        case 'channel':
          if (!isModerator(participant) && !isWorkspaceManager(workspaceRole)) throw new ForbiddenError('Only channel owners, moderators and workspace admins can change a channel', { code: 'NOT_CHANNEL_MANAGER' })
          if (input.name === null || (input.name !== undefined && !channelName.test(input.name))) {
            throw new ValidationError('Channel names are 1–80 lower-case letters, digits, dashes or underscores', { code: 'VALIDATION_FAILED', details: [{ field: 'name', message: `must match ${CHANNEL_NAME_PATTERN}` }] })
          }
          if (input.name !== undefined && input.name !== conversation.name) assertChannelNameFree(tx, conversation.workspaceId!, input.name)
          changes.name = input.name
          changes.isPrivate = input.isPrivate
          break
        case 'lounge':
          if (!isModerator(participant) && actor.role !== 'admin') throw new ForbiddenError('Only lounge moderators and platform admins can change a lounge', { code: 'NOT_LOUNGE_MODERATOR' })
          if (input.isPrivate !== undefined) throw new ValidationError('Only channels can be made private or public', { code: 'NOT_A_CHANNEL' })
          if (input.name === null) throw new ValidationError('A lounge needs a name', { code: 'VALIDATION_FAILED', details: [{ field: 'name', message: 'must not be null' }] })
          if (input.name !== undefined) changes.name = input.name.trim()
          break
        default:
          return assertUnreachable(conversation.kind)
      }
      return toConversation(tx.update(conversations).set({ ...changes, updatedAt: new Date() }).where(eq(conversations.id, conversationId)).returning().get()!)
    }))
  }

  setArchived(actor: Actor, conversationId: string, archived: boolean): Conversation {
    return this.#announce(this.#write((tx) => {
      const { conversation, participant, workspaceRole } = this.#manageable(tx, conversationId, actor)
      if (conversation.kind !== 'channel') throw new ConflictError('Only channels can be archived', { code: 'NOT_A_CHANNEL' })
      if (participant?.role !== 'owner' && !isWorkspaceManager(workspaceRole)) throw new ForbiddenError('Only the channel owner and workspace admins can archive a channel', { code: 'NOT_CHANNEL_OWNER' })
      if (archived === (conversation.archivedAt !== null)) return toConversation(conversation)
      const updated = tx.update(conversations).set({ archivedAt: archived ? new Date() : null, updatedAt: new Date() }).where(eq(conversations.id, conversationId)).returning().get()!
      this.#activity.push({ type: archived ? 'conversation.archived' : 'conversation.unarchived', conversation: updated, actorId: actor.id })
      return toConversation(updated)
    }))
  }

  /** Public channels of a workspace the caller belongs to; guests see only what they are added to. */
  browse(userId: string, workspaceId: string) {
    const role = this.access.workspaceRole(workspaceId, userId)
    if (!role) throw workspaceNotFound()
    if (role === 'guest') throw new ForbiddenError('Guests cannot browse channels', { code: 'GUEST_NOT_ALLOWED' })
    return listingsFor(this.db, userId, and(eq(conversations.kind, 'channel'), eq(conversations.workspaceId, workspaceId), eq(conversations.isPrivate, false))!)
  }

  lounges(userId: string) {
    return listingsFor(this.db, userId, eq(conversations.kind, 'lounge'))
  }

  /** Idempotent: joining a conversation you are in returns it unchanged. */
  join(userId: string, conversationId: string): ConversationSummary {
    return this.#write((tx) => {
      const conversation = tx.select().from(conversations).where(eq(conversations.id, conversationId)).get()
      if (!conversation) throw conversationNotFound()
      const existing = tx.select().from(participants).where(and(eq(participants.conversationId, conversationId), eq(participants.userId, userId))).get()
      if (existing) return summaryFor(tx, conversation, existing)
      if (conversation.kind === 'channel') {
        const role = conversation.isPrivate ? null : this.access.workspaceRole(conversation.workspaceId!, userId, tx)
        if (!role) throw conversationNotFound()
        if (role === 'guest') throw new ForbiddenError('Guests join channels only when a member adds them', { code: 'GUEST_NOT_ALLOWED' })
      } else if (conversation.kind !== 'lounge') {
        throw conversationNotFound()
      }
      // Checked after visibility, so a ban never reveals a private channel.
      this.access.assertNotBanned(conversationId, userId, tx)
      const participant = tx.insert(participants).values({ conversationId, userId, role: 'member', joinedAt: new Date() }).returning().get()
      this.#membership.push({ userId, conversationId, joined: true })
      this.#activity.push({ type: 'member.joined', scope: 'conversation', conversation, userId, role: 'member', actorId: userId })
      return summaryFor(tx, conversation, participant)
    })
  }

  leave(userId: string, conversationId: string): void {
    this.#write((tx) => {
      const { conversation } = this.access.assertParticipant(conversationId, userId, tx)
      if (conversation.kind === 'dm') throw new ConflictError('You cannot leave a direct message', { code: 'CANNOT_LEAVE_DM' })
      this.#removeParticipant(tx, conversation, userId, { type: 'member.left', actorId: userId })
    })
  }

  participants(userId: string, conversationId: string, page: { limit: number; offset: number }) {
    const { conversation } = this.access.assertParticipant(conversationId, userId)
    return participantPage(this.db, conversationId, page, hasReadReceipts(conversation.kind))
  }

  /** Adds people who are not in yet; those already in are left as they are. */
  addParticipants(userId: string, conversationId: string, userIds: string[]) {
    return this.#write((tx) => {
      const { conversation } = this.access.assertParticipant(conversationId, userId, tx)
      if (conversation.kind === 'dm' || conversation.kind === 'lounge') {
        throw new ConflictError(conversation.kind === 'dm' ? 'A direct message always has the same two people' : 'People join lounges themselves', { code: 'CANNOT_ADD_PARTICIPANTS' })
      }
      const present = new Set(tx.select({ userId: participants.userId }).from(participants).where(and(eq(participants.conversationId, conversationId), inArray(participants.userId, userIds))).all().map((row) => row.userId))
      const added = userIds.filter((id) => !present.has(id))
      // A ban holds against being added by someone else too, not only against joining.
      for (const id of added) {
        if (this.access.activeBan(conversationId, id, tx)) throw new ForbiddenError('That user is banned from this conversation', { code: 'USER_BANNED', details: { userId: id } })
      }
      if (conversation.workspaceId) assertWorkspaceMembers(tx, conversation.workspaceId, added)
      if (conversation.kind === 'group') {
        assertUsersExist(tx, added)
        const size = tx.select({ n: count() }).from(participants).where(eq(participants.conversationId, conversationId)).get()?.n ?? 0
        if (size + added.length > MAX_GROUP_SIZE) throw new ConflictError(`A group has at most ${MAX_GROUP_SIZE} members`, { code: 'GROUP_FULL', details: { limit: MAX_GROUP_SIZE, current: size } })
      }
      this.#insertParticipants(tx, conversationId, added, 'member')
      for (const id of added) this.#activity.push({ type: 'member.joined', scope: 'conversation', conversation, userId: id, role: 'member', actorId: userId })
      return participantsByIds(tx, conversationId, added)
    })
  }

  /** Removing yourself is leaving; DMs never lose a participant. */
  removeParticipant(actor: Actor, conversationId: string, targetId: string): void {
    if (targetId === actor.id) return this.leave(actor.id, conversationId)
    this.#write((tx) => {
      const { conversation, participant, workspaceRole } = this.#manageable(tx, conversationId, actor)
      if (conversation.kind === 'dm') throw new ConflictError('A direct message always has the same two people', { code: 'CANNOT_REMOVE_FROM_DM' })
      const target = tx.select().from(participants).where(and(eq(participants.conversationId, conversationId), eq(participants.userId, targetId))).get()
      const allowed = {
        channel: () => isWorkspaceManager(workspaceRole) || participant?.role === 'owner' || (participant?.role === 'moderator' && target?.role === 'member'),
        group: () => participant !== null && conversation.createdBy === actor.id,
        lounge: () => actor.role === 'admin' || participant?.role === 'owner' || (participant?.role === 'moderator' && target?.role === 'member'),
      }[conversation.kind]()
      if (!participant && !allowed) throw conversationNotFound()
      if (!allowed) throw new ForbiddenError('You cannot remove people from this conversation', { code: 'NOT_ALLOWED_TO_REMOVE' })
      if (!target) throw new NotFoundError('That user is not in this conversation', { code: 'PARTICIPANT_NOT_FOUND' })
      this.#removeParticipant(tx, conversation, targetId, { type: 'member.removed', actorId: actor.id })
    })
  }

  updateMySettings(userId: string, conversationId: string, input: UpdateMySettingsInput): ConversationSummary {
    const { conversation, participant } = this.access.assertParticipant(conversationId, userId)
    if (Object.values(input).every((value) => value === undefined)) return summaryFor(this.db, conversation, participant)
    const updated = this.db.update(participants).set(input).where(and(eq(participants.conversationId, conversationId), eq(participants.userId, userId))).returning().get()
    if (!updated) throw conversationNotFound()
    return summaryFor(this.db, conversation, updated)
  }

  /** Moves the read pointer forward only, and never past the newest message, in one statement. */
  markRead(userId: string, conversationId: string, seq: number) {
    const state = this.#write((tx) => {
      const { conversation } = this.access.assertParticipant(conversationId, userId, tx)
      const row = tx
        .update(participants)
        .set({ lastReadSeq: sql`max(${participants.lastReadSeq}, min(${seq}, ${conversation.lastSeq}))` })
        .where(and(eq(participants.conversationId, conversationId), eq(participants.userId, userId)))
        .returning({ lastReadSeq: participants.lastReadSeq })
        .get()
      if (!row) throw conversationNotFound()
      return { lastReadSeq: row.lastReadSeq, unreadCount: Math.max(0, conversation.lastSeq - row.lastReadSeq), kind: conversation.kind }
    })
    const { kind, ...readState } = state
    // Every device of the reader updates its unread badge; notifications for what was read are read too.
    this.events.toUser(userId, { type: 'read.updated', conversationId, ...readState })
    // In DMs and groups the others see how far each person has read ("Seen").
    if (hasReadReceipts(kind)) this.events.toConversation(conversationId, { type: 'read.receipt', conversationId, userId, lastReadSeq: readState.lastReadSeq })
    for (const hook of this.readHooks) hook.onRead(userId, conversationId, readState.lastReadSeq)
    return readState
  }

  // ---- internals --------------------------------------------------------------------------------


  /** The DM key of a pair is the same whichever side opens it; a DM with yourself is a notes-to-self. */
  #openDm(tx: Tx, actor: Actor, otherId: string): Created {
    const dmKey = [actor.id, otherId].sort().join(':')
    const existing = tx.select().from(conversations).where(eq(conversations.dmKey, dmKey)).get()
    if (existing) {
      // Both sides are in a DM from its creation and cannot leave; this only repairs a missing row.
      this.#insertParticipants(tx, existing.id, [actor.id], 'member')
      return { summary: this.#summaryOrNotFound(tx, existing, actor.id), created: false }
    }
    assertUsersExist(tx, [otherId])
    const conversation = this.#insert(tx, actor, { kind: 'dm', workspaceId: null, name: null, dmKey })
    return this.#created(tx, conversation, actor.id, 'member', [otherId])
  }

  #insert(tx: Tx, actor: Actor, values: Pick<typeof conversations.$inferInsert, 'kind' | 'workspaceId' | 'name' | 'isPrivate' | 'topic' | 'description' | 'dmKey'>): ConversationRow {
    const now = new Date()
    return tx.insert(conversations).values({ ...values, topic: values.topic ?? '', description: values.description ?? '', id: newId(), createdBy: actor.id, createdAt: now, updatedAt: now }).returning().get()
  }

  #created(tx: Tx, conversation: ConversationRow, creatorId: string, creatorRole: ParticipantRole, others: string[]): Created {
    this.#insertParticipants(tx, conversation.id, [creatorId], creatorRole)
    this.#insertParticipants(tx, conversation.id, others, 'member')
    return { summary: this.#summaryOrNotFound(tx, conversation, creatorId), created: true }
  }

  #insertParticipants(tx: Tx, conversationId: string, userIds: string[], role: ParticipantRole) {
    if (userIds.length === 0) return
    const joinedAt = new Date()
    const inserted = tx.insert(participants).values(userIds.map((userId) => ({ conversationId, userId, role, joinedAt }))).onConflictDoNothing().returning({ userId: participants.userId }).all()
    for (const { userId } of inserted) this.#membership.push({ userId, conversationId, joined: true })
  }

  #summaryOrNotFound(tx: Tx, conversation: ConversationRow, userId: string): ConversationSummary {
    const participant = tx.select().from(participants).where(and(eq(participants.conversationId, conversation.id), eq(participants.userId, userId))).get()
    if (!participant) throw conversationNotFound()
    return summaryFor(tx, conversation, participant)
  }

  /**
   * The conversation with the caller's participation and workspace role, for management actions.
   * Workspace owners and admins may manage channels they are not in; platform admins, lounges.
   */
  #manageable(tx: Tx, conversationId: string, actor: Actor) {
    const conversation = tx.select().from(conversations).where(eq(conversations.id, conversationId)).get()
    if (!conversation) throw conversationNotFound()
    const participant = tx.select().from(participants).where(and(eq(participants.conversationId, conversationId), eq(participants.userId, actor.id))).get() ?? null
    const workspaceRole = conversation.kind === 'channel' && conversation.workspaceId ? this.access.workspaceRole(conversation.workspaceId, actor.id, tx) : null
    const oversees = isWorkspaceManager(workspaceRole) || (conversation.kind === 'lounge' && actor.role === 'admin')
    if (!participant && !oversees) throw conversationNotFound()
    return { conversation, participant, workspaceRole }
  }

  /** When the last owner goes, the longest-standing moderator (or member) takes over, so a channel or group is never unmanaged. */
  #removeParticipant(tx: Tx, conversation: ConversationRow, userId: string, how: { type: 'member.left' | 'member.removed'; actorId: string }) {
    const removed = tx.delete(participants).where(and(eq(participants.conversationId, conversation.id), eq(participants.userId, userId))).returning().get()
    if (removed) {
      this.#membership.push({ userId, conversationId: conversation.id, joined: false })
      this.#activity.push({ ...how, scope: 'conversation', conversation, userId, role: removed.role })
    }
    if (removed?.role !== 'owner' || conversation.kind === 'lounge') return
    const owners = tx.select({ n: count() }).from(participants).where(and(eq(participants.conversationId, conversation.id), eq(participants.role, 'owner'))).get()?.n ?? 0
    if (owners > 0) return
    const successor = tx.select({ userId: participants.userId, role: participants.role }).from(participants).where(and(eq(participants.conversationId, conversation.id), ne(participants.userId, userId)))
      .orderBy(sql`case ${participants.role} when 'moderator' then 0 else 1 end`, asc(participants.joinedAt), asc(participants.userId)).limit(1).get()
    if (!successor) return
    tx.update(participants).set({ role: 'owner' }).where(and(eq(participants.conversationId, conversation.id), eq(participants.userId, successor.userId))).run()
    this.#activity.push({ type: 'member.role_changed', scope: 'conversation', conversation, userId: successor.userId, role: 'owner', previousRole: successor.role, actorId: null })
  }
}
