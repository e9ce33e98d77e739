import { createResource, createSignal, For, Show } from 'solid-js'
import type { MessageView } from '../../../../server/src/realtime/protocol'
import { api, call, type ApiError } from '../../api/client'
import { displayName } from '../../chat/store'
import { Dialog } from '../../ui/dialog'
import { ErrorBanner } from '../../ui/parts'

/** A moderator's actions on someone's message in a lounge: mute them for a while, ban them, remove the message with a reason. */
export function ModerateDialog(props: { message: MessageView; onClose(): void }) {
  const [error, setError] = createSignal<ApiError | null>(null)
  const [done, setDone] = createSignal<string | null>(null)
  const [reason, setReason] = createSignal('')
  const target = () => props.message.senderId!
  const moderation = () => api.conversations({ id: props.message.conversationId }).moderation
  async function act(label: string, work: () => Promise<unknown>) {
    setError(null)
    try {
      await work()
      setDone(label)
    } catch (failure) {
      setError(failure as ApiError)
    }
  }
  const withReason = () => (reason().trim() ? { reason: reason().trim() } : {})
  return (
    <Dialog title={`Moderate ${displayName(target())}`} onClose={props.onClose}>
      <ErrorBanner error={error()} />
      <Show when={done()}>
        <p role="status" class="alert ok">{done()}</p>
      </Show>
      <label>
        Reason <span class="muted">(kept in the moderation log)</span>
        <input value={reason()} maxLength={500} onInput={(e) => setReason(e.currentTarget.value)} />
      </label>
      <div class="row">
        <button type="button" class="secondary small" onClick={() => void act('Muted for 10 minutes.', () => call(() => moderation().mutes.post({ userId: target(), minutes: 10, ...withReason() })))}>Mute 10 min</button>
        <button type="button" class="secondary small" onClick={() => void act('Muted for an hour.', () => call(() => moderation().mutes.post({ userId: target(), minutes: 60, ...withReason() })))}>Mute 1 hour</button>
        <button type="button" class="danger small" onClick={() => void act('Banned.', () => call(() => moderation().bans.post({ userId: target(), ...withReason() })))}>Ban</button>
        <button type="button" class="danger small" onClick={() => void act('Message removed.', () => call(() => moderation().messages({ messageId: props.message.id }).delete(withReason())))}>Remove message</button>
      </div>
    </Dialog>
  )
}

const SLOW_MODES = [0, 10, 30, 60, 300]

export function SlowModeControl(props: { conversationId: string; onError(message: string): void }) {
  return (
    <label class="menu-row">
      Slow mode
      <select onChange={(e) => void call(() => api.conversations({ id: props.conversationId }).moderation['slow-mode'].put({ seconds: Number(e.currentTarget.value) })).catch((failure: ApiError) => props.onError(failure.message))}>
        <For each={SLOW_MODES}>{(seconds) => <option value={seconds}>{seconds === 0 ? 'Off' : seconds < 60 ? `${seconds} seconds` : `${seconds / 60} minute${seconds > 60 ? 's' : ''}`}</option>}</For>
      </select>
    </label>
  )
}

/** The moderation log of a lounge, newest first. */
export function ModerationLogDialog(props: { conversationId: string; onClose(): void }) {
  const [log] = createResource(() => call(() => api.conversations({ id: props.conversationId }).moderation.log.get({ query: {} })))
  return (
    <Dialog title="Moderation log" onClose={props.onClose}>
      <ErrorBanner error={(log.error as ApiError | undefined) ?? null} />
      <Show when={(log()?.entries.length ?? 0) > 0} fallback={<p class="muted">{log.loading ? 'Loading…' : 'Nothing has been moderated here.'}</p>}>
        <ul class="list">
          <For each={log()?.entries ?? []}>
            {(entry) => (
              <li>
                <span>
                  <strong>{entry.action}</strong> {entry.targetUserId ? `· ${displayName(entry.targetUserId)}` : ''} <span class="muted">by {displayName(entry.actorId)} · {new Date(entry.createdAt).toLocaleString()}</span>
                  <Show when={typeof entry.details.reason === 'string' && entry.details.reason}>
                    <span class="muted block">“{String(entry.details.reason)}”</span>
                  </Show>
                </span>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </Dialog>
  )
}
