import { createEffect, createMemo, createSignal, For, on, Show } from 'solid-js'
import type { UserRef } from '../../../../server/src/features/conversations/model'
import { chat } from '../../chat/store'
import { realtime, sendMessage } from '../../chat/sync'
import { EMOJI } from './emoji'

const TYPING_EVERY_MS = 3000
const MAX_LENGTH = 10_000

const draftKey = (conversationId: string, parentId?: string) => `parley.draft.${conversationId}${parentId ? `.${parentId}` : ''}`

/** Multi-line composer: Enter sends, Shift+Enter breaks the line; drafts survive reloads and sign-outs. */
export function Composer(props: { conversationId: string; parentId?: string; placeholder: string; disabled?: string | null }) {
  let box!: HTMLTextAreaElement
  const [text, setText] = createSignal('')
  const [mention, setMention] = createSignal<{ query: string; start: number } | null>(null)
  const [highlighted, setHighlighted] = createSignal(0)
  const [emojiOpen, setEmojiOpen] = createSignal(false)
  let lastTyping = 0

  createEffect(on(() => [props.conversationId, props.parentId] as const, ([conversationId, parentId]) => {
    setText(localStorage.getItem(draftKey(conversationId, parentId)) ?? '')
    setMention(null)
  }))

  function update(value: string) {
    setText(value)
    const key = draftKey(props.conversationId, props.parentId)
    if (value) localStorage.setItem(key, value)
    else localStorage.removeItem(key)
    const caret = box.selectionStart
    const match = /(^|\s)@([\w.-]{0,32})$/.exec(value.slice(0, caret))
    setMention(match ? { query: match[2]!.toLowerCase(), start: caret - match[2]!.length - 1 } : null)
    setHighlighted(0)
    if (value && Date.now() - lastTyping > TYPING_EVERY_MS) {
      lastTyping = Date.now()
      realtime()?.notify({ type: 'typing', conversationId: props.conversationId })
    }
  }

  const candidates = createMemo<UserRef[]>(() => {
    const current = mention()
    if (!current) return []
    return Object.values(chat.users)
      .filter((u) => u.username.toLowerCase().startsWith(current.query) || u.displayName.toLowerCase().includes(current.query))
      .slice(0, 6)
  })

  function insertMention(user: UserRef) {
    const current = mention()
    if (!current) return
    const value = text()
    const next = `${value.slice(0, current.start)}@${user.username} ${value.slice(box.selectionStart)}`
    update(next)
    setMention(null)
    box.focus()
  }

  function insertText(snippet: string) {
    const start = box.selectionStart
    const value = text()
    update(value.slice(0, start) + snippet + value.slice(box.selectionEnd))
    box.focus()
  }

  function submit() {
    const content = text().trim()
    if (!content || content.length > MAX_LENGTH || props.disabled) return
    void sendMessage(props.conversationId, content, props.parentId)
    update('')
  }

  function onKeyDown(event: KeyboardEvent) {
    const list = candidates()
    if (list.length > 0) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault()
        setHighlighted((i) => (i + (event.key === 'ArrowDown' ? 1 : list.length - 1)) % list.length)
        return
      }
      if (event.key === 'Enter' || event.key === 'Tab') {
        event.preventDefault()
        insertMention(list[highlighted()]!)
        return
      }
      if (event.key === 'Escape') return setMention(null)
    }
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault()
      submit()
    }
  }

  return (
    <form class="composer" onSubmit={(e) => { e.preventDefault(); submit() }}>
      <Show when={candidates().length > 0}>
        <ul class="mention-list" role="listbox" aria-label="Mention someone">
          <For each={candidates()}>
            {(user, index) => (
              <li role="option" aria-selected={index() === highlighted()} classList={{ active: index() === highlighted() }} onMouseDown={(e) => { e.preventDefault(); insertMention(user) }}>
                {user.displayName} <span class="muted">@{user.username}</span>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={emojiOpen()}>
        <div class="emoji-picker composer-emoji" role="menu" aria-label="Insert emoji">
          <For each={EMOJI}>
            {(emoji) => (
              <button type="button" role="menuitem" class="icon-button" onClick={() => { setEmojiOpen(false); insertText(emoji) }}>
                {emoji}
              </button>
            )}
          </For>
        </div>
      </Show>
      <div class="composer-row">
        <button type="button" class="icon-button" aria-label="Insert emoji" aria-expanded={emojiOpen()} onClick={() => setEmojiOpen(!emojiOpen())}>
          ☺
        </button>
        <textarea
          ref={box}
          rows={1}
          value={text()}
          placeholder={props.disabled ?? props.placeholder}
          disabled={!!props.disabled}
          aria-label={props.placeholder}
          maxLength={MAX_LENGTH}
          onInput={(e) => update(e.currentTarget.value)}
          onKeyDown={onKeyDown}
        />
        <button type="submit" disabled={!text().trim() || !!props.disabled}>
          Send
        </button>
      </div>
    </form>
  )
}
