import { createResource, createSignal, onMount, Show } from 'solid-js'
import { api, call, type ApiError } from '../../api/client'
import { realtime } from '../../chat/sync'
import { disablePush, enablePush, pushStatus, pushSupported, type PushStatus } from '../../offline/push'
import { Dialog } from '../../ui/dialog'
import { applyTheme, currentTheme, type Theme } from '../../ui/theme'
import { ErrorBanner } from '../../ui/parts'

const DND_CHOICES: Array<{ label: string; minutes: number | 'tomorrow' }> = [
  { label: '30 minutes', minutes: 30 },
  { label: '1 hour', minutes: 60 },
  { label: '4 hours', minutes: 240 },
  { label: 'Until tomorrow 9:00', minutes: 'tomorrow' },
]

function dndUntil(choice: number | 'tomorrow'): string {
  if (choice !== 'tomorrow') return new Date(Date.now() + choice * 60_000).toISOString()
  const tomorrow = new Date()
  tomorrow.setDate(tomorrow.getDate() + 1)
  tomorrow.setHours(9, 0, 0, 0)
  return tomorrow.toISOString()
}

/** Appearance, do-not-disturb, presence and push notifications for this device. */
export function SettingsDialog(props: { onClose(): void }) {
  const [error, setError] = createSignal<ApiError | null>(null)
  const [dnd, { mutate }] = createResource(() => call(() => api.users.me.dnd.get()))
  const [push, setPush] = createSignal<PushStatus>('off')
  onMount(() => void pushStatus().then(setPush).catch(() => setPush('unsupported')))

  async function setDnd(until: string | null) {
    setError(null)
    try {
      mutate(await call(() => api.users.me.dnd.put({ until })))
      realtime()?.notify({ type: 'presence', status: until ? 'dnd' : 'online' })
    } catch (failure) {
      setError(failure as ApiError)
    }
  }

  async function togglePush(on: boolean) {
    setError(null)
    try {
      await (on ? enablePush() : disablePush())
    } catch (failure) {
      setError({ status: 0, code: 'PUSH', message: (failure as Error).message })
    }
    setPush(await pushStatus().catch(() => 'unsupported' as const))
  }

  return (
    <Dialog title="Settings" onClose={props.onClose}>
      <ErrorBanner error={error()} />
      <fieldset class="settings-group">
        <legend>Theme</legend>
        <div class="row" role="radiogroup" aria-label="Theme">
          {(['system', 'light', 'dark'] as Theme[]).map((theme) => (
            <label class="check">
              <input type="radio" name="theme" value={theme} checked={currentTheme() === theme} onChange={() => applyTheme(theme)} /> {theme[0]!.toUpperCase() + theme.slice(1)}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset class="settings-group">
        <legend>Do not disturb</legend>
        <Show when={dnd()?.active} fallback={<p class="muted">Off — notifications arrive as usual.</p>}>
          <p>
            On until {new Date(dnd()!.until!).toLocaleString()}.{' '}
            <button type="button" class="link" onClick={() => void setDnd(null)}>Turn off</button>
          </p>
        </Show>
        <div class="row">
          {DND_CHOICES.map((choice) => (
            <button type="button" class="secondary small" onClick={() => void setDnd(dndUntil(choice.minutes))}>
              {choice.label}
            </button>
          ))}
        </div>
      </fieldset>
      <fieldset class="settings-group">
        <legend>Push notifications on this device</legend>
        <Show when={pushSupported() && push() !== 'unsupported'} fallback={<p class="muted">This browser cannot receive push notifications.</p>}>
          <Show when={push() !== 'denied'} fallback={<p class="muted">Blocked in the browser's site settings.</p>}>
            <label class="check">
              <input type="checkbox" checked={push() === 'on'} onChange={(e) => void togglePush(e.currentTarget.checked)} /> Mentions and direct messages, even when Parley is closed
            </label>
          </Show>
        </Show>
      </fieldset>
      <div class="row end">
        <button type="button" onClick={() => props.onClose()}>
          Done
        </button>
      </div>
    </Dialog>
  )
}
