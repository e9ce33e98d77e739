import { and, eq, inArray } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { conversations, participants } from '../../db/schema'

/** Every conversation the user takes part in: the topics a fresh socket subscribes to. */
export function conversationIdsOf(db: Db, userId: string): string[] {
  return db.select({ id: participants.conversationId }).from(participants).where(eq(participants.userId, userId)).all().map((row) => row.id)
}

/**
 * Someone leaving (or removed from) a workspace leaves its channels and workspace groups too, so
 * nothing of the workspace stays readable. Returns the conversations they left, for socket events.
 */
export function leaveWorkspaceConversations(tx: Db | Tx, workspaceId: string, userId: string): string[] {
  const inWorkspace = tx.select({ id: conversations.id }).from(conversations).where(eq(conversations.workspaceId, workspaceId))
  return tx
    .delete(participants)
    .where(and(eq(participants.userId, userId), inArray(participants.conversationId, inWorkspace)))
    .returning({ conversationId: participants.conversationId })
    .all()
    .map((row) => row.conversationId)
}
