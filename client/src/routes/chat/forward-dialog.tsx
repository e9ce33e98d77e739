import { createSignal, For, Show } from 'solid-js'
import type { MessageView } from '../../../../server/src/realtime/protocol'
import { api, call, type ApiError } from '../../api/client'
import { chat, conversationTitle } from '../../chat/store'
import { Dialog } from '../../ui/dialog'
import { ErrorBanner, Notice } from '../../ui/parts'

const MAX_TARGETS = 10

/** Forward a message to up to ten conversations; each gets a copy that points back to the original. */
export function ForwardDialog(props: { message: MessageView; onClose(): void }) {
  const [chosen, setChosen] = createSignal<string[]>([])
  const [filter, setFilter] = createSignal('')
  const [error, setError] = createSignal<ApiError | null>(null)
  const [done, setDone] = createSignal(false)
  const targets = () =>
    Object.values(chat.conversations)
      .filter((c) => !c.archived && conversationTitle(c).toLowerCase().includes(filter().trim().toLowerCase()))
      .sort((a, b) => conversationTitle(a).localeCompare(conversationTitle(b)))
  const toggle = (id: string) => setChosen((list) => (list.includes(id) ? list.filter((x) => x !== id) : list.length < MAX_TARGETS ? [...list, id] : list))
  async function forward(event: SubmitEvent) {
    event.preventDefault()
    setError(null)
    try {
      await call(() => api.conversations({ id: props.message.conversationId }).messages({ messageId: props.message.id }).forward.post({ conversationIds: chosen() }))
      setDone(true)
      setTimeout(() => props.onClose(), 800)
    } catch (failure) {
      setError(failure as ApiError)
    }
  }
  return (
    <Dialog title="Forward message" onClose={props.onClose}>
      <ErrorBanner error={error()} />
      <Show when={done()}>
        <Notice>Forwarded.</Notice>
      </Show>
      <form onSubmit={(e) => void forward(e)}>
        <blockquote class="forward-preview">{props.message.content.slice(0, 280)}</blockquote>
        <input type="search" placeholder="Find a conversation" aria-label="Find a conversation" value={filter()} onInput={(e) => setFilter(e.currentTarget.value)} />
        <ul class="picker" role="listbox" aria-multiselectable="true" aria-label="Forward to">
          <For each={targets()}>
            {(conversation) => (
              <li role="option" aria-selected={chosen().includes(conversation.id)}>
                <label class="check">
                  <input type="checkbox" checked={chosen().includes(conversation.id)} onChange={() => toggle(conversation.id)} /> {conversationTitle(conversation)}
                </label>
              </li>
            )}
          </For>
        </ul>
        <div class="row end">
          <button type="button" class="secondary" onClick={() => props.onClose()}>Cancel</button>
          <button type="submit" disabled={chosen().length === 0 || done()}>
            Forward{chosen().length > 1 ? ` to ${chosen().length}` : ''}
          </button>
        </div>
      </form>
    </Dialog>
  )
}
