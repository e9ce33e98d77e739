import { useNavigate } from '@solidjs/router'
import { createResource, For, Show } from 'solid-js'
import { api, call, type ApiError } from '../../api/client'
import { chat } from '../../chat/store'
import { Dialog } from '../../ui/dialog'
import { ErrorBanner } from '../../ui/parts'

/** A summary of the newest messages (an LLM when one is configured, extractive TextRank otherwise), citing its sources. */
export function SummaryDialog(props: { conversationId: string; onClose(): void }) {
  const navigate = useNavigate()
  const [summary] = createResource(() => call(() => api.conversations({ id: props.conversationId }).ai.summary.post({ limit: 200 })))
  const seqOf = (id: string) => (chat.messages[props.conversationId] ?? []).find((m) => m.id === id)?.seq
  return (
    <Dialog title="Summary" onClose={props.onClose}>
      <ErrorBanner error={(summary.error as ApiError | undefined) ?? null} />
      <Show when={summary.loading}>
        <p class="muted">Reading the conversation…</p>
      </Show>
      <Show when={summary()}>
        {(result) => (
          <>
            <p class="summary-text">{result().summary || 'Nothing to summarize yet.'}</p>
            <p class="muted small-text">
              {result().method === 'extractive' ? 'Key messages picked by TextRank (no AI provider is configured)' : 'Written by the AI provider'} from {result().messageCount} messages.
            </p>
            <Show when={result().citedMessageIds.length > 0}>
              <div class="row">
                <span class="muted small-text">Sources:</span>
                <For each={result().citedMessageIds}>
                  {(id, index) => (
                    <button type="button" class="link small-text" onClick={() => { props.onClose(); const seq = seqOf(id); navigate(`/c/${props.conversationId}?${seq ? `at=${seq}&focus=${id}` : `message=${id}`}`) }}>
                      [{index() + 1}]
                    </button>
                  )}
                </For>
              </div>
            </Show>
          </>
        )}
      </Show>
    </Dialog>
  )
}
