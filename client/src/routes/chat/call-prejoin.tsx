import { createSignal, onCleanup, Show } from 'solid-js'
import { chat, conversationTitle } from '../../chat/store'
import { createDeviceList, createLevelMeter, openCamera, openMic, saveDevices, savedDevices } from '../../calls/devices'
import { enterCall, runningCalls, setPrejoin, type PreJoin } from '../../calls/store'
import { Dialog } from '../../ui/dialog'
import { DevicePicker } from './call-controls'
import { TrackVideo } from './call-tile'

/** Before joining: camera preview, microphone level, device pickers, start muted or without video. */
export function CallPreJoin(props: { request: PreJoin }) {
  const saved = savedDevices()
  const [micId, setMicId] = createSignal(saved.micId)
  const [cameraId, setCameraId] = createSignal(saved.cameraId)
  const [micOn, setMicOn] = createSignal(true)
  const [cameraOn, setCameraOn] = createSignal(props.request.kind === 'video')
  const [mic, setMic] = createSignal<MediaStreamTrack | null>(null)
  const [camera, setCamera] = createSignal<MediaStreamTrack | null>(null)
  const [problem, setProblem] = createSignal<string | null>(null)
  const [joining, setJoining] = createSignal(false)
  const devices = createDeviceList()
  const level = createLevelMeter(mic)

  const reopenMic = async () => {
    mic()?.stop()
    setMic(null)
    if (!micOn()) return
    try {
      setMic(await openMic(micId()))
      void devices.refresh() // labels appear once permission is granted
    } catch (error) {
      setProblem(`Microphone unavailable: ${(error as Error).message}`)
    }
  }
  const reopenCamera = async () => {
    camera()?.stop()
    setCamera(null)
    if (!cameraOn()) return
    try {
      setCamera(await openCamera(cameraId()))
      void devices.refresh()
    } catch (error) {
      setProblem(`Camera unavailable: ${(error as Error).message}`)
    }
  }
  void reopenMic()
  void reopenCamera()
  const release = () => {
    mic()?.stop()
    camera()?.stop()
  }
  onCleanup(release)

  const conversation = () => chat.conversations[props.request.conversationId]
  const joiningRunning = () => !!(props.request.callId ?? runningCalls[props.request.conversationId])
  const join = async () => {
    setJoining(true)
    setProblem(null)
    saveDevices({ micId: micId(), cameraId: cameraId() })
    // The session opens its own tracks: release the preview's first (some cameras allow one user).
    release()
    try {
      await enterCall({ ...props.request, mic: micOn(), camera: cameraOn() })
    } catch (error) {
      setProblem((error as Error).message)
      setJoining(false)
      void reopenMic()
      void reopenCamera()
    }
  }

  return (
    <Dialog title={`${joiningRunning() ? 'Join' : 'Start'} ${props.request.kind} call${conversation() ? ` in ${conversationTitle(conversation()!)}` : ''}`} onClose={() => setPrejoin(null)}>
      <div class="call-prejoin" data-testid="call-prejoin">
        <div class="call-preview">
          <Show when={camera()} fallback={<div class="call-avatar" aria-hidden="true">{cameraOn() ? '…' : 'Camera off'}</div>}>
            <TrackVideo track={camera()} mirror />
          </Show>
        </div>
        <div class="call-meter" role="meter" aria-label="Microphone level" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(level() * 100)}>
          <span style={{ width: `${Math.round(level() * 100)}%` }} />
        </div>
        <div class="row">
          <button type="button" class="secondary small" aria-pressed={!micOn()} onClick={() => (setMicOn(!micOn()), void reopenMic())}>
            {micOn() ? 'Mute microphone' : 'Unmute microphone'}
          </button>
          <button type="button" class="secondary small" aria-pressed={!cameraOn()} onClick={() => (setCameraOn(!cameraOn()), void reopenCamera())}>
            {cameraOn() ? 'Turn camera off' : 'Turn camera on'}
          </button>
        </div>
        <DevicePicker label="Microphone" devices={devices.mics()} value={micId()} onChange={(id) => (setMicId(id), void reopenMic())} />
        <DevicePicker label="Camera" devices={devices.cameras()} value={cameraId()} onChange={(id) => (setCameraId(id), void reopenCamera())} />
        <Show when={problem()}>
          <p class="inline-error" role="alert">{problem()}</p>
        </Show>
        <div class="row spread">
          <button type="button" class="secondary" onClick={() => setPrejoin(null)}>
            Cancel
          </button>
          <button type="button" disabled={joining()} onClick={() => void join()}>
            {joining() ? 'Joining…' : joiningRunning() ? 'Join call' : 'Start call'}
          </button>
        </div>
      </div>
    </Dialog>
  )
}
