import { A, useNavigate } from '@solidjs/router'
import { api, call } from '../api/client'
import { createFormAction } from '../ui/form-action'
import { AuthCard, ErrorBanner } from '../ui/parts'
import { storeTokens } from './login'

export default function Register() {
  const navigate = useNavigate()

  const { submit, error, busy } = createFormAction(async (form) => {
    const body = { email: String(form.get('email')), username: String(form.get('username')), displayName: String(form.get('displayName')), password: String(form.get('password')) }
    storeTokens(await call(() => api.auth.register.post(body)))
    navigate('/', { replace: true })
  })

  return (
    <AuthCard title="Create your account" subtitle="The first account on a new server becomes its administrator.">
      <form onSubmit={submit} aria-busy={busy()}>
        <ErrorBanner error={error()} />
        <label>
          Email
          <input name="email" type="email" autocomplete="email" required autofocus />
        </label>
        <label>
          Username
          <input name="username" autocomplete="username" pattern="[A-Za-z0-9_.\-]{3,32}" title="3–32 letters, digits, dot, dash or underscore" required />
        </label>
        <label>
          Display name
          <input name="displayName" autocomplete="name" maxlength="80" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="new-password" minlength="10" required />
          <span class="muted">At least 10 characters.</span>
        </label>
        <button type="submit" disabled={busy()}>
          {busy() ? 'Creating…' : 'Create account'}
        </button>
      </form>
      <div class="links">
        <A href="/login">I already have an account</A>
      </div>
    </AuthCard>
  )
}
