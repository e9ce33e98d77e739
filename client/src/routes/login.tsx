import { A, useLocation, useNavigate, useSearchParams } from '@solidjs/router'
import { createResource, createSignal, For, Show } from 'solid-js'
import { api, call } from '../api/client'
import { createFormAction } from '../ui/form-action'
import { setSession } from '../api/session'
import { AuthCard, ErrorBanner, Notice } from '../ui/parts'

type TokenReply = { accessToken: string; refreshToken: string; user: { id: string } }

export function storeTokens(reply: TokenReply) {
  setSession({ accessToken: reply.accessToken, refreshToken: reply.refreshToken, userId: reply.user.id })
}

export default function Login() {
  const navigate = useNavigate()
  // An OAuth sign-in of an account with two-factor on arrives here with its challenge.
  const location = useLocation<{ challengeToken?: string }>()
  const [params] = useSearchParams<{ reset?: string; next?: string }>()
  // Where to go after signing in: only a path inside the app (never another origin).
  const next = () => (params.next && /^\/(?!\/)[\w\-/?=&.%]*$/.test(params.next) ? params.next : '/')
  const [challenge, setChallenge] = createSignal<string | null>(location.state?.challengeToken ?? null)
  const [providers] = createResource(async () => {
    const { data } = await api.auth.oauth.providers.get().catch(() => ({ data: null }))
    return data?.providers ?? []
  })

  const { submit, error, busy } = createFormAction(async (form) => {
    if (challenge()) {
      const code = String(form.get('code') ?? '').trim()
      const body = /^\d{6}$/.test(code) ? { challengeToken: challenge()!, code } : { challengeToken: challenge()!, recoveryCode: code }
      storeTokens(await call(() => api.auth.mfa.verify.post(body)))
      navigate(next(), { replace: true })
      return
    }
    const reply = await call(() => api.auth.login.post({ login: String(form.get('login')), password: String(form.get('password')) }))
    if ('mfaRequired' in reply) return void setChallenge(reply.challengeToken)
    storeTokens(reply)
    navigate(next(), { replace: true })
  })

  return (
    <AuthCard title={challenge() ? 'Two-step verification' : 'Sign in'} subtitle={challenge() ? 'Enter the 6-digit code from your authenticator app, or a recovery code.' : 'Welcome back to Parley.'}>
      <form onSubmit={submit} aria-busy={busy()}>
        <ErrorBanner error={error()} />
        <Show when={params.reset && !error()}>
          <Notice>Your password was changed and every device signed out. Sign in with the new password.</Notice>
        </Show>
        <Show
          when={challenge()}
          fallback={
            <>
              <label>
                Email or username
                <input name="login" autocomplete="username" required autofocus />
              </label>
              <label>
                Password
                <input name="password" type="password" autocomplete="current-password" required />
              </label>
            </>
          }
        >
          <label>
            Code
            <input name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus />
          </label>
        </Show>
        <button type="submit" disabled={busy()}>
          {busy() ? 'Signing in…' : challenge() ? 'Verify' : 'Sign in'}
        </button>
      </form>
      <Show when={!challenge() && (providers()?.length ?? 0) > 0}>
        <div class="divider">or</div>
        <div class="row">
          <For each={providers()}>
            {(provider) => (
              <a class="badge" href={`${provider.startUrl}?redirect=/account`}>
                Continue with {provider.name[0]!.toUpperCase() + provider.name.slice(1)}
              </a>
            )}
          </For>
        </div>
      </Show>
      <div class="links">
        <A href="/register">Create an account</A>
        <A href="/forgot-password">Forgot password?</A>
      </div>
    </AuthCard>
  )
}
