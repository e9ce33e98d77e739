import { useNavigate } from '@solidjs/router'
import { createResource, createSignal, For, Show } from 'solid-js'
import type { NotificationView } from '../../../../server/src/features/notifications/model'
import { api, call, type ApiError } from '../../api/client'
import { markNotificationsRead } from '../../chat/notifications'
import { markdownToPlain } from '../../ui/markdown'

const describe: Record<string, string> = {
  mention: 'mentioned you',
  dm: 'sent you a message',
  reply: 'replied in a thread',
  thread_reply: 'replied in a thread',
  invite: 'invited you',
  missed_call: 'tried to call you',
}

/** The notifications panel: newest first, click to open the message, mark all read. */
export function NotificationsPanel(props: { onClose(): void }) {
  const navigate = useNavigate()
  const [version, setVersion] = createSignal(0)
  const [page] = createResource(version, () => call(() => api.notifications.get({ query: { limit: 50 } })))
  async function open(notification: NotificationView) {
    if (!notification.readAt) {
      await call(() => api.notifications({ id: notification.id }).read.post()).catch(() => undefined)
      markNotificationsRead(1)
    }
    props.onClose()
    if (!notification.conversationId) return
    navigate(notification.threadRootId ? `/c/${notification.conversationId}?thread=${notification.threadRootId}` : `/c/${notification.conversationId}`)
  }
  async function readAll() {
    await call(() => api.notifications['read-all'].post({})).catch(() => undefined)
    markNotificationsRead('all')
    setVersion((v) => v + 1)
  }
  return (
    <aside class="notifications-panel" aria-label="Notifications">
      <header class="panel-head">
        <h2>Notifications</h2>
        <div class="row">
          <button type="button" class="secondary small" onClick={() => void readAll()}>
            Mark all read
          </button>
          <button type="button" class="icon-button" aria-label="Close notifications" onClick={() => props.onClose()}>
            ×
          </button>
        </div>
      </header>
      <div class="panel-scroll">
        <Show when={!page.error} fallback={<p class="inline-error" role="alert">{(page.error as ApiError).message} <button type="button" class="link" onClick={() => setVersion((v) => v + 1)}>Retry</button></p>}>
          <Show when={(page()?.notifications.length ?? 0) > 0} fallback={<p class="muted empty-note">{page.loading ? 'Loading…' : 'You are all caught up.'}</p>}>
            <ul class="notification-list" role="list">
              <For each={page()?.notifications ?? []}>
                {(n) => (
                  <li classList={{ unread: !n.readAt }}>
                    <button type="button" class="notification" onClick={() => void open(n)}>
                      <strong>{n.preview.senderName ?? 'Someone'}</strong> {describe[n.kind] ?? n.kind}
                      <Show when={n.preview.conversationName}> in {n.preview.conversationName}</Show>
                      <Show when={n.preview.text}>
                        <span class="preview">{markdownToPlain(n.preview.text!)}</span>
                      </Show>
                      <time class="muted small-text" dateTime={n.createdAt}>{new Date(n.createdAt).toLocaleString()}</time>
                    </button>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </Show>
      </div>
    </aside>
  )
}
