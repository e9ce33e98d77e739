import { useNavigate } from '@solidjs/router'
import { createResource, createSignal, For, Show } from 'solid-js'
import { api, call, type ApiError } from '../../api/client'
import { chat, conversationTitle, displayName } from '../../chat/store'
import { Dialog } from '../../ui/dialog'
import { stripMarkdownMarkers } from '../../ui/markdown'
import { fileHitContext, openFileHit } from './search-files'

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#x27;': "'" }

/**
 * The server's snippet is escaped HTML with <mark> hits; we rebuild it as text nodes so nothing else can render.
 * `markdown`: the snippet is of a message, so its markdown markers are dropped (a file name is shown as it is).
 */
export function Snippet(props: { html: string; markdown?: boolean }) {
  const parts = () => {
    const out: Array<{ text: string; hit: boolean }> = []
    let inside = false
    props.html.split(/<(\/?)mark>/).forEach((piece, index) => {
      if (index % 2 === 1) inside = piece !== '/'
      else if (piece) {
        const text = piece.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (e) => ENTITIES[e] ?? e)
        out.push({ text: props.markdown ? stripMarkdownMarkers(text) : text, hit: inside })
      }
    })
    return out
  }
  return <For each={parts()}>{(part) => (part.hit ? <mark>{part.text}</mark> : part.text)}</For>
}

type Mode = 'messages' | 'files'
const MODES: Array<{ mode: Mode; label: string }> = [
  { mode: 'messages', label: 'Messages' },
  { mode: 'files', label: 'Files' },
]

/** Ctrl/Cmd+K: search messages or files by name with filters, arrow keys to move, Enter to jump to the message. */
export function SearchDialog(props: { onClose(): void; conversationId?: string }) {
  const navigate = useNavigate()
  const [mode, setMode] = createSignal<Mode>('messages')
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
  const [results] = createResource(() => (mode() === 'messages' ? settled() : null), (q) => call(() => api.search.messages.get({ query: { q, limit: 30 } })))
  const [fileResults] = createResource(() => (mode() === 'files' ? settled() : null), (q) => call(() => api.search.files.get({ query: { q, limit: 30 } })))
  const current = () => (mode() === 'messages' ? results : fileResults)
  const noun = () => (mode() === 'messages' ? 'messages' : 'files')
  let input!: HTMLInputElement

  function switchTo(next: Mode) {
    setMode(next)
    setActive(0)
    input.focus()
  }

  function open(index: number) {
    if (mode() === 'files') {
      const hit = fileResults()?.results[index]
      if (!hit) return
      props.onClose()
      return void openFileHit(hit, navigate).catch(() => undefined) // @NOTE: a file that vanished since the search has nothing to open.
    }
    const hit = results()?.results[index]
    if (!hit) return
    props.onClose()
    const rootId = hit.message.parentId
    navigate(rootId ? `/c/${hit.conversation.id}?thread=${rootId}` : `/c/${hit.conversation.id}?at=${hit.message.seq}&focus=${hit.message.id}`)
  }

  function onKeyDown(event: KeyboardEvent) {
    const count = current()()?.results.length ?? 0
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault()
      if (count > 0) setActive((i) => (i + (event.key === 'ArrowDown' ? 1 : count - 1)) % count)
    } else if (event.key === 'Enter') {
      event.preventDefault()
      open(active())
    }
  }

  return (
    <Dialog title={`Search ${noun()}`} onClose={props.onClose}>
      <div class="tabs" role="tablist" aria-label="Search in">
        <For each={MODES}>
          {(tab) => (
            <button
              type="button"
              role="tab"
              id={`search-tab-${tab.mode}`}
              aria-selected={mode() === tab.mode}
              aria-controls="search-panel"
              tabIndex={mode() === tab.mode ? 0 : -1}
              class={mode() === tab.mode ? '' : 'secondary'}
              onClick={() => switchTo(tab.mode)}
              onKeyDown={(e) => {
                if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return
                e.preventDefault()
                const next = MODES[(MODES.findIndex((m) => m.mode === mode()) + 1) % MODES.length]!.mode
                setMode(next)
                setActive(0)
                document.getElementById(`search-tab-${next}`)?.focus()
              }}
            >
              {tab.label}
            </button>
          )}
        </For>
      </div>
      <div class="search-box" onKeyDown={onKeyDown}>
        <input ref={input} type="search" placeholder={mode() === 'messages' ? 'Words, "a phrase", has:file, before:2026-01-01…' : 'Part of a file name, after:2026-01-01…'} aria-label={`Search ${noun()}`} value={text()} onInput={(e) => { setText(e.currentTarget.value); schedule() }} autofocus aria-controls="search-results" />
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
      <div id="search-panel" role="tabpanel" aria-labelledby={`search-tab-${mode()}`}>
      <Show when={current().error}>
        <p class="inline-error" role="alert">{(current().error as ApiError).message}</p>
      </Show>
      <Show when={current().loading}>
        <p class="muted">Searching…</p>
      </Show>
      <Show when={current()() && current()()!.results.length === 0 && !current().loading}>
        <p class="muted">No {noun()} match.</p>
      </Show>
      <ul id="search-results" class="search-results" role="listbox" aria-label="Results">
        <For each={mode() === 'files' ? (fileResults()?.results ?? []) : []}>
          {(hit, index) => (
            <li role="option" aria-selected={index() === active()} classList={{ active: index() === active() }} onMouseEnter={() => setActive(index())} onClick={() => open(index())}>
              <div class="muted small-text">{fileHitContext(hit)}</div>
              <div class="snippet">
                <Snippet html={hit.snippet} />
              </div>
            </li>
          )}
        </For>
        <For each={mode() === 'messages' ? (results()?.results ?? []) : []}>
          {(hit, index) => {
            const conversation = () => chat.conversations[hit.conversation.id]
            return (
              <li role="option" aria-selected={index() === active()} classList={{ active: index() === active() }} onMouseEnter={() => setActive(index())} onClick={() => open(index())}>
                <div class="muted small-text">
                  {conversation() ? conversationTitle(conversation()!) : hit.conversation.name ?? 'Conversation'} · {displayName(hit.message.senderId)} · {new Date(hit.message.createdAt).toLocaleString()}
                  {hit.matchedIn === 'transcript' ? ' · in the voice transcript' : ''}
                </div>
                <div class="snippet">
                  <Snippet html={hit.snippet} markdown />
                </div>
              </li>
            )
          }}
        </For>
      </ul>
      </div>
    </Dialog>
  )
}
