import { useParams, useSearchParams } from '@solidjs/router'
import { createEffect, createMemo, createResource, createSignal, For, on, onCleanup, Show } from 'solid-js'
import { api, call } from '../../api/client'
import { session } from '../../api/session'
import { chat, conversationTitle, displayName, setChat } from '../../chat/store'
import { loadNewer, loadOlder, loadThread, markRead, openConversation } from '../../chat/sync'
import { Composer } from './composer'
import { CallBanner, CallButtons } from './call-header'
import { ConversationMenu } from './conversation-menu'
import { buildRows, MessageList } from './message-list'
import { MessageItem, PendingItem } from './message-item'

/** One conversation: header, virtualized timeline, typing line, composer, and the thread / pins side panel. */
export default function ConversationView() {
  const params = useParams<{ id: string }>()
  const [search, setSearch] = useSearchParams<{ thread?: string; panel?: string; at?: string; focus?: string; message?: string }>()
  const me = () => session()?.userId ?? ''
  const conversation = () => chat.conversations[params.id]
  // The unread line stays where it was when the conversation opened, even as reading moves on.
  const [unreadFrom, setUnreadFrom] = createSignal<number | null>(null)

  // A link to one message (a push notification, a shared link): find its place, then jump there.
  createEffect(on(() => search.message, (messageId) => {
    if (!messageId || search.thread) return
    void call(() => api.conversations({ id: params.id }).messages({ messageId }).get())
      .then((message) => setSearch({ message: undefined, at: String(message.seq), focus: message.id }, { replace: true }))
      .catch(() => setSearch({ message: undefined }, { replace: true }))
  }))
  createEffect(on(() => [params.id, search.at] as const, ([id, rawAt], previous) => {
    const current = chat.conversations[id]
    if (previous?.[0] !== id) setUnreadFrom(current && current.me.unreadCount > 0 ? current.me.lastReadSeq + 1 : null)
    const at = Number(rawAt)
    void openConversation(id, Number.isInteger(at) && at > 0 ? at : undefined).then(() => {
      if (document.visibilityState === 'visible') markRead(id)
    })
  }))
  onCleanup(() => setChat('activeId', null))

  // The sidebar may arrive after the messages (a fresh sign-in): read once both are here and the page is seen.
  createEffect(on(() => [conversation()?.lastSeq, chat.messages[params.id]?.length] as const, ([lastSeq]) => {
    if (lastSeq !== undefined && document.visibilityState === 'visible' && !chat.hasMoreAfter[params.id]) markRead(params.id)
  }))
  const rows = createMemo(() =>
    buildRows(chat.messages[params.id] ?? [], chat.outbox.filter((i) => i.conversationId === params.id && !i.parentId), unreadFrom()),
  )
  const typers = createMemo(() => {
    const now = Date.now()
    return Object.entries(chat.typing[params.id] ?? {}).filter(([, until]) => until > now).map(([userId]) => displayName(userId))
  })
  const [tick, setTick] = createSignal(0)
  const timer = setInterval(() => setTick(tick() + 1), 1000)
  onCleanup(() => clearInterval(timer))
  const typingLine = () => {
    void tick()
    const names = typers()
    if (names.length === 0) return ''
    return names.length === 1 ? `${names[0]} is typing…` : `${names.slice(0, 2).join(' and ')}${names.length > 2 ? ' and others' : ''} are typing…`
  }
  // "Seen": my newest message the others have all read (DMs and groups share read pointers).
  const seenId = createMemo(() => {
    const receipts = Object.entries(chat.receipts[params.id] ?? {}).filter(([userId]) => userId !== me())
    if (receipts.length === 0) return undefined
    const readUpTo = Math.min(...receipts.map(([, seq]) => seq))
    const mine = (chat.messages[params.id] ?? []).filter((m) => m.senderId === me() && m.seq <= readUpTo && !m.deletedAt)
    return mine[mine.length - 1]?.id
  })
  const canModerate = () => conversation()?.me.role === 'owner' || conversation()?.me.role === 'moderator'
  const writeBlock = () => (conversation()?.archived ? 'This conversation is archived.' : null)

  return (
    <div class="conversation" classList={{ 'with-panel': !!search.thread || search.panel === 'pins' }}>
      <section class="conversation-main" aria-labelledby="conversation-title">
        <header class="conversation-head">
          <div>
            <h1 id="conversation-title">{conversation() ? conversationTitle(conversation()!) : 'Conversation'}</h1>
            <Show when={conversation()?.topic}>
              <p class="muted topic">{conversation()!.topic}</p>
            </Show>
          </div>
          <span class="call-actions">
            <CallButtons conversationId={params.id} kind={conversation()?.kind} archived={!!conversation()?.archived} />
          </span>
          <button type="button" class="secondary small" aria-pressed={search.panel === 'pins'} onClick={() => setSearch({ panel: search.panel === 'pins' ? undefined : 'pins', thread: undefined })}>
            Pinned
          </button>
          <Show when={conversation()}>{(current) => <ConversationMenu conversation={current()} />}</Show>
        </header>
        <CallBanner conversationId={params.id} />
        <MessageList
          conversationId={params.id}
          rows={rows()}
          me={me()}
          hasMoreBefore={chat.hasMoreBefore[params.id] !== false}
          hasMoreAfter={!!chat.hasMoreAfter[params.id]}
          onLoadOlder={() => loadOlder(params.id)}
          onLoadNewer={() => loadNewer(params.id)}
          onOpenThread={(id) => setSearch({ thread: id, panel: undefined })}
          onAtBottom={() => markRead(params.id)}
          canModerate={canModerate()}
          focusId={search.focus}
          seenId={seenId()}
        />
        <div class="typing-line" aria-live="polite">{typingLine()}</div>
        <Composer conversationId={params.id} placeholder={`Message ${conversation() ? conversationTitle(conversation()!) : ''}`} disabled={writeBlock()} />
      </section>
      <Show when={search.thread}>
        {(rootId) => <ThreadPanel conversationId={params.id} rootId={rootId()} me={me()} canModerate={canModerate()} onClose={() => setSearch({ thread: undefined })} />}
      </Show>
      <Show when={search.panel === 'pins'}>
        <PinsPanel conversationId={params.id} me={me()} onClose={() => setSearch({ panel: undefined })} />
      </Show>
    </div>
  )
}

function ThreadPanel(props: { conversationId: string; rootId: string; me: string; canModerate: boolean; onClose(): void }) {
  createEffect(on(() => props.rootId, (rootId) => void loadThread(rootId, props.conversationId)))
  const root = () => (chat.messages[props.conversationId] ?? []).find((m) => m.id === props.rootId)
  const replies = () => chat.threads[props.rootId] ?? []
  const pending = () => chat.outbox.filter((i) => i.parentId === props.rootId)
  return (
    <aside class="side-panel" aria-label="Thread">
      <header class="panel-head">
        <h2>Thread</h2>
        <button type="button" class="icon-button" aria-label="Close thread" onClick={() => props.onClose()}>
          ×
        </button>
      </header>
      <div class="panel-scroll" role="log" aria-label="Thread replies">
        <Show when={root()}>{(message) => <MessageItem message={message()} grouped={false} me={props.me} canModerate={props.canModerate} inThread />}</Show>
        <div class="thread-count muted">{replies().length} {replies().length === 1 ? 'reply' : 'replies'}</div>
        <For each={replies()}>{(message) => <MessageItem message={message} grouped={false} me={props.me} canModerate={props.canModerate} inThread />}</For>
        <For each={pending()}>{(item) => <PendingItem item={item} />}</For>
      </div>
      <Composer conversationId={props.conversationId} parentId={props.rootId} placeholder="Reply in thread" />
    </aside>
  )
}

function PinsPanel(props: { conversationId: string; me: string; onClose(): void }) {
  const [pins, { refetch }] = createResource(() => props.conversationId, (id) => call(() => api.conversations({ id }).pins.get()))
  // Pins change under us (pin/unpin from the timeline): refetch when the timeline's pinned set changes.
  createEffect(on(() => (chat.messages[props.conversationId] ?? []).filter((m) => m.pinned).length, () => void refetch(), { defer: true }))
  return (
    <aside class="side-panel" aria-label="Pinned messages">
      <header class="panel-head">
        <h2>Pinned</h2>
        <button type="button" class="icon-button" aria-label="Close pinned messages" onClick={() => props.onClose()}>
          ×
        </button>
      </header>
      <div class="panel-scroll">
        <Show when={!pins.error} fallback={<p class="inline-error" role="alert">Could not load pinned messages. <button type="button" class="link" onClick={() => void refetch()}>Retry</button></p>}>
          <Show when={(pins() ?? []).length > 0} fallback={<p class="muted">Nothing pinned yet.</p>}>
            <For each={pins() ?? []}>{(message) => <MessageItem message={message} grouped={false} me={props.me} canModerate={false} inThread />}</For>
          </Show>
        </Show>
      </div>
    </aside>
  )
}
