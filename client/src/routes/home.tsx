import { A, useNavigate, useSearchParams } from '@solidjs/router'
import { createEffect, createResource, createSignal, For, onMount, Show } from 'solid-js'
import { api, call, type ApiError } from '../api/client'
import { clearSession, session } from '../api/session'
import { AuthCard, ErrorBanner, Notice } from '../ui/parts'
import { storeTokens } from './login'
import { describeDevice } from '../ui/device'
import { TwoStepSettings } from './security'
import { disablePush } from '../offline/push'

/** The account page: profile, two-step verification and devices. */
export default function Home() {
  const navigate = useNavigate()
  const [params, setParams] = useSearchParams<{ oauth_code?: string; oauth_error?: string }>()
  const [error, setError] = createSignal<ApiError | null>(null)
  const [notice, setNotice] = createSignal<string | null>(null)
  const [ready, setReady] = createSignal(false)

  onMount(async () => {
    if (params.oauth_error) setError({ status: 400, code: params.oauth_error, message: `Sign-in with the provider failed (${params.oauth_error})` })
    if (params.oauth_code) {
      try {
        const reply = await call(() => api.auth.oauth.exchange.post({ code: params.oauth_code! }))
        if ('mfaRequired' in reply) return navigate('/login', { replace: true, state: { challengeToken: reply.challengeToken } })
        storeTokens(reply)
      } catch (failure) {
        setError(failure as ApiError)
      }
      setParams({ oauth_code: undefined })
    }
    if (!session()) navigate('/login', { replace: true })
    else setReady(true)
  })

  const [me, { refetch: refetchMe }] = createResource(ready, () => call(() => api.users.me.get()))
  const [devices, { refetch: refetchDevices }] = createResource(ready, () => call(() => api.users.me.sessions.get()))
  // Reading a failed resource throws (uncaught, it stops the page updating); the banner shows what failed instead.
  const user = () => (me.error ? undefined : me())
  const deviceList = () => (devices.error ? undefined : devices())

  function leave() {
    clearSession()
    navigate('/login', { replace: true })
  }

  // A revoked session (or one whose refresh failed) answers the first load with 401: that is a sign-out, not an error to show.
  createEffect(() => {
    if ((me.error as ApiError | undefined)?.status === 401 || (devices.error as ApiError | undefined)?.status === 401) leave()
  })

  async function act(work: () => Promise<unknown>, done?: string) {
    setError(null)
    try {
      await work()
      if (done) setNotice(done)
    } catch (failure) {
      const apiError = failure as ApiError
      if (apiError.status === 401) leave()
      setError(apiError)
    }
  }

  async function saveName(event: SubmitEvent) {
    event.preventDefault()
    const displayName = String(new FormData(event.currentTarget as HTMLFormElement).get('displayName'))
    await act(() => call(() => api.users.me.patch({ displayName })).then(refetchMe), 'Profile saved.')
  }

  return (
    <AuthCard wide title={user() ? `Hello, ${user()!.displayName}` : 'Parley'} subtitle="Your profile, sign-in security and devices.">
      <ErrorBanner error={error() ?? (me.error as ApiError) ?? null} onRetry={() => { refetchMe(); refetchDevices() }} />
      <Show when={notice()}>
        <Notice>{notice()}</Notice>
      </Show>
      <Show when={user()}>
        {(user) => (
          <>
            <div class="row spread">
              <span>
                <strong>@{user().username}</strong> · {user().email} <span class="badge">{user().role}</span>
              </span>
              <Show when={!user().emailVerified}>
                <button class="secondary" onClick={() => act(() => call(() => api.auth['verify-email'].resend.post()), 'Verification mail sent.')}>
                  Resend verification
                </button>
              </Show>
            </div>
            <h2>Profile</h2>
            <form class="row" onSubmit={saveName}>
              <label style={{ flex: 1 }}>
                Display name
                <input name="displayName" value={user().displayName} maxlength="80" required />
              </label>
              <button type="submit">Save</button>
            </form>
          </>
        )}
      </Show>
      <Show when={ready()}>
        <TwoStepSettings />
      </Show>
      <h2>Signed-in devices</h2>
      <ul class="list" aria-label="Sessions">
        <For each={deviceList() ?? []}>
          {(device) => (
            <li>
              <span>
                {describeDevice(device.userAgent)} <span class="muted">· {device.ip ?? 'unknown address'} · last active {new Date(device.lastUsedAt).toLocaleString()}</span>
              </span>
              <Show when={!device.current} fallback={<span class="badge">this device</span>}>
                <button class="danger" onClick={() => act(() => call(() => api.users.me.sessions({ id: device.id }).delete()).then(refetchDevices), 'Device signed out.')}>
                  Sign out
                </button>
              </Show>
            </li>
          )}
        </For>
      </ul>
      <div class="links">
        <A href="/">Back to chat</A>
        <Show when={user()?.role === 'admin'}>
          <A href="/admin">Administration</A>
        </Show>
        <button
          class="secondary"
          onClick={() =>
            act(async () => {
              // @NOTE: signing out locally must work even when the server is unreachable; this browser stops getting pushes first.
              await disablePush().catch(() => undefined)
              await call(() => api.auth.logout.post()).catch(() => undefined)
              clearSession()
              navigate('/login', { replace: true })
            })
          }
        >
          Sign out
        </button>
        <a href="/swagger">API docs</a>
      </div>
    </AuthCard>
  )
}
