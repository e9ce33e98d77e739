import { and, eq, gt, isNull, or, sql } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { conversationBans, conversations, participants, workspaceMembers, type WorkspaceRole } from '../../db/schema'
import { ForbiddenError, NotFoundError } from '../../errors'

export type ConversationRow = typeof conversations.$inferSelect
export type ParticipantRow = typeof participants.$inferSelect

/**
 * The one answer to "may this user see this conversation?", used by every read, write and realtime
 * event. A conversation you cannot see is reported as not found, so ids do not leak existence.
 */
export class ConversationAccess {
  #participant
  constructor(private db: Db) {
    this.#participant = db
      .select({ conversation: conversations, participant: participants })
      .from(conversations)
      .leftJoin(participants, and(eq(participants.conversationId, conversations.id), eq(participants.userId, sql`cast(${sql.placeholder('userId')} as text)`)))
      .where(eq(conversations.id, sql`cast(${sql.placeholder('conversationId')} as text)`))
      .prepare()
  }

  /** The conversation and the caller's participant row; 404 when missing or not visible to them. */
  assertParticipant(conversationId: string, userId: string, tx?: Db | Tx): { conversation: ConversationRow; participant: ParticipantRow } {
    const row = tx
      ? tx.select({ conversation: conversations, participant: participants }).from(conversations)
          .leftJoin(participants, and(eq(participants.conversationId, conversations.id), eq(participants.userId, userId)))
          .where(eq(conversations.id, conversationId)).get()
      : this.#participant.get({ conversationId, userId })
    if (!row || !row.participant) throw new NotFoundError('Conversation not found', { code: 'CONVERSATION_NOT_FOUND' })
    return { conversation: row.conversation, participant: row.participant }
  }

  /** Like assertParticipant, and the conversation must not be archived (no new messages there). */
  assertWritable(conversationId: string, userId: string, tx?: Db | Tx) {
    const found = this.assertParticipant(conversationId, userId, tx)
    if (found.conversation.archivedAt) throw new ForbiddenError('This conversation is archived', { code: 'CONVERSATION_ARCHIVED' })
    return found
  }

  isWorkspaceMember(workspaceId: string, userId: string, tx: Db | Tx = this.db): boolean {
    return Boolean(tx.select({ role: workspaceMembers.role }).from(workspaceMembers).where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId))).get())
  }

  /** The caller's role in a workspace, or null when they are not a member. */
  workspaceRole(workspaceId: string, userId: string, tx: Db | Tx = this.db): WorkspaceRole | null {
    return tx.select({ role: workspaceMembers.role }).from(workspaceMembers).where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId))).get()?.role ?? null
  }

  /** The running ban of a user on a conversation, if any; an expired ban no longer counts. */
  activeBan(conversationId: string, userId: string, tx: Db | Tx = this.db): typeof conversationBans.$inferSelect | null {
    return tx.select().from(conversationBans)
      .where(and(eq(conversationBans.conversationId, conversationId), eq(conversationBans.userId, userId), or(isNull(conversationBans.expiresAt), gt(conversationBans.expiresAt, new Date()))))
      .get() ?? null
  }

  /** Refuses a user a moderator banned, for as long as the ban runs (details.until is null for good). */
  assertNotBanned(conversationId: string, userId: string, tx: Db | Tx = this.db): void {
    const ban = this.activeBan(conversationId, userId, tx)
    if (ban) throw new ForbiddenError('You are banned from this conversation', { code: 'BANNED_FROM_CONVERSATION', details: { until: ban.expiresAt?.toISOString() ?? null } })
  }
}
