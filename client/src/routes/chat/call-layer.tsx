import { useLocation } from '@solidjs/router'
import { createEffect, createSignal, For, on, onCleanup, Show } from 'solid-js'
import { chat, conversationTitle } from '../../chat/store'
import { acceptIncoming, currentCall, declineIncoming, incoming, installCalls, leaveCall, minimized, prejoin, setMinimized } from '../../calls/store'
import { CallPreJoin } from './call-prejoin'
import { CallView } from './call-view'

/**
 * Everything call-related the shell mounts once: incoming-call prompts, the pre-join dialog, the
 * in-call screen and, when minimised, a call bar that stays while navigating.
 */
export function CallLayer(props: { me: string; myName: string }) {
  const location = useLocation()
  createEffect(on(() => props.me, (me) => {
    if (!me) return
    onCleanup(installCalls(me))
  }))
  // Navigating elsewhere in the app keeps the call running in the bar.
  createEffect(on(() => location.pathname, () => currentCall() && setMinimized(true), { defer: true }))

  return (
    <>
      <div class="call-incoming-stack" aria-live="assertive">
        <For each={incoming}>
          {(ringing) => (
            <div class="call-incoming" role="alertdialog" aria-labelledby={`ring-${ringing.call.id}`} data-testid="incoming-call">
              <p id={`ring-${ringing.call.id}`}>
                <strong>{ringing.caller.displayName}</strong> is calling
                {ringing.conversation.kind === 'dm' ? '' : ` in ${ringing.conversation.name ?? 'a group'}`} ({ringing.call.kind})
              </p>
              <div class="row">
                <button type="button" class="danger small" onClick={() => void declineIncoming(ringing)}>
                  Decline
                </button>
                <button type="button" class="small" onClick={() => void acceptIncoming(ringing)}>
                  Accept
                </button>
              </div>
            </div>
          )}
        </For>
      </div>
      <Show when={prejoin()}>{(request) => <CallPreJoin request={request()} />}</Show>
      <Show when={currentCall()}>
        {(session) => (
          <>
            <Show when={minimized()}>
              <CallBar title={title(session().target.conversationId)} micOn={session().local.state.micOn} status={session().status()} onExpand={() => setMinimized(false)} onMute={() => void session().local.setMic(!session().local.state.micOn)} onLeave={() => void leaveCall()} />
            </Show>
            <CallView session={session()} me={props.me} myName={props.myName || 'You'} hidden={minimized()} />
          </>
        )}
      </Show>
    </>
  )
}

function title(conversationId: string): string {
  const conversation = chat.conversations[conversationId]
  return conversation ? conversationTitle(conversation) : 'Call'
}

function CallBar(props: { title: string; micOn: boolean; status: string; onExpand(): void; onMute(): void; onLeave(): void }) {
  const started = Date.now()
  const [now, setNow] = createSignal(Date.now())
  const timer = setInterval(() => setNow(Date.now()), 1000)
  onCleanup(() => clearInterval(timer))
  const elapsed = () => {
    const seconds = Math.floor((now() - started) / 1000)
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`
  }
  return (
    <div class="call-bar" role="region" aria-label="Ongoing call" data-testid="call-bar">
      <span class="call-bar-dot" aria-hidden="true" />
      <button type="button" class="link call-bar-title" onClick={() => props.onExpand()} aria-label={`Return to the call in ${props.title}`}>
        {props.title}
      </button>
      <span class="muted" role="status">{props.status === 'reconnecting' ? 'Reconnecting…' : elapsed()}</span>
      <span class="spacer" />
      <button type="button" class="secondary small" aria-pressed={!props.micOn} onClick={() => props.onMute()}>
        {props.micOn ? 'Mute' : 'Unmute'}
      </button>
      <button type="button" class="danger small" onClick={() => props.onLeave()}>
        Leave
      </button>
    </div>
  )
}
