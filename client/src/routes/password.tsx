import { A, useNavigate, useSearchParams } from '@solidjs/router'
import { createSignal, Show } from 'solid-js'
import { api, call } from '../api/client'
import { createFormAction } from '../ui/form-action'
import { AuthCard, ErrorBanner, Notice } from '../ui/parts'

export function ForgotPassword() {
  const [sent, setSent] = createSignal<string | null>(null)
  const { submit, error } = createFormAction(async (form) => {
    setSent((await call(() => api.auth.password.forgot.post({ email: String(form.get('email')) }))).message)
  })

  return (
    <AuthCard title="Reset your password" subtitle="We will mail you a link that works for one hour.">
      <Show when={sent()} fallback={
        <form onSubmit={submit}>
          <ErrorBanner error={error()} />
          <label>
            Email
            <input name="email" type="email" autocomplete="email" required autofocus />
          </label>
          <button type="submit">Send reset link</button>
        </form>
      }>
        <Notice>{sent()}</Notice>
      </Show>
      <div class="links">
        <A href="/login">Back to sign in</A>
      </div>
    </AuthCard>
  )
}

export function ResetPassword() {
  const [params] = useSearchParams<{ token?: string }>()
  const navigate = useNavigate()
  const { submit, error } = createFormAction(async (form) => {
    await call(() => api.auth.password.reset.post({ token: params.token ?? '', password: String(form.get('password')) }))
    navigate('/login?reset=1', { replace: true })
  })

  return (
    <AuthCard title="Choose a new password" subtitle="Every device will be signed out.">
      <form onSubmit={submit}>
        <ErrorBanner error={error()} />
        <label>
          New password
          <input name="password" type="password" autocomplete="new-password" minlength="10" required autofocus />
        </label>
        <button type="submit">Set password</button>
      </form>
    </AuthCard>
  )
}
