import { and, eq } from 'drizzle-orm'
import { alias } from 'drizzle-orm/sqlite-core'
import type { Db } from '../../db/client'
import { conversations, messages, notifications, participants, users } from '../../db/schema'
import { PUSH_PREVIEW_LENGTH, type PushPayload } from './model'

const actor = alias(users, 'push_actor')
const TITLE_LENGTH = 80

export type Pushable =
  | { push: true; userId: string; payload: PushPayload; urgency: 'high' | 'normal' }
  | { push: false; reason: 'missing' | 'read' | 'silent' | 'dnd' | 'muted' | 'level' | 'left' | 'deleted' }

/**
 * Reads a notification as it stands when its push goes out: read elsewhere in the meantime, muted,
 * silenced by level or do-not-disturb, left or deleted since — then nothing is pushed.
 */
export function loadPushable(db: Db, notificationId: string, now = new Date()): Pushable {
  const row = db
    .select({
      notification: notifications,
      dndUntil: users.dndUntil,
      content: messages.content,
      deletedAt: messages.deletedAt,
      parentId: messages.parentId,
      actorName: actor.displayName,
      conversationName: conversations.name,
      conversationKind: conversations.kind,
      level: participants.notificationLevel,
      muted: participants.muted,
    })
    .from(notifications)
    .innerJoin(users, eq(users.id, notifications.userId))
    .leftJoin(messages, eq(messages.id, notifications.messageId))
    .leftJoin(actor, eq(actor.id, notifications.actorId))
    .leftJoin(conversations, eq(conversations.id, notifications.conversationId))
    .leftJoin(participants, and(eq(participants.conversationId, notifications.conversationId), eq(participants.userId, notifications.userId)))
    .where(eq(notifications.id, notificationId))
    .get()
  if (!row) return { push: false, reason: 'missing' }
  const { notification } = row
  if (notification.readAt) return { push: false, reason: 'read' }
  if (notification.data?.silent === true) return { push: false, reason: 'silent' }
  if (row.dndUntil && row.dndUntil.getTime() > now.getTime()) return { push: false, reason: 'dnd' }
  const base = { notificationId: notification.id, kind: notification.kind, conversationId: notification.conversationId, messageId: notification.messageId, createdAt: notification.createdAt.toISOString() }
  if (notification.kind === 'invite') {
    const workspaceName = typeof notification.data?.workspaceName === 'string' ? notification.data.workspaceName : 'a workspace'
    const role = typeof notification.data?.role === 'string' ? notification.data.role : 'member'
    const body = `${row.actorName ?? 'Someone'} invited you as ${role}`
    return { push: true, userId: notification.userId, urgency: 'normal', payload: { ...base, title: clip(`Invitation to ${workspaceName}`, TITLE_LENGTH), body, url: '/?panel=notifications', tag: `invite:${notification.id}` } }
  }
  if (notification.conversationId && !row.level) return { push: false, reason: 'left' }
  if (row.muted) return { push: false, reason: 'muted' }
  // The level may have changed since the notification was stored; `mentions` keeps mentions and DMs.
  if (row.level === 'none' || (row.level === 'mentions' && notification.kind === 'thread_reply' && row.conversationKind !== 'dm')) return { push: false, reason: 'level' }
  const sender = row.actorName ?? 'Someone'
  const place = row.conversationKind === 'channel' ? `#${row.conversationName}` : row.conversationName
  // Compared as a string: the calls feature adds this kind to the schema.
  if ((notification.kind as string) === 'missed_call' && notification.conversationId) {
    const callKind = notification.data?.callKind === 'video' ? 'video' : 'audio'
    const title = `Missed ${callKind} call`
    const body = row.conversationKind === 'dm' || !place ? `${sender} called you` : `${sender} called in ${place}`
    return { push: true, userId: notification.userId, urgency: 'high', payload: { ...base, title, body: clip(body, PUSH_PREVIEW_LENGTH), url: `/c/${encodeURIComponent(notification.conversationId)}`, tag: `call:${notification.id}` } }
  }
  if (!notification.messageId || row.deletedAt) return { push: false, reason: 'deleted' }
  const title = row.conversationKind === 'dm' || !place
    ? sender
    : notification.kind === 'thread_reply' ? `${sender} replied in a thread in ${place}` : notification.kind === 'mention' ? `${sender} mentioned you in ${place}` : `${sender} in ${place}`
  return {
    push: true,
    userId: notification.userId,
    urgency: notification.kind === 'thread_reply' ? 'normal' : 'high',
    payload: { ...base, title: clip(title, TITLE_LENGTH), body: clip(row.content ?? '', PUSH_PREVIEW_LENGTH), url: messageUrl(notification.conversationId!, notification.messageId, row.parentId), tag: `conversation:${notification.conversationId}` },
  }
}

/** The client route of a conversation, at the message (and its thread when it is a reply). */
export function messageUrl(conversationId: string, messageId: string, threadRootId: string | null): string {
  const query = new URLSearchParams({ message: messageId })
  if (threadRootId) query.set('thread', threadRootId)
  return `/c/${encodeURIComponent(conversationId)}?${query}`
}

function clip(text: string, length: number): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()]
  return chars.length > length ? `${chars.slice(0, length - 1).join('')}…` : chars.join('')
}
