import { A, useNavigate } from '@solidjs/router'
import { createResource, createSignal, For, Match, onMount, Show, Switch } from 'solid-js'
import { api, call, type ApiError } from '../api/client'
import { session } from '../api/session'
import { ErrorBanner } from '../ui/parts'

type Tab = 'users' | 'audit' | 'outbox'

/** Platform administration: people (search, disable, role), the security audit log, outgoing mail. */
export default function Admin() {
  const navigate = useNavigate()
  const [tab, setTab] = createSignal<Tab>('users')
  onMount(() => {
    if (!session()) navigate('/login?next=/admin', { replace: true })
  })
  const [me] = createResource(() => session()?.userId, () => call(() => api.users.me.get()))
  return (
    <main class="admin">
      <header class="admin-head">
        <h1>Administration</h1>
        <A href="/">Back to chat</A>
      </header>
      <Show when={me()?.role === 'admin'} fallback={<p class="muted">{me.loading ? 'Loading…' : 'Only platform administrators can open this page.'}</p>}>
        {/* ARIA tabs: one tab in the Tab order, arrows (and Home/End) move between them. */}
        <div class="tabs" role="tablist" aria-label="Sections" onKeyDown={(event) => {
          const names: Tab[] = ['users', 'audit', 'outbox']
          const at = names.indexOf(tab())
          const next = { ArrowRight: at + 1, ArrowLeft: at - 1 + names.length, Home: 0, End: names.length - 1 }[event.key]
          if (next === undefined) return
          event.preventDefault()
          setTab(names[next % names.length]!)
          event.currentTarget.querySelector<HTMLElement>('[aria-selected=true]')?.focus()
        }}>
          {(['users', 'audit', 'outbox'] as Tab[]).map((name) => (
            <button type="button" role="tab" aria-selected={tab() === name} tabindex={tab() === name ? 0 : -1} class={tab() === name ? '' : 'secondary'} onClick={() => setTab(name)}>
              {{ users: 'People', audit: 'Audit log', outbox: 'Outgoing mail' }[name]}
            </button>
          ))}
        </div>
        <Switch>
          <Match when={tab() === 'users'}>
            <UsersTab me={me()!.id} />
          </Match>
          <Match when={tab() === 'audit'}>
            <AuditTab />
          </Match>
          <Match when={tab() === 'outbox'}>
            <OutboxTab />
          </Match>
        </Switch>
      </Show>
    </main>
  )
}

function UsersTab(props: { me: string }) {
  const [query, setQuery] = createSignal('')
  const [error, setError] = createSignal<ApiError | null>(null)
  const [page, { refetch }] = createResource(query, (q) => call(() => api.admin.users.get({ query: { q: q || undefined, limit: 100 } })))
  async function act(work: () => Promise<unknown>) {
    setError(null)
    try {
      await work()
      await refetch()
    } catch (failure) {
      setError(failure as ApiError)
    }
  }
  return (
    <section role="tabpanel" aria-label="People">
      <ErrorBanner error={error() ?? ((page.error as ApiError | undefined) ?? null)} onRetry={() => void refetch()} />
      <input type="search" placeholder="Search by name, username or email" aria-label="Search people" onInput={(e) => setQuery(e.currentTarget.value.trim())} />
      <p class="muted">{page()?.total ?? 0} people</p>
      {/* Scrolls sideways on a phone: focusable, so the keyboard can scroll it too. */}
      <table class="admin-table" tabindex="0">
        <thead>
          <tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
        </thead>
        <tbody>
          <For each={page()?.users ?? []}>
            {(user) => (
              <tr>
                <td>{user.displayName} <span class="muted">@{user.username}</span></td>
                <td>{user.email}{user.emailVerified ? '' : ' (unverified)'}</td>
                <td>{user.role}{user.mfaEnabled ? ' · 2FA' : ''}</td>
                <td>{user.disabled ? 'Disabled' : 'Active'}</td>
                <td class="row">
                  <Show when={user.id !== props.me}>
                    <button type="button" class="secondary small" onClick={() => void act(() => call(() => (user.disabled ? api.admin.users({ id: user.id }).enable.post() : api.admin.users({ id: user.id }).disable.post())))}>
                      {user.disabled ? 'Enable' : 'Disable'}
                    </button>
                    <button type="button" class="secondary small" onClick={() => void act(() => call(() => api.admin.users({ id: user.id }).role.put({ role: user.role === 'admin' ? 'user' : 'admin' })))}>
                      {user.role === 'admin' ? 'Make user' : 'Make admin'}
                    </button>
                  </Show>
                </td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </section>
  )
}

function AuditTab() {
  const [entries, { refetch }] = createResource(() => call(() => api.admin.audit.get({ query: { limit: 100 } })))
  return (
    <section role="tabpanel" aria-label="Audit log">
      <ErrorBanner error={(entries.error as ApiError | undefined) ?? null} onRetry={() => void refetch()} />
      <table class="admin-table" tabindex="0">
        <thead>
          <tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Actor</th><th scope="col">Target</th><th scope="col">Address</th></tr>
        </thead>
        <tbody>
          <For each={entries() ?? []}>
            {(entry) => (
              <tr>
                <td>{new Date(entry.at).toLocaleString()}</td>
                <td>{entry.action}</td>
                <td class="mono">{entry.actorUserId ?? '—'}</td>
                <td class="mono">{entry.targetUserId ?? '—'}</td>
                <td>{entry.ip ?? '—'}</td>
              </tr>
            )}
          </For>
        </tbody>
      </table>
    </section>
  )
}

function OutboxTab() {
  const [mails, { refetch }] = createResource(() => call(() => api.admin.outbox.get({ query: { limit: 50 } })))
  return (
    <section role="tabpanel" aria-label="Outgoing mail">
      <ErrorBanner error={(mails.error as ApiError | undefined) ?? null} onRetry={() => void refetch()} />
      <Show when={(mails() ?? []).length > 0} fallback={<p class="muted">No mail yet.</p>}>
        <ul class="list">
          <For each={mails() ?? []}>
            {(mail) => (
              <li class="mail">
                <div>
                  <strong>{mail.subject}</strong> <span class="muted">to {mail.to} · {mail.kind} · {mail.status} · {new Date(mail.createdAt).toLocaleString()}</span>
                  <pre class="mail-text" tabindex="0">{mail.text}</pre>
                </div>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  )
}
