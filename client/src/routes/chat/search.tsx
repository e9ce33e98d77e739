import { useNavigate } from '@solidjs/router'
import { createResource, createSignal, For, Show } from 'solid-js'
import { api, call, type ApiError } from '../../api/client'
import { chat, conversationTitle, displayName } from '../../chat/store'
import { Dialog } from '../../ui/dialog'

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#x27;': "'" }

/** The server's snippet is escaped HTML with <mark> hits; we rebuild it as text nodes so nothing else can render. */
export function Snippet(props: { html: string }) {
  const parts = () => {
    const out: Array<{ text: string; hit: boolean }> = []
    let inside = false
    props.html.split(/<(\/?)mark>/).forEach((piece, index) => {
      if (index % 2 === 1) inside = piece !== '/'
      else if (piece) out.push({ text: piece.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (e) => ENTITIES[e] ?? e), hit: inside })
    })
    return out
  }
  return <For each={parts()}>{(part) => (part.hit ? <mark>{part.text}</mark> : part.text)}</For>
}

/** Ctrl/Cmd+K: search messages with filters, arrow keys to move, Enter to jump to the message. */
export function SearchDialog(props: { onClose(): void; conversationId?: string }) {
  const navigate = useNavigate()
  const [text, setText] = createSignal('')
  const [scope, setScope] = createSignal<'all' | 'here'>(props.conversationId ? 'here' : 'all')
  const [from, setFrom] = createSignal('')
  const [active, setActive] = createSignal(0)
  const query = () => {
    const filters = [scope() === 'here' && props.conversationId ? `in:${props.conversationId}` : '', from().trim() ? `from:@${from().trim().replace(/^@/, '')}` : '']
    const q = [text().trim(), ...filters].filter(Boolean).join(' ')
    return q && (text().trim() || from().trim()) ? q : null
  }
  let debounce: ReturnType<typeof setTimeout> | undefined
  const [settled, setSettled] = createSignal<string | null>(null)
  const schedule = () => {
    clearTimeout(debounce)
    debounce = setTimeout(() => {
      setSettled(query())
      setActive(0)
    }, 200)
  }
  const [results] = createResource(settled, (q) => call(() => api.search.messages.get({ query: { q, limit: 30 } })))

  function open(index: number) {
    const hit = results()?.results[index]
    if (!hit) return
    props.onClose()
    const rootId = hit.message.parentId
    navigate(rootId ? `/c/${hit.conversation.id}?thread=${rootId}` : `/c/${hit.conversation.id}?at=${hit.message.seq}&focus=${hit.message.id}`)
  }

  function onKeyDown(event: KeyboardEvent) {
    const count = results()?.results.length ?? 0
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault()
      if (count > 0) setActive((i) => (i + (event.key === 'ArrowDown' ? 1 : count - 1)) % count)
    } else if (event.key === 'Enter') {
      event.preventDefault()
      open(active())
    }
  }

  return (
    <Dialog title="Search messages" onClose={props.onClose}>
      <div class="search-box" onKeyDown={onKeyDown}>
        <input type="search" placeholder='Words, "a phrase", has:file, before:2026-01-01…' aria-label="Search messages" value={text()} onInput={(e) => { setText(e.currentTarget.value); schedule() }} autofocus aria-controls="search-results" />
        <div class="row">
          <Show when={props.conversationId}>
            <label class="check">
              <input type="checkbox" checked={scope() === 'here'} onChange={(e) => { setScope(e.currentTarget.checked ? 'here' : 'all'); schedule() }} /> This conversation only
            </label>
          </Show>
          <label class="inline">
            From <input class="small-input" placeholder="@username" aria-label="From person" value={from()} onInput={(e) => { setFrom(e.currentTarget.value); schedule() }} />
          </label>
        </div>
      </div>
      <Show when={results.error}>
        <p class="inline-error" role="alert">{(results.error as ApiError).message}</p>
      </Show>
      <Show when={results.loading}>
        <p class="muted">Searching…</p>
      </Show>
      <Show when={results() && results()!.results.length === 0 && !results.loading}>
        <p class="muted">No messages match.</p>
      </Show>
      <ul id="search-results" class="search-results" role="listbox" aria-label="Results">
        <For each={results()?.results ?? []}>
          {(hit, index) => {
            const conversation = () => chat.conversations[hit.conversation.id]
            return (
              <li role="option" aria-selected={index() === active()} classList={{ active: index() === active() }} onMouseEnter={() => setActive(index())} onClick={() => open(index())}>
                <div class="muted small-text">
                  {conversation() ? conversationTitle(conversation()!) : hit.conversation.name ?? 'Conversation'} · {displayName(hit.message.senderId)} · {new Date(hit.message.createdAt).toLocaleString()}
                  {hit.matchedIn === 'transcript' ? ' · in the voice transcript' : ''}
                </div>
                <div class="snippet">
                  <Snippet html={hit.snippet} />
                </div>
              </li>
            )
          }}
        </For>
      </ul>
    </Dialog>
  )
}
