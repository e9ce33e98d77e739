import { and, desc, eq, inArray, isNull, lt, lte, or, sql, type SQL } from 'drizzle-orm'
import { alias } from 'drizzle-orm/sqlite-core'
import type { Db, Tx } from '../../db/client'
import { conversations, messages, notifications, participants, users, type NotificationKind } from '../../db/schema'
import { NotFoundError } from '../../errors'
import { newId } from '../../lib/crypto'
import type { EventSink } from '../../realtime/hub'
import type { SendHook, SentMessage } from '../messages/service'
import type { ThreadService } from '../threads/service'
import { DEFAULT_NOTIFICATION_PAGE, PREVIEW_LENGTH, type DndStateView, type NotificationView } from './model'

type NotificationRow = typeof notifications.$inferSelect
type NotificationLevel = typeof participants.$inferSelect.notificationLevel
type AfterCommit = Parameters<SendHook['onSent']>[1]
type Preview = NotificationView['preview']

export interface MissedCallNotice {
  userId: string
  callId: string
  callKind: 'audio' | 'video'
  conversationId: string
  callerId: string | null
}

/** What an observer learns of a stored notification (e.g. to send a Web Push). */
export interface CreatedNotification {
  id: string
  userId: string
  silent: boolean
}

/** Told, after commit, of the notifications that reached their recipients' sockets (none in do-not-disturb). */
export interface NotificationObserver {
  notified(created: CreatedNotification[]): void
}

export interface InviteNotice {
  email: string
  inviteId: string
  workspaceId: string
  workspaceName: string
  role: string
  actorId: string
}

const INSERT_CHUNK = 500
const actor = alias(users, 'actor')

/**
 * Notifications: one row per recipient, written in the transaction that caused them and pushed to
 * the recipient's sockets after it commits (not while they are in do-not-disturb). Previews are
 * built when read, so they follow edits and deletes; a conversation the reader has left hides its notifications.
 */
export class NotificationService implements SendHook {
  #dndListeners: Array<(userId: string) => void> = []

  constructor(private db: Db, private threads: ThreadService, private events: EventSink, private observers: NotificationObserver[] = []) {}

  /**
   * One notification at most per recipient and message: a mention beats a thread reply beats a DM.
   * The conversation's level filters (`none`: nothing, `mentions`: mentions and DMs); muted ones are stored silent.
   */
  onSent(tx: Tx, afterCommit: AfterCommit, { message, conversation }: SentMessage): void {
    // System messages (a call started, a listing sold) announce; they are nobody's DM or mention.
    if (message.type === 'system') return
    const mentions = message.mentions ?? { users: [], channel: false, here: false }
    const everyone = mentions.channel || mentions.here
    const mentioned = new Set(mentions.users)
    const followers = new Set(message.parentId ? this.threads.followers(tx, message.parentId) : [])
    const everybody = everyone || conversation.kind === 'dm'
    const candidates = [...new Set([...mentioned, ...followers])]
    // Most messages in a big channel notify nobody; only then is no participant read at all.
    if (!everybody && candidates.length === 0) return
    const recipients = tx
      .select({ userId: participants.userId, level: participants.notificationLevel, muted: participants.muted, dndUntil: users.dndUntil })
      .from(participants)
      .innerJoin(users, eq(users.id, participants.userId))
      .where(and(eq(participants.conversationId, conversation.id), everybody ? undefined : inArray(participants.userId, candidates)))
      .all()
    const rows: NotificationRow[] = []
    const quiet = new Set<string>()
    for (const recipient of recipients) {
      if (recipient.userId === message.senderId) continue
      const kind: NotificationKind | null = everyone || mentioned.has(recipient.userId) ? 'mention' : followers.has(recipient.userId) ? 'thread_reply' : conversation.kind === 'dm' ? 'dm' : null
      if (!kind || !wants(recipient.level, kind, conversation.kind === 'dm')) continue
      rows.push({
        id: newId(),
        userId: recipient.userId,
        kind,
        actorId: message.senderId,
        conversationId: conversation.id,
        messageId: message.id,
        workspaceId: conversation.workspaceId,
        data: recipient.muted ? { silent: true } : null,
        createdAt: message.createdAt,
        readAt: null,
      })
      if (inDnd(recipient.dndUntil)) quiet.add(recipient.userId)
    }
    if (rows.length === 0) return
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) tx.insert(notifications).values(rows.slice(i, i + INSERT_CHUNK)).run()
    const sender = message.senderId ? tx.select({ displayName: users.displayName }).from(users).where(eq(users.id, message.senderId)).get() : undefined
    const preview: Preview = {
      senderName: sender?.displayName ?? null,
      conversationName: conversation.kind === 'dm' ? null : conversation.name,
      workspaceName: null,
      text: previewText(message.content),
    }
    const pushed = rows.filter((row) => !quiet.has(row.userId))
    afterCommit(() => {
      for (const row of pushed) this.events.toUser(row.userId, { type: 'notification.created', notification: toView(row, message.parentId, preview) })
      this.#observe(pushed)
    })
  }

  /** An email invite to someone who already has an account also lands in their notifications. */
  invite(tx: Tx, afterCommit: AfterCommit, notice: InviteNotice): void {
    const recipient = tx.select({ id: users.id, dndUntil: users.dndUntil }).from(users).where(eq(users.email, notice.email)).get()
    if (!recipient || recipient.id === notice.actorId) return
    const row = tx.insert(notifications).values({
      id: newId(),
      userId: recipient.id,
      kind: 'invite',
      actorId: notice.actorId,
      workspaceId: notice.workspaceId,
      data: { inviteId: notice.inviteId, workspaceName: notice.workspaceName, role: notice.role },
      createdAt: new Date(),
    }).returning().get()
    if (inDnd(recipient.dndUntil)) return
    const inviter = tx.select({ displayName: users.displayName }).from(users).where(eq(users.id, notice.actorId)).get()
    const view = toView(row, null, invitePreview(inviter?.displayName ?? null, row.data))
    afterCommit(() => {
      this.events.toUser(recipient.id, { type: 'notification.created', notification: view })
      this.#observe([row])
    })
  }

  /** A call rang out unanswered: stored for the callee, pushed unless they are in do-not-disturb (silent when the conversation is muted). */
  missedCall(tx: Tx, afterCommit: AfterCommit, notice: MissedCallNotice): void {
    const recipient = tx.select({ dndUntil: users.dndUntil, muted: participants.muted })
      .from(users).leftJoin(participants, and(eq(participants.userId, users.id), eq(participants.conversationId, notice.conversationId)))
      .where(eq(users.id, notice.userId)).get()
    if (!recipient) return
    const conversation = tx.select({ workspaceId: conversations.workspaceId, kind: conversations.kind, name: conversations.name }).from(conversations).where(eq(conversations.id, notice.conversationId)).get()
    const row = tx.insert(notifications).values({
      id: newId(),
      userId: notice.userId,
      kind: 'missed_call',
      actorId: notice.callerId,
      conversationId: notice.conversationId,
      workspaceId: conversation?.workspaceId ?? null,
      data: { callId: notice.callId, callKind: notice.callKind, ...(recipient.muted ? { silent: true } : {}) },
      createdAt: new Date(),
    }).returning().get()
    if (inDnd(recipient.dndUntil)) return
    const caller = notice.callerId ? tx.select({ displayName: users.displayName }).from(users).where(eq(users.id, notice.callerId)).get() : undefined
    const view = toView(row, null, missedCallPreview(caller?.displayName ?? null, conversation?.kind === 'dm' ? null : (conversation?.name ?? null), row.data))
    afterCommit(() => {
      this.events.toUser(notice.userId, { type: 'notification.created', notification: view })
      this.#observe([row])
    })
  }

  /** Newest first; notifications from conversations the user has left are not shown (nor counted). */
  list(userId: string, request: { unread?: boolean; limit?: number; before?: string }): { notifications: NotificationView[]; hasMore: boolean } {
    const limit = request.limit ?? DEFAULT_NOTIFICATION_PAGE
    const rows = this.#select(userId, [request.unread ? isNull(notifications.readAt) : undefined, request.before ? lt(notifications.id, request.before) : undefined], limit + 1)
    return { notifications: rows.slice(0, limit), hasMore: rows.length > limit }
  }

  markRead(userId: string, id: string): NotificationView {
    const found = this.#get(userId, id)
    if (found.readAt) return found
    const readAt = new Date()
    this.db.update(notifications).set({ readAt }).where(and(eq(notifications.id, id), eq(notifications.userId, userId), isNull(notifications.readAt))).run()
    this.events.toUser(userId, { type: 'notification.read', ids: [id] })
    return { ...found, readAt: readAt.toISOString() }
  }

  markAllRead(userId: string, conversationId?: string): { updated: number } {
    const ids = this.db
      .update(notifications)
      .set({ readAt: new Date() })
      .where(and(eq(notifications.userId, userId), isNull(notifications.readAt), conversationId ? eq(notifications.conversationId, conversationId) : undefined))
      .returning({ id: notifications.id })
      .all()
      .map((row) => row.id)
    if (ids.length > 0) this.events.toUser(userId, { type: 'notification.read', ids })
    return { updated: ids.length }
  }

  /** Reading a conversation up to `seq` also reads its notifications for those messages (a ReadHook). */
  onRead(userId: string, conversationId: string, lastReadSeq: number): void {
    const upToSeq = this.db.select({ id: messages.id }).from(messages).where(and(eq(messages.conversationId, conversationId), lte(messages.seq, lastReadSeq)))
    const ids = this.db
      .update(notifications)
      .set({ readAt: new Date() })
      .where(and(eq(notifications.userId, userId), isNull(notifications.readAt), eq(notifications.conversationId, conversationId), inArray(notifications.messageId, upToSeq)))
      .returning({ id: notifications.id })
      .all()
      .map((row) => row.id)
    if (ids.length > 0) this.events.toUser(userId, { type: 'notification.read', ids })
  }

  delete(userId: string, id: string): void {
    this.#get(userId, id)
    this.db.delete(notifications).where(and(eq(notifications.id, id), eq(notifications.userId, userId))).run()
    this.events.toUser(userId, { type: 'notification.deleted', ids: [id] })
  }

  /** Unread notifications in all, and per conversation with the unread mentions among them. */
  unreadCount(userId: string) {
    const rows = this.db
      .select({
        conversationId: notifications.conversationId,
        unread: sql<number>`count(*)`,
        mentions: sql<number>`coalesce(sum(case when ${notifications.kind} = 'mention' then 1 else 0 end), 0)`,
      })
      .from(notifications)
      .where(and(eq(notifications.userId, userId), isNull(notifications.readAt), visibleTo(userId)))
      .groupBy(notifications.conversationId)
      .all()
    return {
      total: rows.reduce((sum, row) => sum + Number(row.unread), 0),
      byConversation: rows.flatMap((row) => (row.conversationId ? [{ conversationId: row.conversationId, unread: Number(row.unread), mentions: Number(row.mentions) }] : [])),
    }
  }

  dnd(userId: string): DndStateView {
    const row = this.db.select({ dndUntil: users.dndUntil }).from(users).where(eq(users.id, userId)).get()
    return dndState(row?.dndUntil ?? null)
  }

  /**
   * A time in the past switches do-not-disturb off, the same as null. Listeners (the socket presence,
   * which shows `dnd` while it is on) hear of the change unless `quiet` (the presence itself setting it).
   */
  setDnd(userId: string, until: string | null, options: { quiet?: boolean } = {}): DndStateView {
    const date = until ? new Date(until) : null
    const dndUntil = date && date.getTime() > Date.now() ? date : null
    this.db.update(users).set({ dndUntil }).where(eq(users.id, userId)).run()
    if (!options.quiet) for (const listener of this.#dndListeners) listener(userId)
    return dndState(dndUntil)
  }

  onDndChanged(listener: (userId: string) => void): void {
    this.#dndListeners.push(listener)
  }

  #observe(rows: NotificationRow[]): void {
    if (rows.length === 0) return
    const created = rows.map((row) => ({ id: row.id, userId: row.userId, silent: row.data?.silent === true }))
    for (const observer of this.observers) observer.notified(created)
  }

  #get(userId: string, id: string): NotificationView {
    const found = this.#select(userId, [eq(notifications.id, id)], 1)[0]
    if (!found) throw new NotFoundError('Notification not found', { code: 'NOTIFICATION_NOT_FOUND' })
    return found
  }

  #select(userId: string, filters: Array<SQL | undefined>, limit: number): NotificationView[] {
    return this.db
      .select({
        notification: notifications,
        content: messages.content,
        deletedAt: messages.deletedAt,
        parentId: messages.parentId,
        senderName: actor.displayName,
        conversationName: conversations.name,
        conversationKind: conversations.kind,
      })
      .from(notifications)
      .leftJoin(messages, eq(messages.id, notifications.messageId))
      .leftJoin(actor, eq(actor.id, notifications.actorId))
      .leftJoin(conversations, eq(conversations.id, notifications.conversationId))
      .where(and(eq(notifications.userId, userId), visibleTo(userId), ...filters))
      // Ids are UUIDv7: their order is creation order, and they double as the page cursor.
      .orderBy(desc(notifications.id))
      .limit(limit)
      .all()
      .map((row) => {
        const preview: Preview = row.notification.kind === 'invite'
          ? invitePreview(row.senderName, row.notification.data)
          : row.notification.kind === 'missed_call'
          ? missedCallPreview(row.senderName, row.conversationKind === 'dm' ? null : row.conversationName, row.notification.data)
          : {
              senderName: row.senderName,
              conversationName: row.conversationKind === 'dm' ? null : row.conversationName,
              workspaceName: null,
              text: row.deletedAt ? '' : previewText(row.content ?? ''),
            }
        return toView(row.notification, row.parentId, preview)
      })
  }
}

/** Only what the user may still read: invites, and conversations they are a participant of now. */
function visibleTo(userId: string): SQL {
  return or(
    isNull(notifications.conversationId),
    inArray(notifications.conversationId, sql`(select ${participants.conversationId} from ${participants} where ${participants.userId} = ${userId})`),
  )!
}

function wants(level: NotificationLevel, kind: NotificationKind, isDm: boolean): boolean {
  if (level === 'none') return false
  // In a DM every message is addressed to you, so it counts as a mention.
  if (level === 'mentions') return kind === 'mention' || isDm
  return true
}

function inDnd(until: Date | null): boolean {
  return until !== null && until.getTime() > Date.now()
}

function dndState(until: Date | null): DndStateView {
  return { until: until?.toISOString() ?? null, active: inDnd(until) }
}

function previewText(content: string): string {
  const chars = [...content]
  return chars.length > PREVIEW_LENGTH ? chars.slice(0, PREVIEW_LENGTH).join('') : content
}

function invitePreview(inviterName: string | null, data: Record<string, unknown> | null): Preview {
  const workspaceName = typeof data?.workspaceName === 'string' ? data.workspaceName : null
  const role = typeof data?.role === 'string' ? data.role : 'member'
  return { senderName: inviterName, conversationName: null, workspaceName, text: `Invited you to ${workspaceName ?? 'a workspace'} as ${role}` }
}

function missedCallPreview(callerName: string | null, conversationName: string | null, data: Record<string, unknown> | null): Preview {
  const kind = data?.callKind === 'video' ? 'video' : 'audio'
  return { senderName: callerName, conversationName, workspaceName: null, text: `Missed ${kind} call` }
}

function toView(row: NotificationRow, threadRootId: string | null, preview: Preview): NotificationView {
  return {
    id: row.id,
    kind: row.kind,
    actorId: row.actorId,
    conversationId: row.conversationId,
    messageId: row.messageId,
    threadRootId,
    workspaceId: row.workspaceId,
    silent: row.data?.silent === true,
    createdAt: row.createdAt.toISOString(),
    readAt: row.readAt?.toISOString() ?? null,
    preview,
  }
}
