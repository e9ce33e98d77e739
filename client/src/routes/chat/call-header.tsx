import { createEffect, on, Show } from 'solid-js'
import { currentCall, loadRunningCall, runningCalls, setMinimized, setPrejoin } from '../../calls/store'

/** Audio and video call buttons for a conversation header (not in lounges, which have no calls). */
export function CallButtons(props: { conversationId: string; kind: string | undefined; archived: boolean }) {
  const inThisCall = () => currentCall()?.target.conversationId === props.conversationId
  const busy = () => !!currentCall() || props.archived
  const open = (kind: 'audio' | 'video') => setPrejoin({ conversationId: props.conversationId, kind, callId: runningCalls[props.conversationId]?.id ?? null })
  return (
    <Show when={props.kind && props.kind !== 'lounge'}>
      <Show
        when={!inThisCall()}
        fallback={
          <button type="button" class="secondary small" onClick={() => setMinimized(false)}>
            Show call
          </button>
        }
      >
        <button type="button" class="secondary small" aria-label="Start an audio call" disabled={busy()} onClick={() => open('audio')}>
          📞<span class="call-action-label"> Call</span>
        </button>
        <button type="button" class="secondary small" aria-label="Start a video call" disabled={busy()} onClick={() => open('video')}>
          🎥<span class="call-action-label"> Video</span>
        </button>
      </Show>
    </Show>
  )
}

/** "A call is running here": who is in it and a join button; loads the running call when the conversation opens. */
export function CallBanner(props: { conversationId: string }) {
  createEffect(on(() => props.conversationId, (id) => void loadRunningCall(id)))
  const running = () => runningCalls[props.conversationId]
  const joined = () => running()?.participants.filter((p) => p.state === 'joined') ?? []
  return (
    <Show when={running() && currentCall()?.target.callId !== running()!.id}>
      <div class="call-banner" role="status" data-testid="call-banner">
        <span>
          {running()!.kind === 'video' ? '🎥' : '📞'} A call is running
          {joined().length > 0 ? ` with ${joined().map((p) => p.displayName).slice(0, 3).join(', ')}${joined().length > 3 ? ` and ${joined().length - 3} more` : ''}` : ''}
        </span>
        <button type="button" class="small" disabled={!!currentCall()} onClick={() => setPrejoin({ conversationId: props.conversationId, kind: running()!.kind, callId: running()!.id })}>
          Join call
        </button>
      </div>
    </Show>
  )
}
