import { and, desc, eq, gt, isNull, lt, ne, or } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { transaction } from '../../db/client'
import { conversationBans, conversationMutes, conversations, messages, moderationLog, participants, users } from '../../db/schema'
import { ForbiddenError, NotFoundError, RateLimitedError, ValidationError } from '../../errors'
import { newId } from '../../lib/crypto'
import type { EventSink } from '../../realtime/hub'
import type { ConversationAccess, ConversationRow, ParticipantRow } from '../conversations/access'
import type { Actor } from '../conversations/service'
import type { MessageService, SendHook, SentMessage } from '../messages/service'
import type { MessageView } from '../messages/model'
import type { ActivityHook } from '../workspaces/activity'
import { DEFAULT_LOG_PAGE, type Ban, type BanInput, type LogEntry, type ModerationAction, type Mute, type MuteInput } from './model'

/** What a moderator delete needs from messaging; passed per call because messages take this service as a send hook. */
export type MessageDeleter = Pick<MessageService, 'delete'>

type MuteRow = typeof conversationMutes.$inferSelect
type BanRow = typeof conversationBans.$inferSelect
type LogRow = typeof moderationLog.$inferSelect

export interface LogInput {
  action: ModerationAction
  targetUserId?: string
  messageId?: string
  details: Record<string, unknown>
}

const conversationNotFound = () => new NotFoundError('Conversation not found', { code: 'CONVERSATION_NOT_FOUND' })
const minutesFrom = (now: Date, minutes: number) => new Date(now.getTime() + minutes * 60_000)

/**
 * Mutes, bans, slow mode and moderator deletes, each written to the moderation log. As a send hook
 * it refuses muted and too-fast senders inside the send transaction, so a refused message takes no seq.
 */
export class ModerationService implements SendHook {
  /** `activityHooks` (outgoing webhooks) hear of a ban removing someone from a channel, as `member.removed`. */
  constructor(private db: Db, private access: ConversationAccess, private events: EventSink, private activityHooks: ActivityHook[] = []) {}

  onSent(tx: Tx, _afterCommit: unknown, { message, conversation }: SentMessage): void {
    const senderId = message.senderId
    if (!senderId) return
    const now = message.createdAt
    const mute = this.#activeMute(tx, conversation.id, senderId, now)
    if (mute) throw new ForbiddenError('You are muted in this conversation', { code: 'MUTED_IN_CONVERSATION', details: { until: mute.until.toISOString() } })
    const interval = conversation.slowModeSeconds
    if (interval <= 0 || this.#isModerator(tx, conversation, senderId)) return
    const previous = previousMessageQuery(tx, conversation.id, senderId, message.id, new Date(now.getTime() - interval * 1000)).get()
    if (!previous) return
    const retryAfterSeconds = Math.max(1, Math.ceil((previous.createdAt.getTime() + interval * 1000 - now.getTime()) / 1000))
    throw new RateLimitedError(`Slow mode is on: one message every ${interval} seconds`, retryAfterSeconds, { code: 'SLOW_MODE' })
  }

  /** Re-muting replaces the previous mute (a shorter one too). */
  mute(actor: Actor, conversationId: string, input: MuteInput): Mute {
    return transaction(this.db, (tx) => {
      const { conversation } = this.#assertModerator(tx, conversationId, actor)
      this.#assertTarget(tx, conversation, actor, input.userId, { mustParticipate: true })
      const now = new Date()
      const values = { mutedBy: actor.id, reason: input.reason ?? '', createdAt: now, until: minutesFrom(now, input.minutes) }
      const row = tx.insert(conversationMutes).values({ conversationId, userId: input.userId, ...values })
        .onConflictDoUpdate({ target: [conversationMutes.conversationId, conversationMutes.userId], set: values }).returning().get()
      this.#log(tx, conversationId, actor, { action: 'mute', targetUserId: input.userId, details: { minutes: input.minutes, until: row.until.toISOString(), reason: row.reason } })
      return toMute(row)
    })
  }

  unmute(actor: Actor, conversationId: string, userId: string): void {
    transaction(this.db, (tx) => {
      this.#assertModerator(tx, conversationId, actor)
      const removed = tx.delete(conversationMutes).where(and(eq(conversationMutes.conversationId, conversationId), eq(conversationMutes.userId, userId))).returning().get()
      if (!removed || removed.until <= new Date()) throw new NotFoundError('That user is not muted here', { code: 'MUTE_NOT_FOUND' })
      this.#log(tx, conversationId, actor, { action: 'unmute', targetUserId: userId, details: { until: removed.until.toISOString() } })
    })
  }

  /** Removes the user at once (their sockets stop receiving the conversation) and keeps them from joining again. */
  ban(actor: Actor, conversationId: string, input: BanInput): Ban {
    return transaction(this.db, (tx, afterCommit) => {
      const { conversation } = this.#assertModerator(tx, conversationId, actor)
      this.#assertTarget(tx, conversation, actor, input.userId, { mustParticipate: false })
      const now = new Date()
      const values = { bannedBy: actor.id, reason: input.reason ?? '', createdAt: now, expiresAt: input.minutes === undefined ? null : minutesFrom(now, input.minutes) }
      const row = tx.insert(conversationBans).values({ conversationId, userId: input.userId, ...values })
        .onConflictDoUpdate({ target: [conversationBans.conversationId, conversationBans.userId], set: values }).returning().get()
      const removed = tx.delete(participants).where(and(eq(participants.conversationId, conversationId), eq(participants.userId, input.userId))).returning().get()
      if (removed) {
        afterCommit(() => this.events.membershipChanged(input.userId, conversationId, false))
        for (const hook of this.activityHooks) hook.onActivity(tx, afterCommit, { type: 'member.removed', scope: 'conversation', conversation, userId: input.userId, role: removed.role, actorId: actor.id })
      }
      this.#log(tx, conversationId, actor, {
        action: 'ban',
        targetUserId: input.userId,
        details: { minutes: input.minutes ?? null, expiresAt: row.expiresAt?.toISOString() ?? null, reason: row.reason, removed: Boolean(removed) },
      })
      return toBan(row)
    })
  }

  unban(actor: Actor, conversationId: string, userId: string): void {
    transaction(this.db, (tx) => {
      this.#assertModerator(tx, conversationId, actor)
      const active = this.access.activeBan(conversationId, userId, tx)
      tx.delete(conversationBans).where(and(eq(conversationBans.conversationId, conversationId), eq(conversationBans.userId, userId))).run()
      if (!active) throw new NotFoundError('That user is not banned here', { code: 'BAN_NOT_FOUND' })
      this.#log(tx, conversationId, actor, { action: 'unban', targetUserId: userId, details: { expiresAt: active.expiresAt?.toISOString() ?? null } })
    })
  }

  /** Bans still running, newest first. */
  bans(actor: Actor, conversationId: string): Ban[] {
    this.#assertModerator(this.db, conversationId, actor)
    return this.db.select().from(conversationBans)
      .where(and(eq(conversationBans.conversationId, conversationId), or(isNull(conversationBans.expiresAt), gt(conversationBans.expiresAt, new Date()))))
      .orderBy(desc(conversationBans.createdAt))
      .all()
      .map(toBan)
  }

  setSlowMode(actor: Actor, conversationId: string, seconds: number): { conversationId: string; seconds: number } {
    return transaction(this.db, (tx) => {
      const { conversation } = this.#assertModerator(tx, conversationId, actor)
      tx.update(conversations).set({ slowModeSeconds: seconds, updatedAt: new Date() }).where(eq(conversations.id, conversationId)).run()
      this.#log(tx, conversationId, actor, { action: 'slow_mode', details: { seconds, previousSeconds: conversation.slowModeSeconds } })
      return { conversationId, seconds }
    })
  }

  /**
   * Tombstones someone's message through the message service (same events, same rules), then logs
   * it. Deleting an already deleted message changes nothing and logs nothing.
   */
  deleteMessage(actor: Actor, conversationId: string, messageId: string, reason: string, deleter: MessageDeleter): MessageView {
    this.#assertModerator(this.db, conversationId, actor)
    const message = this.db.select().from(messages).where(and(eq(messages.id, messageId), eq(messages.conversationId, conversationId))).get()
    if (!message) throw new NotFoundError('Message not found', { code: 'MESSAGE_NOT_FOUND' })
    const view = deleter.delete(actor.id, conversationId, messageId, { moderatorChecked: true })
    // @NOTE: a second transaction: the message service owns its own; a failure here leaves the delete unlogged, never a message undeleted.
    if (!message.deletedAt) {
      transaction(this.db, (tx) => this.#log(tx, conversationId, actor, { action: 'delete_message', targetUserId: message.senderId ?? undefined, messageId, details: { reason, seq: message.seq } }))
    }
    return view
  }

  /** Newest first; `before` is the id of the last entry of the previous page. */
  log(actor: Actor, conversationId: string, page: { limit?: number; before?: string }): { entries: LogEntry[]; hasMore: boolean } {
    this.#assertModerator(this.db, conversationId, actor)
    const limit = page.limit ?? DEFAULT_LOG_PAGE
    const scope = [eq(moderationLog.conversationId, conversationId)]
    if (page.before) {
      const anchor = this.db.select().from(moderationLog).where(and(eq(moderationLog.id, page.before), eq(moderationLog.conversationId, conversationId))).get()
      if (!anchor) throw new ValidationError('`before` is not an entry of this log', { code: 'INVALID_CURSOR' })
      scope.push(or(lt(moderationLog.createdAt, anchor.createdAt), and(eq(moderationLog.createdAt, anchor.createdAt), lt(moderationLog.id, anchor.id)))!)
    }
    const rows = this.db.select().from(moderationLog).where(and(...scope)).orderBy(desc(moderationLog.createdAt), desc(moderationLog.id)).limit(limit + 1).all()
    return { entries: rows.slice(0, limit).map(toLogEntry), hasMore: rows.length > limit }
  }

  /**
   * Writes an entry for an action another feature took as a moderator (a listing withdrawn), inside
   * that feature's transaction, so the action and its entry commit together.
   */
  record(tx: Tx, conversationId: string, actor: Actor, entry: LogInput): void {
    this.#log(tx, conversationId, actor, entry)
  }

  // ---- internals --------------------------------------------------------------------------------

  /**
   * Moderators are the conversation's owners and moderators, platform admins for lounges and
   * workspace owners and admins for channels (the same people who manage them).
   */
  #isModerator(tx: Db | Tx, conversation: ConversationRow, userId: string, known?: { participant?: ParticipantRow | null; platformRole?: Actor['role'] }): boolean {
    const participant = known?.participant !== undefined ? known.participant : this.#participant(tx, conversation.id, userId)
    if (participant?.role === 'owner' || participant?.role === 'moderator') return true
    if (conversation.kind === 'lounge') {
      const platformRole = known?.platformRole ?? tx.select({ role: users.role }).from(users).where(eq(users.id, userId)).get()?.role
      return platformRole === 'admin'
    }
    if (conversation.kind === 'channel' && conversation.workspaceId) {
      const role = this.access.workspaceRole(conversation.workspaceId, userId, tx)
      return role === 'owner' || role === 'admin'
    }
    return false
  }

  /** Outsiders get 404 (ids do not leak); participants without the role, 403. */
  #assertModerator(tx: Db | Tx, conversationId: string, actor: Actor): { conversation: ConversationRow } {
    const conversation = tx.select().from(conversations).where(eq(conversations.id, conversationId)).get()
    if (!conversation) throw conversationNotFound()
    const participant = this.#participant(tx, conversationId, actor.id)
    const moderator = this.#isModerator(tx, conversation, actor.id, { participant, platformRole: actor.role })
    if (!moderator && !participant) throw conversationNotFound()
    if (!moderator) throw new ForbiddenError('Only moderators can do this', { code: 'MODERATOR_REQUIRED' })
    return { conversation }
  }

  /** Nobody moderates themselves, and moderators cannot act against each other or the owner. */
  #assertTarget(tx: Tx, conversation: ConversationRow, actor: Actor, targetId: string, options: { mustParticipate: boolean }): void {
    if (targetId === actor.id) throw new ForbiddenError('You cannot moderate yourself', { code: 'CANNOT_MODERATE_SELF' })
    const target = tx.select({ role: users.role }).from(users).where(eq(users.id, targetId)).get()
    if (!target) throw new NotFoundError('User not found', { code: 'USER_NOT_FOUND' })
    const participant = this.#participant(tx, conversation.id, targetId)
    if (options.mustParticipate && !participant) throw new NotFoundError('That user is not in this conversation', { code: 'PARTICIPANT_NOT_FOUND' })
    if (this.#isModerator(tx, conversation, targetId, { participant, platformRole: target.role })) {
      throw new ForbiddenError('Moderators and owners cannot be muted or banned', { code: 'CANNOT_MODERATE_MODERATOR' })
    }
  }

  #participant(tx: Db | Tx, conversationId: string, userId: string): ParticipantRow | null {
    return tx.select().from(participants).where(and(eq(participants.conversationId, conversationId), eq(participants.userId, userId))).get() ?? null
  }

  #activeMute(tx: Db | Tx, conversationId: string, userId: string, now: Date): MuteRow | null {
    return tx.select().from(conversationMutes)
      .where(and(eq(conversationMutes.conversationId, conversationId), eq(conversationMutes.userId, userId), gt(conversationMutes.until, now)))
      .get() ?? null
  }

  #log(tx: Tx, conversationId: string, actor: Actor, entry: LogInput): void {
    tx.insert(moderationLog).values({
      id: newId(),
      conversationId,
      actorId: actor.id,
      action: entry.action,
      targetUserId: entry.targetUserId ?? null,
      messageId: entry.messageId ?? null,
      details: entry.details,
      createdAt: new Date(),
    }).run()
  }
}

/**
 * The sender's latest other message in the conversation since `since`: slow mode's one lookup per
 * send, served by messages_conversation_sender_created_idx (a test checks the query plan).
 */
export function previousMessageQuery(tx: Db | Tx, conversationId: string, senderId: string, excludeId: string, since: Date) {
  return tx
    .select({ createdAt: messages.createdAt })
    .from(messages)
    .where(and(eq(messages.conversationId, conversationId), eq(messages.senderId, senderId), ne(messages.id, excludeId), gt(messages.createdAt, since)))
    .orderBy(desc(messages.createdAt))
    .limit(1)
}

function toMute(row: MuteRow): Mute {
  return { conversationId: row.conversationId, userId: row.userId, mutedBy: row.mutedBy, reason: row.reason, createdAt: row.createdAt.toISOString(), until: row.until.toISOString() }
}

function toBan(row: BanRow): Ban {
  return { conversationId: row.conversationId, userId: row.userId, bannedBy: row.bannedBy, reason: row.reason, createdAt: row.createdAt.toISOString(), expiresAt: row.expiresAt?.toISOString() ?? null }
}

function toLogEntry(row: LogRow): LogEntry {
  return {
    id: row.id,
    conversationId: row.conversationId,
    action: row.action as ModerationAction,
    actorId: row.actorId,
    targetUserId: row.targetUserId,
    messageId: row.messageId,
    details: row.details ?? {},
    createdAt: row.createdAt.toISOString(),
  }
}
