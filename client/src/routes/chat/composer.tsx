import { createEffect, createMemo, createSignal, For, on, Show } from 'solid-js'
import type { UserRef } from '../../../../server/src/features/conversations/model'
import { chat, setChat } from '../../chat/store'
import type { ApiError } from '../../api/client'
import { rewrite, TONES } from './ai-actions'
import { realtime, sendMessage } from '../../chat/sync'
import { EMOJI } from './emoji'
import { uploadFile, UploadError } from '../../chat/uploads'
import { VoiceRecorder } from './voice'

interface PendingUpload {
  key: string
  name: string
  size: number
  progress: number
  fileId?: string
  error?: string
  controller: AbortController
}

const MAX_ATTACHMENTS = 10

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
  const [uploads, setUploads] = createSignal<PendingUpload[]>([])
  const [dragging, setDragging] = createSignal(false)
  const [recording, setRecording] = createSignal(false)
  const [rewriting, setRewriting] = createSignal(false)
  const [aiError, setAiError] = createSignal<string | null>(null)

  // A suggested reply (or another feature) hands text to this conversation's main composer.
  createEffect(on(() => chat.composerInsert, (insert) => {
    if (!insert || insert.conversationId !== props.conversationId || props.parentId) return
    setChat('composerInsert', null)
    update(insert.text)
    box.focus()
  }))

  async function rewriteAs(tone: (typeof TONES)[number]) {
    setAiError(null)
    setRewriting(true)
    try {
      update(await rewrite(text(), tone, props.conversationId))
    } catch (failure) {
      setAiError((failure as ApiError).message)
    } finally {
      setRewriting(false)
    }
  }
  let filePicker!: HTMLInputElement
  const uploading = () => uploads().some((u) => !u.fileId && !u.error)

  function addFiles(files: Iterable<File>) {
    for (const file of files) {
      if (uploads().length >= MAX_ATTACHMENTS) break
      const entry: PendingUpload = { key: crypto.randomUUID(), name: file.name || 'pasted image', size: file.size, progress: 0, controller: new AbortController() }
      setUploads((list) => [...list, entry])
      const patch = (change: Partial<PendingUpload>) => setUploads((list) => list.map((u) => (u.key === entry.key ? { ...u, ...change } : u)))
      uploadFile(file, (progress) => patch({ progress }), entry.controller.signal).then(
        (uploaded) => patch({ fileId: uploaded.id, progress: 1 }),
        (error: unknown) => {
          if (error instanceof UploadError && error.code === 'CANCELLED') return
          patch({ error: (error as Error).message })
        },
      )
    }
  }

  function removeUpload(key: string) {
    const entry = uploads().find((u) => u.key === key)
    entry?.controller.abort()
    setUploads((list) => list.filter((u) => u.key !== key))
  }
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
    const ready = uploads().filter((u) => u.fileId)
    // A message needs text; files alone are sent under their names.
    const content = text().trim() || ready.map((u) => `📎 ${u.name}`).join('\n')
    if (!content || content.length > MAX_LENGTH || props.disabled || uploading()) return
    void sendMessage(props.conversationId, content, props.parentId, ready.map((u) => u.fileId!))
    setUploads([])
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
    <form
      class="composer"
      classList={{ dragging: dragging() }}
      onSubmit={(e) => { e.preventDefault(); submit() }}
      onDragOver={(e) => { if (e.dataTransfer?.types.includes('Files')) { e.preventDefault(); setDragging(true) } }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        setDragging(false)
        if (!e.dataTransfer?.files.length) return
        e.preventDefault()
        addFiles(e.dataTransfer.files)
      }}
    >
      <Show when={aiError()}>
        <p class="inline-error" role="alert">{aiError()}</p>
      </Show>
      <Show when={recording()}>
        <VoiceRecorder conversationId={props.conversationId} parentId={props.parentId} onClose={() => setRecording(false)} />
      </Show>
      <Show when={uploads().length > 0}>
        <ul class="upload-list" aria-label="Attachments">
          <For each={uploads()}>
            {(upload) => (
              <li classList={{ failed: !!upload.error }}>
                <span class="upload-name">{upload.name}</span>
                <Show when={upload.error} fallback={<progress max="1" value={upload.progress} aria-label={`Uploading ${upload.name}`} />}>
                  <span class="inline-error">{upload.error}</span>
                </Show>
                <button type="button" class="icon-button" aria-label={upload.fileId || upload.error ? `Remove ${upload.name}` : `Cancel upload of ${upload.name}`} onClick={() => removeUpload(upload.key)}>
                  ×
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
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
        <button type="button" class="icon-button" aria-label="Attach files" disabled={!!props.disabled} onClick={() => filePicker.click()}>
          📎
        </button>
        <button type="button" class="icon-button" aria-label="Record a voice message" disabled={!!props.disabled || recording()} onClick={() => setRecording(true)}>
          🎤
        </button>
        <select class="rewrite" aria-label="Rewrite with AI" disabled={!text().trim() || rewriting()} onChange={(e) => { const tone = e.currentTarget.value as (typeof TONES)[number]; e.currentTarget.value = ''; if (tone) void rewriteAs(tone) }}>
          <option value="">✨</option>
          <For each={TONES}>{(tone) => <option value={tone}>Rewrite: {tone}</option>}</For>
        </select>
        <input ref={filePicker} type="file" multiple hidden aria-hidden="true" onChange={(e) => { addFiles(e.currentTarget.files ?? []); e.currentTarget.value = '' }} />
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
          onPaste={(e) => {
            const files = [...(e.clipboardData?.files ?? [])]
            if (files.length === 0) return
            e.preventDefault()
            addFiles(files)
          }}
        />
        <button type="submit" disabled={(!text().trim() && !uploads().some((u) => u.fileId)) || uploading() || !!props.disabled}>
          Send
        </button>
      </div>
    </form>
  )
}
