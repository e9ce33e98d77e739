import { A, useSearchParams } from '@solidjs/router'
import { createResource, Match, Switch } from 'solid-js'
import { api, call, type ApiError } from '../api/client'
import { AuthCard, ErrorBanner, Notice } from '../ui/parts'

export default function VerifyEmail() {
  const [params] = useSearchParams<{ token?: string }>()
  const [result, { refetch }] = createResource(() => call(() => api.auth['verify-email'].post({ token: params.token ?? '' })))
  return (
    <AuthCard title="Confirm your email">
      <Switch>
        <Match when={result.loading}>
          <p class="muted">Confirming…</p>
        </Match>
        <Match when={result.error}>
          <ErrorBanner error={result.error as ApiError} onRetry={refetch} />
        </Match>
        <Match when={result()}>
          <Notice>Your email address is confirmed.</Notice>
        </Match>
      </Switch>
      <div class="links">
        <A href="/">Continue to Parley</A>
      </div>
    </AuthCard>
  )
}
