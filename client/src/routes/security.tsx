import { createResource, createSignal, For, Match, Show, Switch } from 'solid-js'
import { api, call, type ApiError } from '../api/client'
import { ErrorBanner, Notice } from '../ui/parts'
import { createFormAction } from '../ui/form-action'

type Setup = { secret: string; otpauthUri: string; qrSvg: string }

/** Two-step verification: set up with a QR code, keep the recovery codes, turn it off. */
export function TwoStepSettings() {
  const [status, { refetch }] = createResource(() => call(() => api.users.me.mfa.get()))
  // Reading a failed resource throws; the banner shows the failure instead.
  const current = () => (status.error ? undefined : status())
  const [setup, setSetup] = createSignal<Setup | null>(null)
  const [codes, setCodes] = createSignal<string[] | null>(null)

  const start = createFormAction(async () => {
    setCodes(null)
    setSetup(await call(() => api.users.me.mfa.setup.post()))
  })
  const confirm = createFormAction(async (form) => {
    const reply = await call(() => api.users.me.mfa.confirm.post({ code: String(form.get('code')).trim() }))
    setSetup(null)
    setCodes(reply.recoveryCodes)
    refetch()
  })
  const disable = createFormAction(async (form) => {
    const code = String(form.get('code')).trim()
    await call(() => api.users.me.mfa.disable.post(/^\d{6}$/.test(code) ? { code } : { recoveryCode: code }))
    setCodes(null)
    refetch()
  })

  return (
    <section aria-labelledby="two-step-title">
      <h2 id="two-step-title">Two-step verification</h2>
      <ErrorBanner error={start.error() ?? confirm.error() ?? disable.error() ?? (status.error as ApiError | undefined) ?? null} onRetry={status.error ? refetch : undefined} />
      <Show when={codes()}>
        <Notice>
          <div>
            <strong>Save these recovery codes.</strong> Each signs you in once if you lose your authenticator; they are not shown again.
            <ul class="codes" aria-label="Recovery codes">
              <For each={codes()}>{(code) => <li>{code}</li>}</For>
            </ul>
          </div>
        </Notice>
      </Show>
      <Switch>
        <Match when={setup()}>
          {(pending) => (
            <form class="grid" onSubmit={confirm.submit}>
              <p class="muted">Scan this code with an authenticator app (or enter the key by hand), then type the 6-digit code it shows.</p>
              <img class="qr" alt="QR code for your authenticator app" src={`data:image/svg+xml;utf8,${encodeURIComponent(pending().qrSvg)}`} />
              <code class="secret" aria-label="Setup key">{pending().secret}</code>
              <label>
                Code from the app
                <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required />
              </label>
              <div class="row">
                <button type="submit" disabled={confirm.busy()}>Turn on</button>
                <button type="button" class="secondary" onClick={() => setSetup(null)}>Cancel</button>
              </div>
            </form>
          )}
        </Match>
        <Match when={current()?.enabled}>
          <form class="row" onSubmit={disable.submit}>
            <span class="badge">on · {current()!.recoveryCodesRemaining} recovery codes left</span>
            <label style={{ flex: 1 }}>
              Code or recovery code to turn it off
              <input name="code" autocomplete="one-time-code" required />
            </label>
            <button type="submit" class="danger" disabled={disable.busy()}>Turn off</button>
          </form>
        </Match>
        <Match when={current() && !current()!.enabled}>
          <form class="row spread" onSubmit={start.submit}>
            <span class="muted">Ask for a code from an authenticator app at every sign-in.</span>
            <button type="submit" disabled={start.busy()}>Set up</button>
          </form>
        </Match>
      </Switch>
    </section>
  )
}
