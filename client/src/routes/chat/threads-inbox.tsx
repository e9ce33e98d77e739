import { useNavigate } from '@solidjs/router'
import { createResource, For, Show } from 'solid-js'
import { api, call, type ApiError } from '../../api/client'
import { chat, conversationTitle, displayName } from '../../chat/store'
import { markdownToPlain } from '../../ui/markdown'

/** Followed threads, newest reply first, with unread replies counted; a click opens the thread. */
export function ThreadsInbox(props: { onClose(): void }) {
  const navigate = useNavigate()
  const [inbox, { refetch }] = createResource(() => call(() => api.threads.get({ query: {} })))
  return (
    <aside class="notifications-panel" aria-label="Threads">
      <header class="panel-head">
        <h2>Threads</h2>
        <button type="button" class="icon-button" aria-label="Close threads" onClick={() => props.onClose()}>
          ×
        </button>
      </header>
      <div class="panel-scroll">
        <Show when={!inbox.error} fallback={<p class="inline-error" role="alert">{(inbox.error as ApiError).message} <button type="button" class="link" onClick={() => void refetch()}>Retry</button></p>}>
          <Show when={(inbox()?.threads.length ?? 0) > 0} fallback={<p class="muted empty-note">{inbox.loading ? 'Loading…' : 'Threads you start, reply to or are mentioned in show up here.'}</p>}>
            <ul class="notification-list" role="list">
              <For each={inbox()?.threads ?? []}>
                {(thread) => {
                  const conversation = () => chat.conversations[thread.conversationId]
                  return (
                    <li classList={{ unread: thread.unreadReplies > 0 }}>
                      <button type="button" class="notification" onClick={() => { props.onClose(); navigate(`/c/${thread.conversationId}?thread=${thread.root.id}`) }}>
                        <span class="muted small-text">{conversation() ? conversationTitle(conversation()!) : 'Conversation'}</span>
                        <strong>{displayName(thread.root.senderId)}</strong>
                        <span class="preview">{thread.root.content ? markdownToPlain(thread.root.content) : 'Deleted message'}</span>
                        <span class="muted small-text">
                          {thread.replyCount} {thread.replyCount === 1 ? 'reply' : 'replies'}
                          {thread.unreadReplies > 0 ? ` · ${thread.unreadReplies} new` : ''} · {new Date(thread.lastReplyAt).toLocaleString()}
                        </span>
                      </button>
                    </li>
                  )
                }}
              </For>
            </ul>
          </Show>
        </Show>
      </div>
    </aside>
  )
}
