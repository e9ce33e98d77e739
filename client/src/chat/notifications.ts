import { createSignal } from 'solid-js'
import type { NotificationView } from '../../../server/src/features/notifications/model'
import { api, call } from '../api/client'

const [unread, setUnread] = createSignal(0)
const [mentions, setMentions] = createSignal<Record<string, number>>({})
/** Unread notifications and unread mentions per conversation, kept live by the socket (see chat/sync.ts). */
export { unread as unreadNotifications, mentions as unreadMentions }

export async function refreshUnreadNotifications(): Promise<void> {
  try {
    const reply = await call(() => api.notifications['unread-count'].get())
    setUnread(reply.total)
    setMentions(Object.fromEntries(reply.byConversation.map((c) => [c.conversationId, c.mentions])))
  } catch {
    // @NOTE: offline; the badges keep their last values.
  }
}

export function notificationArrived(notification: NotificationView): void {
  setUnread((n) => n + 1)
  if (notification.kind === 'mention' && notification.conversationId) {
    const id = notification.conversationId
    setMentions((current) => ({ ...current, [id]: (current[id] ?? 0) + 1 }))
  }
}


export function markNotificationsRead(count: number | 'all'): void {
  if (count === 'all') {
    setUnread(0)
    setMentions({})
  } else setUnread((n) => Math.max(0, n - count))
}
