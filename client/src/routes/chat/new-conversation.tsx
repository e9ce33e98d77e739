import { createResource, createSignal, For, Show, type JSX } from 'solid-js'
import { api, call, type ApiError } from '../../api/client'
import { ErrorBanner } from '../../ui/parts'
import { Dialog } from '../../ui/dialog'

export type DialogKind = 'workspace' | 'channel' | 'dm' | 'lounge'

/** Create a workspace or a channel, or start a DM (one person) or a group (several). */
export function NewConversationDialog(props: {
  kind: DialogKind
  workspaceId: string
  me: string
  onClose(): void
  onCreated(conversationId: string): void
  onWorkspace(workspaceId: string): void
}) {
  const [error, setError] = createSignal<ApiError | null>(null)
  const [busy, setBusy] = createSignal(false)

  async function run(work: () => Promise<void>) {
    setError(null)
    setBusy(true)
    try {
      await work()
    } catch (failure) {
      setError(failure as ApiError)
    } finally {
      setBusy(false)
    }
  }

  const title = { workspace: 'New workspace', channel: 'New channel', dm: 'New message', lounge: 'New lounge' }[props.kind]
  return (
    <Dialog title={title} onClose={props.onClose}>
      <ErrorBanner error={error()} />
      <Show when={props.kind === 'workspace'}>
        <form
          onSubmit={(e) => {
            e.preventDefault()
            const name = String(new FormData(e.currentTarget).get('name')).trim()
            void run(async () => props.onWorkspace((await call(() => api.workspaces.post({ name }))).id))
          }}
        >
          <label>
            Name
            <input name="name" required maxLength={80} autofocus />
          </label>
          <Actions busy={busy()} label="Create workspace" onCancel={props.onClose} />
        </form>
      </Show>
      <Show when={props.kind === 'channel'}>
        <form
          onSubmit={(e) => {
            e.preventDefault()
            const form = new FormData(e.currentTarget)
            const name = String(form.get('name')).trim().toLowerCase().replace(/\s+/g, '-')
            const topic = String(form.get('topic') ?? '')
            const isPrivate = form.get('private') === 'on'
            void run(async () => {
              const reply = await call(() => api.conversations.post({ kind: 'channel', workspaceId: props.workspaceId, name, topic, isPrivate }))
              props.onCreated(reply.id)
            })
          }}
        >
          <label>
            Name
            <input name="name" required pattern="[a-z0-9_\- ]{1,80}" placeholder="e.g. design-review" autofocus />
          </label>
          <label>
            Topic <span class="muted">(optional)</span>
            <input name="topic" maxLength={250} />
          </label>
          <label class="check">
            <input type="checkbox" name="private" /> Private — only invited people can see it
          </label>
          <Actions busy={busy()} label="Create channel" onCancel={props.onClose} />
        </form>
      </Show>
      <Show when={props.kind === 'lounge'}>
        <form
          onSubmit={(e) => {
            e.preventDefault()
            const form = new FormData(e.currentTarget)
            const name = String(form.get('name')).trim()
            const topic = String(form.get('topic') ?? '').trim()
            void run(async () => props.onCreated((await call(() => api.conversations.post({ kind: 'lounge', name, ...(topic ? { topic } : {}) }))).id))
          }}
        >
          <p class="muted">A lounge is open to everyone on this server; you moderate it.</p>
          <label>
            Name
            <input name="name" required maxLength={80} autofocus />
          </label>
          <label>
            Topic <span class="muted">(optional)</span>
            <input name="topic" maxLength={250} />
          </label>
          <Actions busy={busy()} label="Create lounge" onCancel={props.onClose} />
        </form>
      </Show>
      <Show when={props.kind === 'dm'}>
        <PeoplePicker me={props.me} busy={busy()} onCancel={props.onClose} onPick={(ids) => void run(async () => {
          const body = ids.length === 1 ? { kind: 'dm' as const, userId: ids[0]! } : { kind: 'group' as const, memberIds: ids }
          props.onCreated((await call(() => api.conversations.post(body))).id)
        })} />
      </Show>
    </Dialog>
  )
}

function Actions(props: { busy: boolean; label: string; onCancel(): void }) {
  return (
    <div class="row end">
      <button type="button" class="secondary" onClick={() => props.onCancel()}>
        Cancel
      </button>
      <button type="submit" disabled={props.busy}>
        {props.label}
      </button>
    </div>
  )
}

function PeoplePicker(props: { me: string; busy: boolean; onCancel(): void; onPick(ids: string[]): void }): JSX.Element {
  const [query, setQuery] = createSignal('')
  const [chosen, setChosen] = createSignal<Array<{ id: string; displayName: string }>>([])
  const [hits] = createResource(query, (q) => (q.trim().length < 1 ? Promise.resolve([]) : call(() => api.search.users.get({ query: { q: q.trim() } })).catch(() => [])))
  const toggle = (user: { id: string; displayName: string }) =>
    setChosen((list) => (list.some((u) => u.id === user.id) ? list.filter((u) => u.id !== user.id) : [...list, user]))
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault()
        if (chosen().length > 0) props.onPick(chosen().map((u) => u.id))
      }}
    >
      <label>
        To
        <input type="search" placeholder="Name, or exact username or email" value={query()} onInput={(e) => setQuery(e.currentTarget.value)} autofocus aria-controls="people-results" />
      </label>
      <Show when={chosen().length > 0}>
        <div class="chips">
          <For each={chosen()}>
            {(user) => (
              <button type="button" class="chip" onClick={() => toggle(user)}>
                {user.displayName} <span aria-hidden="true">×</span>
                <span class="visually-hidden"> (remove)</span>
              </button>
            )}
          </For>
        </div>
      </Show>
      {/* Toggle buttons in a list: a listbox may not hold buttons (nested interactive controls). */}
      <ul id="people-results" class="picker" role="list" aria-label="People found">
        <For each={(hits() ?? []).filter((u) => u.id !== props.me)}>
          {(user) => (
            <li>
              <button type="button" class="secondary" aria-pressed={chosen().some((u) => u.id === user.id)} onClick={() => toggle(user)}>
                {user.displayName} <span class="muted">@{user.username}</span>
              </button>
            </li>
          )}
        </For>
      </ul>
      <Actions busy={props.busy || chosen().length === 0} label={chosen().length > 1 ? 'Start group' : 'Start conversation'} onCancel={props.onCancel} />
    </form>
  )
}
