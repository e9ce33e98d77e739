import { eq } from 'drizzle-orm'
import type { Tx } from '../../db/client'
import { users } from '../../db/schema'
import type { SentMessage } from '../messages/service'
import type { WorkspaceActivity } from '../workspaces/activity'

type ConversationRow = SentMessage['conversation']

// The `data` of every delivery, by event; documented in docs/WEBHOOKS.md.

const conversationRef = (conversation: ConversationRow) => ({ id: conversation.id, kind: conversation.kind, name: conversation.name, isPrivate: conversation.isPrivate })

export function messageData({ message, conversation }: SentMessage) {
  return {
    message: {
      id: message.id,
      conversationId: message.conversationId,
      seq: message.seq,
      senderId: message.senderId,
      type: message.type,
      content: message.content,
      parentId: message.parentId,
      mentions: message.mentions,
      bot: message.bot ?? null,
      createdAt: message.createdAt.toISOString(),
    },
    conversation: conversationRef(conversation),
  }
}

/** Member events name the member as they are now (username, display name); conversation events carry the conversation. */
export function activityData(tx: Tx, activity: WorkspaceActivity) {
  if (!('scope' in activity)) {
    const { conversation, actorId, memberIds } = activity
    return {
      conversation: { ...conversationRef(conversation), topic: conversation.topic, archivedAt: conversation.archivedAt?.toISOString() ?? null, createdBy: conversation.createdBy },
      actorId,
      ...(memberIds ? { memberIds } : {}),
    }
  }
  const member = activity
  const user = tx.select({ id: users.id, username: users.username, displayName: users.displayName }).from(users).where(eq(users.id, member.userId)).get()
  return {
    scope: member.scope,
    conversation: member.scope === 'conversation' ? conversationRef(member.conversation) : null,
    member: {
      userId: member.userId,
      username: user?.username ?? null,
      displayName: user?.displayName ?? null,
      role: member.role,
      ...('previousRole' in member ? { previousRole: member.previousRole } : {}),
    },
    actorId: member.actorId,
    ...('conversationIds' in member && member.conversationIds ? { conversationIds: member.conversationIds } : {}),
  }
}

/** The workspace an activity belongs to; conversation-scoped activity counts only in a workspace's channels. */
export function activityWorkspace(activity: WorkspaceActivity): string | null {
  if ('conversation' in activity) return activity.conversation.kind === 'channel' ? activity.conversation.workspaceId : null
  return activity.workspaceId
}
