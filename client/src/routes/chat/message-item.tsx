import { createMemo, createSignal, For, Show } from 'solid-js'
import type { MessageView } from '../../../../server/src/realtime/protocol'
import { api, call } from '../../api/client'
import { session } from '../../api/session'
import { chat, displayName } from '../../chat/store'
import { command, discardPending, retryPending } from '../../chat/sync'
import type { OutboxItem } from '../../offline/db'
import { renderMarkdown } from '../../ui/markdown'
import { MessageAi } from './ai-actions'
import { Attachments } from './attachments'
import { ForwardDialog } from './forward-dialog'
import { ModerateDialog } from './moderation'
import { Transcript } from './voice'
import { EMOJI } from './emoji'
import { highlightIn } from './highlight'

// One formatter for every row: toLocaleTimeString with options builds a new one per call (a visible cost per row while scrolling).
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' })
const time = (iso: string) => timeFormat.format(new Date(iso))

function mentionName(username: string): string | null {
  return Object.values(chat.users).find((u) => u.username.toLowerCase() === username)?.displayName ?? null
}

export function Avatar(props: { userId: string | null }) {
  const name = () => displayName(props.userId)
  return (
    <span class="avatar" aria-hidden="true">
      {name().slice(0, 1).toUpperCase()}
    </span>
  )
}

/** The rendered markdown of a message (escaped and rebuilt, see ui/markdown.ts). */
export function MessageBody(props: { content: string }) {
  const html = createMemo(() => renderMarkdown(props.content, { mentionName }))
  return <div class="message-body" innerHTML={html()} ref={(el) => queueMicrotask(() => highlightIn(el))} />
}

/** One message with its actions: react, reply in thread, edit, delete, pin, copy link. */
export function MessageItem(props: { message: MessageView; grouped: boolean; me: string; canModerate: boolean; onOpenThread?: (id: string) => void; inThread?: boolean; focused?: boolean; seen?: boolean }) {
  const [editing, setEditing] = createSignal(false)
  const [picking, setPicking] = createSignal(false)
  const [failure, setFailure] = createSignal<string | null>(null)
  const [moderating, setModerating] = createSignal(false)
  const [forwarding, setForwarding] = createSignal(false)
  const [assisting, setAssisting] = createSignal(false)
  const inLounge = () => chat.conversations[props.message.conversationId]?.kind === 'lounge'
  const mine = () => props.message.senderId === props.me
  const deleted = () => !!props.message.deletedAt

  async function act(work: () => Promise<unknown>) {
    setFailure(null)
    try {
      await work()
    } catch (error) {
      setFailure((error as Error).message)
    }
  }
  const react = (emoji: string, on: boolean) => act(() => command({ type: 'react', conversationId: props.message.conversationId, messageId: props.message.id, emoji, on }))
  const remove = () => {
    if (confirm('Delete this message for everyone?')) void act(() => command({ type: 'delete', conversationId: props.message.conversationId, messageId: props.message.id }))
  }
  const togglePin = () =>
    act(() => {
      const target = api.conversations({ id: props.message.conversationId }).messages({ messageId: props.message.id }).pin
      return call(() => (props.message.pinned ? target.delete() : target.put()))
    })

  // The actions also open as a context menu: right click, the Menu key or Shift+F10; Escape closes it.
  const [menuOpen, setMenuOpen] = createSignal(false)
  let toolbar: HTMLDivElement | undefined
  function openMenu() {
    setMenuOpen(true)
    queueMicrotask(() => toolbar?.querySelector<HTMLButtonElement>('button')?.focus())
  }

  function onKeyDown(event: KeyboardEvent) {
    if (event.key === 'Escape' && menuOpen()) {
      setMenuOpen(false)
      ;(event.currentTarget as HTMLElement).focus()
      return
    }
    if (event.target !== event.currentTarget || deleted()) return
    if (event.key === 'ContextMenu' || (event.key === 'F10' && event.shiftKey)) openMenu()
    else if (event.key === 'e' && mine()) setEditing(true)
    else if (event.key === 'r' && !props.inThread) props.onOpenThread?.(props.message.id)
    else if (event.key === 'f') setForwarding(true)
    else if (event.key === 'Delete' && (mine() || props.canModerate)) remove()
    else return
    event.preventDefault()
  }

  return (
    <article
      class="message"
      classList={{ grouped: props.grouped, system: props.message.type === 'system', deleted: deleted(), pinned: props.message.pinned, focused: !!props.focused }}
      tabindex="0"
      aria-label={`${displayName(props.message.senderId)} at ${time(props.message.createdAt)}`}
      data-message-id={props.message.id}
      data-seq={props.message.seq}
      onKeyDown={onKeyDown}
      onContextMenu={(event) => {
        if (deleted() || props.message.type === 'system' || (event.target as HTMLElement).closest('a, textarea, input')) return
        event.preventDefault()
        openMenu()
      }}
      onFocusOut={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setMenuOpen(false)
      }}
    >
      <Show when={!props.grouped} fallback={<span class="gutter-time">{time(props.message.createdAt)}</span>}>
        <Avatar userId={props.message.senderId} />
      </Show>
      <div class="message-main">
        <Show when={!props.grouped}>
          <header class="message-head">
            <strong class="sender">{displayName(props.message.senderId)}</strong>
            <time dateTime={props.message.createdAt}>{time(props.message.createdAt)}</time>
            <Show when={props.message.pinned}>
              <span class="badge">Pinned</span>
            </Show>
          </header>
        </Show>
        <Show when={!deleted()} fallback={<p class="muted tombstone">This message was deleted.</p>}>
          <Show when={editing()} fallback={<MessageBody content={props.message.content} />}>
            <EditBox
              initial={props.message.content}
              onCancel={() => setEditing(false)}
              onSave={(content) =>
                void act(async () => {
                  await command({ type: 'edit', conversationId: props.message.conversationId, messageId: props.message.id, content })
                  setEditing(false)
                })
              }
            />
          </Show>
          <Show when={props.message.editedAt}>
            <span class="muted edited">(edited)</span>
          </Show>
          <Show when={props.message.forwardedFromId}>
            <span class="muted edited">Forwarded</span>
          </Show>
        </Show>
        <Show when={!deleted() && (props.message.attachments?.length ?? 0) > 0}>
          <Attachments fileIds={props.message.attachments} />
        </Show>
        <Show when={!deleted() && props.message.type === 'voice'}>
          <Transcript message={props.message} />
        </Show>
        <Show when={props.message.reactions.length > 0}>
          <div class="reactions" role="group" aria-label="Reactions">
            <For each={props.message.reactions}>
              {(reaction) => (
                <button type="button" class="reaction" classList={{ mine: reaction.me }} aria-pressed={reaction.me} onClick={() => void react(reaction.emoji, !reaction.me)} title={reaction.userIds.map(displayName).join(', ')}>
                  {reaction.emoji} <span>{reaction.count}</span>
                </button>
              )}
            </For>
          </div>
        </Show>
        <Show when={!props.inThread && props.message.replyCount > 0}>
          <button type="button" class="link thread-link" onClick={() => props.onOpenThread?.(props.message.id)}>
            {props.message.replyCount} {props.message.replyCount === 1 ? 'reply' : 'replies'}
          </button>
        </Show>
        <Show when={failure()}>
          <p class="inline-error" role="alert">{failure()}</p>
        </Show>
        <Show when={props.seen}>
          <span class="muted seen" aria-label="Seen by everyone">Seen</span>
        </Show>
      </div>
      <Show when={!deleted() && props.message.type !== 'system'}>
        <div class="message-actions" classList={{ open: menuOpen() }} role="toolbar" aria-label="Message actions" ref={toolbar}>
          <button type="button" class="icon-button" aria-label="React with thumbs up" onClick={() => void react('👍', !props.message.reactions.some((r) => r.emoji === '👍' && r.me))}>
            👍
          </button>
          <button type="button" class="icon-button" aria-label="Add reaction" aria-expanded={picking()} onClick={() => setPicking(!picking())}>
            ☺
          </button>
          <Show when={!props.inThread}>
            <button type="button" class="icon-button" aria-label="Reply in thread" onClick={() => props.onOpenThread?.(props.message.id)}>
              ↩
            </button>
          </Show>
          <Show when={mine()}>
            <button type="button" class="icon-button" aria-label="Edit message" onClick={() => setEditing(true)}>
              ✎
            </button>
          </Show>
          <button type="button" class="icon-button" aria-label="AI: suggest replies, translate" onClick={() => setAssisting(!assisting())}>
            ✨
          </button>
          <button type="button" class="icon-button" aria-label="Forward message" onClick={() => setForwarding(true)}>
            ➦
          </button>
          <button type="button" class="icon-button" aria-label={props.message.pinned ? 'Unpin message' : 'Pin message'} onClick={() => void togglePin()}>
            📌
          </button>
          <Show when={mine() || (props.canModerate && !inLounge())}>
            <button type="button" class="icon-button danger" aria-label="Delete message" onClick={remove}>
              🗑
            </button>
          </Show>
          <Show when={props.canModerate && inLounge() && !mine() && props.message.senderId}>
            <button type="button" class="icon-button danger" aria-label="Moderate" onClick={() => setModerating(true)}>
              ⚑
            </button>
          </Show>
        </div>
        <Show when={assisting()}>
          <MessageAi message={props.message} onClose={() => setAssisting(false)} />
        </Show>
        <Show when={forwarding()}>
          <ForwardDialog message={props.message} onClose={() => setForwarding(false)} />
        </Show>
        <Show when={moderating()}>
          <ModerateDialog message={props.message} onClose={() => setModerating(false)} />
        </Show>
        <Show when={picking()}>
          <div class="emoji-picker" role="menu" aria-label="Pick a reaction">
            <For each={EMOJI}>
              {(emoji) => (
                <button type="button" role="menuitem" class="icon-button" onClick={() => { setPicking(false); void react(emoji, true) }}>
                  {emoji}
                </button>
              )}
            </For>
          </div>
        </Show>
      </Show>
    </article>
  )
}

function EditBox(props: { initial: string; onSave(content: string): void; onCancel(): void }) {
  let box!: HTMLTextAreaElement
  return (
    <textarea
      ref={(el) => {
        box = el
        queueMicrotask(() => box.focus())
      }}
      class="edit-box"
      aria-label="Edit message"
      value={props.initial}
      onKeyDown={(e) => {
        if (e.key === 'Escape') props.onCancel()
        if (e.key === 'Enter' && !e.shiftKey) {
          e.preventDefault()
          const content = box.value.trim()
          if (content && content !== props.initial) props.onSave(content)
          else props.onCancel()
        }
      }}
    />
  )
}

/** A message in the outbox: shown at once, marked pending until the server acknowledges it. */
export function PendingItem(props: { item: OutboxItem }) {
  return (
    <article class="message pending" data-pending={props.item.clientMsgId} aria-label="Sending">
      <Avatar userId={session()?.userId ?? null} />
      <div class="message-main">
        <MessageBody content={props.item.content} />
        <Show when={props.item.failed} fallback={<span class="muted status">Sending…</span>}>
          {(failed) => (
            <span class="inline-error" role="alert">
              Not sent: {failed().message}{' '}
              <button type="button" class="link" onClick={() => void retryPending(props.item.clientMsgId)}>Retry</button>{' '}
              <button type="button" class="link" onClick={() => void discardPending(props.item.clientMsgId)}>Discard</button>
            </span>
          )}
        </Show>
      </div>
    </article>
  )
}
