import { and, eq, inArray, sql } from 'drizzle-orm'
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

/** Which of `otherIds` share a conversation or a workspace with the user: whose presence they may watch. */
export function usersSharingSpace(db: Db, userId: string, otherIds: string[]): Set<string> {
  if (otherIds.length === 0) return new Set()
  const ids = sql.join(otherIds.map((id) => sql`${id}`), sql`, `)
  const rows = db.all<{ user_id: string }>(sql`
    select p2.user_id from participants p1 join participants p2 on p2.conversation_id = p1.conversation_id
      where p1.user_id = ${userId} and p2.user_id in (${ids})
    union
    select m2.user_id from workspace_members m1 join workspace_members m2 on m2.workspace_id = m1.workspace_id
      where m1.user_id = ${userId} and m2.user_id in (${ids})`)
  const allowed = new Set(rows.map((row) => row.user_id))
  if (otherIds.includes(userId)) allowed.add(userId)
  return allowed
}
