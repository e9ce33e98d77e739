import { and, asc, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { transaction } from '../../db/client'
import { conversations, messageEdits, messages, participants, pins, reactions } from '../../db/schema'
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../../errors'
import { newId } from '../../lib/crypto'
import type { ConversationAccess, ConversationRow } from '../conversations/access'
import type { EventSink } from '../../realtime/hub'
import { parseMentions } from './mentions'
import { DEFAULT_PAGE, type MessageView } from './model'
import { messageViews, nextVersion, touch, type MessageRow } from './rows'
import { attachmentIdsOf, type MessageAttachments } from '../files/attachments'

// Other features build message views and rows through this module.
export { messageViews, type MessageRow }

type AfterCommit = Parameters<Parameters<typeof transaction>[1]>[1]

/** A message just appended, with its conversation as of that append. */
export interface SentMessage {
  message: MessageRow
  conversation: ConversationRow
}

/** Work that joins the send transaction (thread follows, notifications), so it commits or rolls back with the message. */
export interface SendHook {
  onSent(tx: Tx, afterCommit: AfterCommit, sent: SentMessage): void
  /** An existing message was edited or deleted (same transaction rules as onSent). */
  onChanged?(tx: Tx, afterCommit: AfterCommit, change: SentMessage & { kind: 'updated' | 'deleted' }): void
}

interface AppendInput {
  content: string
  parentId: string | null
  clientMsgId: string | null
  forwardedFromId: string | null
  /** Defaults to 'text'; 'system' messages have no sender and parse no mentions. */
  type?: 'text' | 'system' | 'file' | 'voice'
  /** The incoming webhook posting it (no sender). */
  bot?: { webhookId: string; name: string }
}

/** A caller's open transaction, so a system message commits or rolls back with the change it reports. */
export interface TransactionScope {
  tx: Tx
  afterCommit: AfterCommit
}

export interface SendInput {
  content: string
  clientMsgId?: string
  parentId?: string
  /** File ids of the sender's finished uploads. */
  attachments?: string[]
}

export interface PageRequest {
  before?: number
  after?: number
  around?: number
  limit?: number
  rootsOnly?: boolean
}


/** Messages: send with gap-free seq, history by cursor, edits, deletes, reactions, threads, pins. */
export class MessageService {
  /** Hooks run in order inside every send; later hooks see what earlier ones wrote. */
  constructor(private db: Db, private access: ConversationAccess, private events: EventSink, private hooks: SendHook[] = [], private attachments?: MessageAttachments) {}

  /**
   * Appends a message: the seq is taken from the conversation row inside one immediate transaction,
   * so concurrent senders (and API instances on one database) can never share or skip a seq. A
   * retried send with the same clientMsgId returns the original instead of a duplicate.
   */
  send(userId: string, conversationId: string, input: SendInput): { message: MessageView; replayed: boolean } {
    const content = input.content.replace(/\s+$/, '')
    if (!content.trim()) throw new BadRequestError('A message needs some text', { code: 'EMPTY_MESSAGE' })
    const result = transaction(this.db, (tx, afterCommit) => {
      if (input.clientMsgId) {
        const existing = tx.select().from(messages).where(and(eq(messages.senderId, userId), eq(messages.clientMsgId, input.clientMsgId))).get()
        if (existing) {
          if (existing.conversationId !== conversationId) throw new ConflictError('This clientMsgId was already used for another conversation', { code: 'CLIENT_MSG_ID_REUSED' })
          this.access.assertParticipant(conversationId, userId, tx)
          return { row: existing, replayed: true }
        }
      }
      const { conversation } = this.access.assertWritable(conversationId, userId, tx)
      const fileIds = input.attachments ?? []
      if (fileIds.length > 0 && !this.attachments) throw new BadRequestError('Attachments are not available', { code: 'ATTACHMENT_INVALID' })
      const type = fileIds.length > 0 ? this.attachments!.validate(tx, userId, fileIds) : 'text'
      const row = this.#append(tx, afterCommit, userId, conversation, { content, parentId: input.parentId ?? null, clientMsgId: input.clientMsgId ?? null, forwardedFromId: null, type })
      this.attachments?.link(tx, row.id, fileIds)
      return { row, replayed: false }
    })
    const message = this.#views([result.row], userId)[0]!
    // Published after the commit: a socket never sees a message the database could still roll back.
    if (!result.replayed) this.events.toConversation(conversationId, { type: 'message.created', message })
    return { message, replayed: result.replayed }
  }

  /**
   * Copies a message into other conversations, each copy a normal send (seq, events, notifications)
   * pointing back with forwardedFromId. Every target is checked before the first write, so one bad
   * target leaves nothing behind.
   */
  forward(userId: string, conversationId: string, messageId: string, targetIds: string[]): MessageView[] {
    const rows = transaction(this.db, (tx, afterCommit) => {
      this.access.assertParticipant(conversationId, userId, tx)
      const source = this.#row(conversationId, messageId, tx)
      if (source.deletedAt) throw new ConflictError('This message was deleted', { code: 'MESSAGE_DELETED' })
      if (source.type === 'system') throw new BadRequestError('System messages cannot be forwarded', { code: 'NOT_FORWARDABLE' })
      const targets = [...new Set(targetIds)].map((id) => this.access.assertWritable(id, userId, tx).conversation)
      // A forwarded file goes along: members of the target conversation may then fetch it too.
      const fileIds = attachmentIdsOf(tx, [source.id]).get(source.id) ?? []
      const type = source.type === 'file' || source.type === 'voice' ? source.type : 'text'
      return targets.map((target) => {
        const row = this.#append(tx, afterCommit, userId, target, { content: source.content, parentId: null, clientMsgId: null, forwardedFromId: source.id, type })
        this.attachments?.link(tx, row.id, fileIds)
        return row
      })
    })
    const views = this.#views(rows, userId)
    for (const message of views) this.events.toConversation(message.conversationId, { type: 'message.created', message })
    return views
  }

  page(userId: string, conversationId: string, request: PageRequest) {
    this.access.assertParticipant(conversationId, userId)
    const limit = request.limit ?? DEFAULT_PAGE
    const scope = [eq(messages.conversationId, conversationId)]
    if (request.rootsOnly) scope.push(isNull(messages.parentId))
    const older = (below: number, count: number) =>
      this.db.select().from(messages).where(and(...scope, lt(messages.seq, below))).orderBy(desc(messages.seq)).limit(count).all().reverse()
    const newer = (above: number, count: number) =>
      this.db.select().from(messages).where(and(...scope, gt(messages.seq, above))).orderBy(asc(messages.seq)).limit(count).all()

    let rows: MessageRow[]
    let hasMoreBefore: boolean
    let hasMoreAfter: boolean
    if (request.after !== undefined) {
      const fetched = newer(request.after, limit + 1)
      hasMoreAfter = fetched.length > limit
      rows = fetched.slice(0, limit)
      hasMoreBefore = request.after > 0 && older(request.after + 1, 1).length > 0
    } else if (request.around !== undefined) {
      const before = older(request.around, Math.floor(limit / 2) + 1)
      const after = newer(request.around - 1, limit - Math.floor(limit / 2) + 1)
      hasMoreBefore = before.length > Math.floor(limit / 2)
      hasMoreAfter = after.length > limit - Math.floor(limit / 2)
      rows = [...before.slice(hasMoreBefore ? 1 : 0), ...after.slice(0, limit - Math.floor(limit / 2))]
    } else {
      const fetched = older(request.before ?? Number.MAX_SAFE_INTEGER, limit + 1)
      hasMoreBefore = fetched.length > limit
      rows = hasMoreBefore ? fetched.slice(1) : fetched
      hasMoreAfter = request.before !== undefined && newer(request.before - 1, 1).length > 0
    }
    return { messages: this.#views(rows, userId), hasMoreBefore, hasMoreAfter }
  }

  /**
   * Messages created or changed after `afterVersion`, oldest change first: what a reconnecting client
   * is missing, edits and deletions included. `hasMore` means more than `limit` changed.
   */
  changedSince(userId: string, conversationId: string, afterVersion: number, limit: number) {
    const { conversation } = this.access.assertParticipant(conversationId, userId)
    const rows = this.db
      .select()
      .from(messages)
      .where(and(eq(messages.conversationId, conversationId), gt(messages.version, afterVersion)))
      .orderBy(asc(messages.version))
      .limit(limit + 1)
      .all()
    return { messages: this.#views(rows.slice(0, limit), userId), hasMore: rows.length > limit, lastVersion: conversation.lastVersion, lastSeq: conversation.lastSeq }
  }

  get(userId: string, conversationId: string, messageId: string): MessageView {
    this.access.assertParticipant(conversationId, userId)
    return this.#views([this.#row(conversationId, messageId)], userId)[0]!
  }

  thread(userId: string, conversationId: string, rootId: string, request: { after?: number; limit?: number }) {
    this.access.assertParticipant(conversationId, userId)
    const root = this.#row(conversationId, rootId)
    if (root.parentId) throw new BadRequestError('This message is a reply; open its root thread', { code: 'NOT_A_THREAD_ROOT', details: { rootId: root.parentId } })
    const limit = request.limit ?? DEFAULT_PAGE
    const replies = this.db
      .select()
      .from(messages)
      .where(and(eq(messages.parentId, root.id), gt(messages.seq, request.after ?? 0)))
      .orderBy(asc(messages.seq))
      .limit(limit + 1)
      .all()
    return { root: this.#views([root], userId)[0]!, replies: this.#views(replies.slice(0, limit), userId), hasMore: replies.length > limit }
  }

  edit(userId: string, conversationId: string, messageId: string, content: string): MessageView {
    const trimmed = content.replace(/\s+$/, '')
    if (!trimmed.trim()) throw new BadRequestError('A message needs some text; delete it instead', { code: 'EMPTY_MESSAGE' })
    const row = transaction(this.db, (tx, afterCommit) => {
      const { conversation } = this.access.assertWritable(conversationId, userId, tx)
      const message = this.#row(conversationId, messageId, tx)
      if (message.senderId !== userId) throw new ForbiddenError('Only the author can edit a message', { code: 'NOT_AUTHOR' })
      if (message.deletedAt) throw new ConflictError('This message was deleted', { code: 'MESSAGE_DELETED' })
      if (message.content === trimmed) return message
      const now = new Date()
      tx.insert(messageEdits).values({ id: newId(), messageId, previousContent: message.content, editedAt: now }).run()
      const edited = tx.update(messages).set({ content: trimmed, editedAt: now, mentions: parseMentions(tx, conversationId, trimmed), version: nextVersion(tx, conversationId) }).where(eq(messages.id, messageId)).returning().get()!
      for (const hook of this.hooks) hook.onChanged?.(tx, afterCommit, { message: edited, conversation, kind: 'updated' })
      return edited
    })
    return this.#announce('message.updated', row, userId)
  }

  edits(userId: string, conversationId: string, messageId: string) {
    this.access.assertParticipant(conversationId, userId)
    this.#row(conversationId, messageId)
    return this.db.select().from(messageEdits).where(eq(messageEdits.messageId, messageId)).orderBy(asc(messageEdits.editedAt)).all()
  }

  /**
   * Leaves a tombstone that keeps its seq; the text, its edit history, reactions and pin go.
   * `moderatorChecked`: the moderation service has already established the caller moderates this
   * conversation (which includes admins who are not participants).
   */
  delete(userId: string, conversationId: string, messageId: string, options: { moderatorChecked?: boolean } = {}): MessageView {
    const row = transaction(this.db, (tx, afterCommit) => {
      const participant = options.moderatorChecked ? null : this.access.assertParticipant(conversationId, userId, tx).participant
      const message = this.#row(conversationId, messageId, tx)
      const moderator = options.moderatorChecked || participant?.role === 'owner' || participant?.role === 'moderator'
      if (message.senderId !== userId && !moderator) throw new ForbiddenError('Only the author or a moderator can delete a message', { code: 'NOT_AUTHOR' })
      if (message.deletedAt) return message
      tx.delete(messageEdits).where(eq(messageEdits.messageId, messageId)).run()
      tx.delete(reactions).where(eq(reactions.messageId, messageId)).run()
      tx.delete(pins).where(eq(pins.messageId, messageId)).run()
      const deleted = tx.update(messages).set({ content: '', deletedAt: new Date(), mentions: null, version: nextVersion(tx, conversationId) }).where(eq(messages.id, messageId)).returning().get()!
      const conversation = tx.select().from(conversations).where(eq(conversations.id, conversationId)).get()!
      for (const hook of this.hooks) hook.onChanged?.(tx, afterCommit, { message: deleted, conversation, kind: 'deleted' })
      return deleted
    })
    return this.#announce('message.deleted', row, userId)
  }

  /** Adds or removes one reaction; unique per message, user and emoji, so repeating either is harmless. */
  react(userId: string, conversationId: string, messageId: string, emoji: string, on: boolean): MessageView {
    const row = transaction(this.db, (tx) => {
      this.access.assertParticipant(conversationId, userId, tx)
      const message = this.#row(conversationId, messageId, tx)
      if (message.deletedAt) throw new ConflictError('This message was deleted', { code: 'MESSAGE_DELETED' })
      if (on) tx.insert(reactions).values({ messageId, userId, emoji, createdAt: new Date() }).onConflictDoNothing().run()
      else tx.delete(reactions).where(and(eq(reactions.messageId, messageId), eq(reactions.userId, userId), eq(reactions.emoji, emoji))).run()
      return touch(tx, message)
    })
    return this.#announce('reaction.changed', row, userId)
  }

  pin(userId: string, conversationId: string, messageId: string, on: boolean): MessageView {
    const row = transaction(this.db, (tx) => {
      this.access.assertWritable(conversationId, userId, tx)
      const message = this.#row(conversationId, messageId, tx)
      if (message.deletedAt) throw new ConflictError('This message was deleted', { code: 'MESSAGE_DELETED' })
      if (on) tx.insert(pins).values({ conversationId, messageId, pinnedBy: userId, pinnedAt: new Date() }).onConflictDoNothing().run()
      else tx.delete(pins).where(and(eq(pins.conversationId, conversationId), eq(pins.messageId, messageId))).run()
      return touch(tx, message)
    })
    return this.#announce('message.updated', row, userId)
  }

  pinned(userId: string, conversationId: string): MessageView[] {
    this.access.assertParticipant(conversationId, userId)
    const rows = this.db
      .select({ message: messages })
      .from(pins)
      .innerJoin(messages, eq(messages.id, pins.messageId))
      .where(eq(pins.conversationId, conversationId))
      .orderBy(desc(pins.pinnedAt))
      .all()
    return this.#views(rows.map((r) => r.message), userId)
  }

  /**
   * Posts as an integration (an incoming webhook): no sender (the schema has no bot users), so the
   * bot's name leads the text in bold. Runs the send hooks like any message.
   */
  postAsBot(conversationId: string, bot: { webhookId: string; name: string; text: string }): MessageView {
    const name = bot.name.replace(/[*\r\n]+/g, ' ').trim() || 'Webhook'
    const content = `**${name}**: ${bot.text}`.replace(/\s+$/, '')
    const row = transaction(this.db, (tx, afterCommit) => {
      const conversation = tx.select().from(conversations).where(eq(conversations.id, conversationId)).get()
      if (!conversation) throw new NotFoundError('Conversation not found', { code: 'CONVERSATION_NOT_FOUND' })
      if (conversation.archivedAt) throw new ForbiddenError('This conversation is archived', { code: 'CONVERSATION_ARCHIVED' })
      return this.#append(tx, afterCommit, null, conversation, { content, parentId: null, clientMsgId: null, forwardedFromId: null, bot: { webhookId: bot.webhookId, name } })
    })
    const message = messageViews(this.db, [row], '')[0]!
    this.events.toConversation(conversationId, { type: 'message.created', message })
    return message
  }

  /**
   * Posts a system message (no sender, type 'system') and sends `message.created` once committed.
   * Given `within`, it joins the caller's transaction, so the message exists only if their change
   * commits; the event then waits for that commit. Send hooks run as for any message.
   */
  postSystem(conversationId: string, content: string, within?: TransactionScope): MessageRow {
    const text = content.replace(/\s+$/, '')
    if (!text.trim()) throw new BadRequestError('A system message needs some text', { code: 'EMPTY_MESSAGE' })
    const append = (tx: Tx, afterCommit: AfterCommit) => {
      const conversation = tx.select().from(conversations).where(eq(conversations.id, conversationId)).get()
      if (!conversation) throw new NotFoundError('Conversation not found', { code: 'CONVERSATION_NOT_FOUND' })
      const row = this.#append(tx, afterCommit, null, conversation, { content: text, parentId: null, clientMsgId: null, forwardedFromId: null, type: 'system' })
      afterCommit(() => this.events.toConversation(conversationId, { type: 'message.created', message: messageViews(this.db, [row], '')[0]! }))
      return row
    }
    return within ? append(within.tx, within.afterCommit) : transaction(this.db, append)
  }

  /** Takes the next seq from the conversation row (the immediate transaction holds the write lock) and runs the send hooks. */
  #append(tx: Tx, afterCommit: AfterCommit, userId: string | null, conversation: ConversationRow, input: AppendInput): MessageRow {
    let parentId: string | null = null
    if (input.parentId) {
      const parent = tx.select().from(messages).where(and(eq(messages.id, input.parentId), eq(messages.conversationId, conversation.id))).get()
      if (!parent) throw new NotFoundError('The message to reply to was not found', { code: 'PARENT_NOT_FOUND' })
      if (parent.deletedAt) throw new ConflictError('The message to reply to was deleted', { code: 'PARENT_DELETED' })
      // Threads are one level deep: a reply to a reply joins the root's thread.
      parentId = parent.parentId ?? parent.id
    }
    const now = new Date()
    const seq = conversation.lastSeq + 1
    const bumped = tx
      .update(conversations)
      .set({ lastSeq: seq, lastMessageAt: now, lastVersion: sql`${conversations.lastVersion} + 1` })
      .where(and(eq(conversations.id, conversation.id), eq(conversations.lastSeq, conversation.lastSeq)))
      .returning({ id: conversations.id, version: conversations.lastVersion })
      .all()
    // The immediate transaction holds the write lock, so this only trips if that guarantee is broken.
    if (bumped.length !== 1) throw new ConflictError('The conversation changed while sending; retry', { code: 'SEQ_CONFLICT' })
    const row = tx
      .insert(messages)
      .values({
        id: newId(),
        conversationId: conversation.id,
        seq,
        senderId: userId,
        type: input.type ?? 'text',
        content: input.content,
        parentId,
        clientMsgId: input.clientMsgId,
        // A system message quotes user text (a listing title); it must not ping anyone through it.
        mentions: input.type === 'system' ? null : parseMentions(tx, conversation.id, input.content),
        forwardedFromId: input.forwardedFromId,
        bot: input.bot ?? null,
        version: bumped[0]!.version,
        createdAt: now,
      })
      .returning()
      .get()
    if (parentId) tx.update(messages).set({ replyCount: sql`${messages.replyCount} + 1`, lastReplyAt: now, version: nextVersion(tx, conversation.id) }).where(eq(messages.id, parentId)).run()
    // Your own message is read by definition, on every device.
    if (userId) tx.update(participants).set({ lastReadSeq: seq }).where(and(eq(participants.conversationId, conversation.id), eq(participants.userId, userId))).run()
    for (const hook of this.hooks) hook.onSent(tx, afterCommit, { message: row, conversation: { ...conversation, lastSeq: seq, lastMessageAt: now } })
    return row
  }

  /** The acting user's view, also sent to the conversation's sockets (reactions carry user ids; `me` is per viewer). */
  #announce(type: 'message.updated' | 'message.deleted' | 'reaction.changed', row: MessageRow, userId: string): MessageView {
    const message = this.#views([row], userId)[0]!
    this.events.toConversation(row.conversationId, { type, message: { ...message, reactions: message.reactions.map((r) => ({ ...r, me: false })) } })
    return message
  }

  #row(conversationId: string, messageId: string, tx: Db | Tx = this.db): MessageRow {
    const row = tx.select().from(messages).where(and(eq(messages.id, messageId), eq(messages.conversationId, conversationId))).get()
    if (!row) throw new NotFoundError('Message not found', { code: 'MESSAGE_NOT_FOUND' })
    return row
  }

  #views(rows: MessageRow[], viewerId: string): MessageView[] {
    return messageViews(this.db, rows, viewerId)
  }
}
