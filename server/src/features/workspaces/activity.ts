import type { Tx } from '../../db/client'
import type { conversations, WorkspaceRole } from '../../db/schema'

type AfterCommit = (effect: () => void) => void
type ConversationRow = typeof conversations.$inferSelect
type ParticipantRole = 'owner' | 'moderator' | 'member'

/** Someone entered, left, was removed from or changed role in a workspace or one of its conversations. */
export type MemberActivity =
  | { type: 'member.joined' | 'member.left' | 'member.removed'; scope: 'workspace'; workspaceId: string; userId: string; role: WorkspaceRole; actorId: string | null; conversationIds?: string[] }
  | { type: 'member.role_changed'; scope: 'workspace'; workspaceId: string; userId: string; role: WorkspaceRole; previousRole: WorkspaceRole; actorId: string | null }
  | { type: 'member.joined' | 'member.left' | 'member.removed'; scope: 'conversation'; conversation: ConversationRow; userId: string; role: ParticipantRole; actorId: string | null }
  | { type: 'member.role_changed'; scope: 'conversation'; conversation: ConversationRow; userId: string; role: ParticipantRole; previousRole: ParticipantRole; actorId: string | null }

/** A conversation of a workspace was created, archived or unarchived. */
export interface ConversationActivity {
  type: 'conversation.created' | 'conversation.archived' | 'conversation.unarchived'
  conversation: ConversationRow
  actorId: string | null
  /** conversation.created only: everyone in it from the start, the creator included. */
  memberIds?: string[]
}

export type WorkspaceActivity = MemberActivity | ConversationActivity

/**
 * Work that joins the transaction of a membership or conversation change (outgoing webhooks record
 * their deliveries there), so it commits or rolls back with the change; effects wait for the commit.
 */
export interface ActivityHook {
  onActivity(tx: Tx, afterCommit: AfterCommit, activity: WorkspaceActivity): void
}
