import { createSignal, onCleanup, onMount, Show } from 'solid-js'
import type { MessageView } from '../../../../server/src/realtime/protocol'
import { api, call, type ApiError } from '../../api/client'
import { chat, setChat } from '../../chat/store'
import { sendMessage } from '../../chat/sync'
import { uploadFile } from '../../chat/uploads'

const MAX_VOICE_SECONDS = 300

/** Record a voice message with the microphone, upload it as a voice file, send it. */
export function VoiceRecorder(props: { conversationId: string; parentId?: string; onClose(): void }) {
  const [seconds, setSeconds] = createSignal(0)
  const [state, setState] = createSignal<'starting' | 'recording' | 'sending' | 'failed'>('starting')
  const [error, setError] = createSignal('')
  let recorder: MediaRecorder | undefined
  let stream: MediaStream | undefined
  let timer: ReturnType<typeof setInterval> | undefined
  let cancelled = false
  const chunks: Blob[] = []

  onMount(async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true })
      const type = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm'].find((t) => MediaRecorder.isTypeSupported(t))
      recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined)
      recorder.ondataavailable = (event) => event.data.size > 0 && chunks.push(event.data)
      recorder.onstop = () => void finish()
      recorder.start(1000)
      setState('recording')
      timer = setInterval(() => {
        setSeconds((s) => s + 1)
        if (seconds() >= MAX_VOICE_SECONDS) stop()
      }, 1000)
    } catch (failure) {
      setState('failed')
      setError((failure as Error).name === 'NotAllowedError' ? 'Microphone access was refused.' : 'No microphone is available.')
    }
  })
  onCleanup(() => release())

  function release() {
    clearInterval(timer)
    for (const track of stream?.getTracks() ?? []) track.stop()
  }
  function stop() {
    if (recorder?.state === 'recording') recorder.stop()
    release()
  }
  function cancel() {
    cancelled = true
    stop()
    props.onClose()
  }
  async function finish() {
    if (cancelled) return
    setState('sending')
    try {
      const blob = new Blob(chunks, { type: recorder?.mimeType || 'audio/webm' })
      const file = new File([blob], 'voice-message.webm', { type: blob.type })
      const uploaded = await uploadFile(file, () => undefined, new AbortController().signal, { voice: true })
      await sendMessage(props.conversationId, `🎤 Voice message (${seconds()} s)`, props.parentId, [uploaded.id])
      props.onClose()
    } catch (failure) {
      setState('failed')
      setError((failure as Error).message)
    }
  }

  return (
    <div class="voice-recorder" role="group" aria-label="Voice message">
      <Show when={state() === 'recording'}>
        <span class="rec-dot" aria-hidden="true" /> Recording {Math.floor(seconds() / 60)}:{String(seconds() % 60).padStart(2, '0')}
        <button type="button" class="small" onClick={stop}>Send</button>
      </Show>
      <Show when={state() === 'starting'}>Starting the microphone…</Show>
      <Show when={state() === 'sending'}>Sending…</Show>
      <Show when={state() === 'failed'}>
        <span class="inline-error" role="alert">{error()}</span>
      </Show>
      <button type="button" class="secondary small" onClick={cancel}>{state() === 'failed' ? 'Close' : 'Cancel'}</button>
    </div>
  )
}

/** A voice message's transcript: shown when done, asked for on demand, updated live by `message.transcribed`. */
export function Transcript(props: { message: MessageView }) {
  const [error, setError] = createSignal<string | null>(null)
  const current = () => chat.transcripts[props.message.id]
  onMount(() => {
    if (current()) return
    void call(() => api.conversations({ id: props.message.conversationId }).messages({ messageId: props.message.id }).transcript.get())
      .then((t) => setChat('transcripts', props.message.id, { status: t.status, text: t.text }))
      .catch(() => undefined) // @NOTE: 404 means no transcript yet; the button asks for one.
  })
  async function request() {
    setError(null)
    try {
      const t = await call(() => api.conversations({ id: props.message.conversationId }).messages({ messageId: props.message.id }).transcript.post())
      setChat('transcripts', props.message.id, { status: t.status, text: t.text })
    } catch (failure) {
      setError((failure as ApiError).message)
    }
  }
  return (
    <div class="transcript">
      <Show when={current()} fallback={<button type="button" class="link small-text" onClick={() => void request()}>Transcribe</button>}>
        {(t) => (
          <Show when={t().status === 'done'} fallback={<span class="muted small-text">{t().status === 'pending' ? 'Transcribing…' : 'Transcription failed.'}</span>}>
            <p class="small-text"><span class="muted">Transcript:</span> {t().text || '(no words recognised)'}</p>
          </Show>
        )}
      </Show>
      <Show when={error()}>
        <span class="inline-error small-text">{error()}</span>
      </Show>
    </div>
  )
}
