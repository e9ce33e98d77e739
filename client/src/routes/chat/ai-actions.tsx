import { createSignal, For, Show } from 'solid-js'
import type { MessageView } from '../../../../server/src/realtime/protocol'
import { api, call, type ApiError } from '../../api/client'
import { setChat } from '../../chat/store'

/** AI on one message: suggested replies (click one to put it in the composer) and a translation. */
export function MessageAi(props: { message: MessageView; onClose(): void }) {
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<string | null>(null)
  const [suggestions, setSuggestions] = createSignal<string[]>([])
  const [translation, setTranslation] = createSignal<string | null>(null)
  const [language, setLanguage] = createSignal(navigator.language?.split('-')[0] === 'en' ? 'Spanish' : 'English')
  const target = () => api.conversations({ id: props.message.conversationId }).messages({ messageId: props.message.id }).ai

  async function run(work: () => Promise<unknown>) {
    setError(null)
    setBusy(true)
    try {
      await work()
    } catch (failure) {
      // Without a provider the server says how to configure one (503 AI_PROVIDER_NOT_CONFIGURED).
      setError((failure as ApiError).message)
    } finally {
      setBusy(false)
    }
  }

  return (
    <div class="ai-panel" role="region" aria-label="AI assistance">
      <div class="row">
        <button type="button" class="secondary small" disabled={busy()} onClick={() => void run(async () => setSuggestions((await call(() => target().replies.post({ count: 3 }))).suggestions))}>
          Suggest replies
        </button>
        <input class="small-input" aria-label="Translate to" value={language()} onInput={(e) => setLanguage(e.currentTarget.value)} />
        <button type="button" class="secondary small" disabled={busy() || !language().trim()} onClick={() => void run(async () => setTranslation((await call(() => target().translate.post({ targetLanguage: language().trim() }))).text))}>
          Translate
        </button>
        <button type="button" class="icon-button" aria-label="Close AI assistance" onClick={() => props.onClose()}>
          ×
        </button>
      </div>
      <Show when={busy()}>
        <span class="muted small-text">Thinking…</span>
      </Show>
      <Show when={error()}>
        <p class="inline-error" role="alert">{error()}</p>
      </Show>
      <Show when={translation()}>
        <p class="small-text"><span class="muted">{language()}:</span> {translation()}</p>
      </Show>
      <Show when={suggestions().length > 0}>
        <div class="chips" aria-label="Suggested replies">
          <For each={suggestions()}>
            {(text) => (
              <button type="button" class="chip secondary" onClick={() => { setChat('composerInsert', { conversationId: props.message.conversationId, text }); props.onClose() }}>
                {text}
              </button>
            )}
          </For>
        </div>
      </Show>
    </div>
  )
}

export const TONES = ['friendly', 'formal', 'concise', 'confident', 'empathetic', 'proofread'] as const

/** Rewrite the composer's text in a tone; the result replaces the text (undo with Ctrl+Z is the browser's). */
export async function rewrite(text: string, tone: (typeof TONES)[number], conversationId: string): Promise<string> {
  return (await call(() => api.ai.rewrite.post({ text, tone, conversationId }))).text
}
