import { createResource, createSignal, For, Show } from 'solid-js'
import { api, call, type ApiError } from '../../api/client'
import { Dialog } from '../../ui/dialog'
import { ErrorBanner } from '../../ui/parts'

/** Public channels of the workspace (or the platform's lounges) to look through and join. */
export function BrowseDialog(props: { workspaceId?: string; onClose(): void; onJoined(conversationId: string): void }) {
  const [error, setError] = createSignal<ApiError | null>(null)
  const [filter, setFilter] = createSignal('')
  const [listing] = createResource(() => props.workspaceId ?? 'lounges', (scope) =>
    scope === 'lounges' ? call(() => api.conversations.lounges.get()) : call(() => api.conversations.browse.get({ query: { workspaceId: scope } })),
  )
  const shown = () => (listing() ?? []).filter((c) => (c.name ?? '').toLowerCase().includes(filter().trim().toLowerCase()))

  async function join(id: string, joined: boolean) {
    setError(null)
    try {
      if (!joined) await call(() => api.conversations({ id }).join.post())
      props.onJoined(id)
    } catch (failure) {
      setError(failure as ApiError)
    }
  }

  return (
    <Dialog title={props.workspaceId ? 'Browse channels' : 'Browse lounges'} onClose={props.onClose}>
      <ErrorBanner error={error() ?? ((listing.error as ApiError | undefined) ?? null)} />
      <input type="search" placeholder="Filter by name" aria-label="Filter by name" value={filter()} onInput={(e) => setFilter(e.currentTarget.value)} autofocus />
      <Show when={!listing.loading && shown().length === 0}>
        <p class="muted">Nothing to join here yet.</p>
      </Show>
      <ul class="picker" role="list">
        <For each={shown()}>
          {(item) => (
            <li>
              <button type="button" class="secondary" onClick={() => void join(item.id, item.joined)}>
                <strong>{item.kind === 'channel' ? `#${item.name}` : item.name}</strong> <span class="muted">· {item.memberCount} {item.memberCount === 1 ? 'member' : 'members'}{item.joined ? ' · joined' : ''}</span>
                <Show when={item.topic}>
                  <span class="muted small-text block">{item.topic}</span>
                </Show>
              </button>
            </li>
          )}
        </For>
      </ul>
    </Dialog>
  )
}
