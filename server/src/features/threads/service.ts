import { and, desc, eq, gt, isNotNull, lt, max, sql } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { messages, participants, threadFollows } from '../../db/schema'
import { BadRequestError, NotFoundError } from '../../errors'
import type { EventSink } from '../../realtime/hub'
import type { ConversationAccess } from '../conversations/access'
import { messageViews, type MessageRow, type SendHook, type SentMessage } from '../messages/service'
import { DEFAULT_INBOX_PAGE, type InboxThreadView, type ThreadReadStateView } from './model'

/**
 * Thread following and the threads inbox. Repliers follow the thread they reply in, users named in a
 * reply follow it, and a root's author follows from the first reply on; anyone may follow or unfollow.
 */
export class ThreadService implements SendHook {
  constructor(private db: Db, private access: ConversationAccess, private events: EventSink) {}

  /** Runs inside the send transaction, before notifications read the followers. */
  onSent(tx: Tx, _afterCommit: unknown, { message }: SentMessage): void {
    const rootId = message.parentId
    if (!rootId) return
    const now = new Date()
    const root = tx.select({ senderId: messages.senderId }).from(messages).where(eq(messages.id, rootId)).get()
    // Roots are followed lazily, so plain messages never cost a row; an explicit unfollow wins.
    if (root?.senderId && root.senderId !== message.senderId) {
      tx.insert(threadFollows).values({ rootId, userId: root.senderId, following: true, updatedAt: now }).onConflictDoNothing().run()
    }
    if (message.senderId) {
      // Replying (re)follows, and everything up to your own reply counts as seen.
      tx.insert(threadFollows)
        .values({ rootId, userId: message.senderId, following: true, lastReadSeq: message.seq, updatedAt: now })
        .onConflictDoUpdate({ target: [threadFollows.rootId, threadFollows.userId], set: { following: true, lastReadSeq: sql`max(${threadFollows.lastReadSeq}, ${message.seq})`, updatedAt: now } })
        .run()
    }
    // @channel/@here in a reply notifies everyone but makes nobody follow; only named users do.
    for (const userId of message.mentions?.users ?? []) {
      if (userId === message.senderId) continue
      tx.insert(threadFollows).values({ rootId, userId, following: true, updatedAt: now }).onConflictDoNothing().run()
    }
  }

  followers(tx: Db | Tx, rootId: string): string[] {
    return tx.select({ userId: threadFollows.userId }).from(threadFollows).where(and(eq(threadFollows.rootId, rootId), eq(threadFollows.following, true))).all().map((row) => row.userId)
  }

  setFollowing(userId: string, conversationId: string, messageId: string, following: boolean) {
    this.access.assertParticipant(conversationId, userId)
    const root = this.db.select().from(messages).where(and(eq(messages.id, messageId), eq(messages.conversationId, conversationId))).get()
    if (!root) throw new NotFoundError('Message not found', { code: 'MESSAGE_NOT_FOUND' })
    if (root.parentId) throw new BadRequestError('This message is a reply; follow its root thread', { code: 'NOT_A_THREAD_ROOT', details: { rootId: root.parentId } })
    const now = new Date()
    this.db.insert(threadFollows)
      .values({ rootId: root.id, userId, following, updatedAt: now })
      .onConflictDoUpdate({ target: [threadFollows.rootId, threadFollows.userId], set: { following, updatedAt: now } })
      .run()
    return { rootId: root.id, conversationId, following }
  }

  /** Followed threads with replies, in conversations the user is still in, newest reply first. */
  inbox(userId: string, request: { limit?: number; before?: string }): { threads: InboxThreadView[]; hasMore: boolean } {
    const limit = request.limit ?? DEFAULT_INBOX_PAGE
    const rows = this.db
      .select({ root: messages, lastReadSeq: threadFollows.lastReadSeq, unreadReplies: this.#unreadReplies(userId) })
      .from(threadFollows)
      .innerJoin(messages, eq(messages.id, threadFollows.rootId))
      .innerJoin(participants, and(eq(participants.conversationId, messages.conversationId), eq(participants.userId, threadFollows.userId)))
      .where(and(
        eq(threadFollows.userId, userId),
        eq(threadFollows.following, true),
        gt(messages.replyCount, 0),
        isNotNull(messages.lastReplyAt),
        request.before ? lt(messages.lastReplyAt, new Date(request.before)) : undefined,
      ))
      .orderBy(desc(messages.lastReplyAt), desc(messages.id))
      .limit(limit + 1)
      .all()
    const page = rows.slice(0, limit)
    const roots = messageViews(this.db, page.map((row) => row.root), userId)
    return {
      threads: page.map((row, i) => ({
        root: roots[i]!,
        conversationId: row.root.conversationId,
        replyCount: row.root.replyCount,
        lastReplyAt: row.root.lastReplyAt!.toISOString(),
        lastReadSeq: row.lastReadSeq,
        unreadReplies: Number(row.unreadReplies),
      })),
      hasMore: rows.length > limit,
    }
  }

  /** Moves the thread's read pointer forward only, never past its newest reply; other devices hear `thread.read`. */
  markRead(userId: string, rootId: string, seq: number): ThreadReadStateView {
    const root = this.#visibleRoot(userId, rootId)
    const newest = this.db.select({ seq: max(messages.seq) }).from(messages).where(eq(messages.parentId, root.id)).get()?.seq ?? 0
    const target = Math.min(seq, newest)
    const now = new Date()
    // Reading a thread you do not follow keeps its place without following it (its author follows anyway).
    this.db.insert(threadFollows)
      .values({ rootId, userId, following: root.senderId === userId, lastReadSeq: target, updatedAt: now })
      .onConflictDoUpdate({ target: [threadFollows.rootId, threadFollows.userId], set: { lastReadSeq: sql`max(${threadFollows.lastReadSeq}, ${target})`, updatedAt: now } })
      .run()
    const state = this.db
      .select({ lastReadSeq: threadFollows.lastReadSeq, unreadReplies: this.#unreadReplies(userId) })
      .from(threadFollows)
      .innerJoin(messages, eq(messages.id, threadFollows.rootId))
      .where(and(eq(threadFollows.rootId, rootId), eq(threadFollows.userId, userId)))
      .get()!
    const result = { rootId, lastReadSeq: state.lastReadSeq, unreadReplies: Number(state.unreadReplies) }
    this.events.toUser(userId, { type: 'thread.read', ...result })
    return result
  }

  /** Needs `messages` (the root) and `thread_follows` in the query. */
  #unreadReplies(userId: string) {
    return sql<number>`(select count(*) from messages r where r.parent_id = ${messages.id} and r.seq > ${threadFollows.lastReadSeq} and r.deleted_at is null and (r.sender_id is null or r.sender_id <> ${userId}))`
  }

  /** A thread root the user can read; a missing root and one out of reach look the same. */
  #visibleRoot(userId: string, rootId: string): MessageRow {
    const found = this.db
      .select({ root: messages })
      .from(messages)
      .innerJoin(participants, and(eq(participants.conversationId, messages.conversationId), eq(participants.userId, userId)))
      .where(eq(messages.id, rootId))
      .get()
    if (!found) throw new NotFoundError('Thread not found', { code: 'THREAD_NOT_FOUND' })
    if (found.root.parentId) throw new BadRequestError('This message is a reply; use its root thread', { code: 'NOT_A_THREAD_ROOT', details: { rootId: found.root.parentId } })
    return found.root
  }
}
