import { asc, eq, inArray, sql } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { conversations, messages, pins, reactions } from '../../db/schema'
import type { MessageView } from './model'
import { attachmentIdsOf } from '../files/attachments'

export type MessageRow = typeof messages.$inferSelect

const iso = (date: Date | null) => date?.toISOString() ?? null

/** Rows to the API shape, with reactions and pins loaded in one query each for the whole page. */
export function messageViews(db: Db | Tx, rows: MessageRow[], viewerId: string): MessageView[] {
  if (rows.length === 0) return []
  const ids = rows.map((r) => r.id)
  const reactionRows = db.select().from(reactions).where(inArray(reactions.messageId, ids)).orderBy(asc(reactions.createdAt), sql`${reactions}.rowid`).all()
  const pinned = new Set(db.select({ id: pins.messageId }).from(pins).where(inArray(pins.messageId, ids)).all().map((p) => p.id))
  const attachments = attachmentIdsOf(db, ids)
  const byMessage = new Map<string, Map<string, string[]>>()
  for (const reaction of reactionRows) {
    const emojis = byMessage.get(reaction.messageId) ?? new Map<string, string[]>()
    emojis.set(reaction.emoji, [...(emojis.get(reaction.emoji) ?? []), reaction.userId])
    byMessage.set(reaction.messageId, emojis)
  }
  return rows.map((row) => ({
    id: row.id,
    conversationId: row.conversationId,
    seq: row.seq,
    version: row.version,
    senderId: row.senderId,
    type: row.type,
    content: row.content,
    parentId: row.parentId,
    replyCount: row.replyCount,
    lastReplyAt: iso(row.lastReplyAt),
    clientMsgId: row.clientMsgId,
    mentions: row.mentions ?? { users: [], channel: false, here: false },
    forwardedFromId: row.forwardedFromId,
    editedAt: iso(row.editedAt),
    deletedAt: iso(row.deletedAt),
    createdAt: row.createdAt.toISOString(),
    reactions: [...(byMessage.get(row.id) ?? new Map<string, string[]>())].map(([emoji, userIds]) => ({ emoji, count: userIds.length, userIds, me: userIds.includes(viewerId) })),
    pinned: pinned.has(row.id),
    attachments: attachments.get(row.id) ?? [],
    ...(row.bot ? { bot: row.bot } : {}),
  }))
}

/** The conversation's next version, taken inside the caller's write transaction. */
export function nextVersion(tx: Tx, conversationId: string): number {
  return tx.update(conversations).set({ lastVersion: sql`${conversations.lastVersion} + 1` }).where(eq(conversations.id, conversationId)).returning({ version: conversations.lastVersion }).get()!.version
}

/** Marks a message changed (reactions, pins) so a resuming client picks the change up. */
export function touch(tx: Tx, message: MessageRow): MessageRow {
  return tx.update(messages).set({ version: nextVersion(tx, message.conversationId) }).where(eq(messages.id, message.id)).returning().get()!
}
