import { createSignal, For, Show } from 'solid-js'
import { createDeviceList } from '../../calls/devices'
import type { CallSession } from '../../calls/session'
import { setCallRecording } from '../../calls/store'

/** Mute, camera, screen share, devices, record, leave / end for all. Every toggle is a button with aria-pressed. */
export function CallControls(props: { session: CallSession; canEndForAll: boolean; recording: boolean; onLeave(endForAll: boolean): void }) {
  const local = () => props.session.local.state
  const [problem, setProblem] = createSignal<string | null>(null)
  const [devicesOpen, setDevicesOpen] = createSignal(false)
  const devices = createDeviceList()
  const run = (what: string, action: () => Promise<void>) => {
    setProblem(null)
    action().catch((error: Error) => {
      // Cancelling the screen picker is a choice, not a failure.
      if (error.name !== 'NotAllowedError' || what !== 'share your screen') setProblem(`Could not ${what}: ${error.message}`)
    })
  }
  return (
    <div class="call-controls" role="toolbar" aria-label="Call controls">
      <Show when={problem()}>
        <p class="inline-error" role="alert">{problem()}</p>
      </Show>
      <button type="button" class="call-button" classList={{ off: !local().micOn }} aria-pressed={!local().micOn} aria-label={local().micOn ? 'Mute microphone' : 'Unmute microphone'} onClick={() => run('change the microphone', () => props.session.local.setMic(!local().micOn))}>
        {local().micOn ? '🎙️' : '🔇'}
        <span>{local().micOn ? 'Mute' : 'Unmute'}</span>
      </button>
      <button type="button" class="call-button" classList={{ off: !local().cameraOn }} aria-pressed={!local().cameraOn} aria-label={local().cameraOn ? 'Turn camera off' : 'Turn camera on'} onClick={() => run('change the camera', () => props.session.local.setCamera(!local().cameraOn))}>
        {local().cameraOn ? '📷' : '🚫'}
        <span>{local().cameraOn ? 'Stop video' : 'Start video'}</span>
      </button>
      <Show when={typeof navigator.mediaDevices?.getDisplayMedia === 'function'}>
        <button type="button" class="call-button" classList={{ on: local().screenOn }} aria-pressed={local().screenOn} aria-label={local().screenOn ? 'Stop sharing your screen' : 'Share your screen'} onClick={() => run('share your screen', () => props.session.local.setScreen(!local().screenOn))}>
          🖥️
          <span>{local().screenOn ? 'Stop sharing' : 'Share screen'}</span>
        </button>
      </Show>
      <button type="button" class="call-button" aria-expanded={devicesOpen()} aria-controls="call-devices" aria-label="Choose microphone and camera" onClick={() => (setDevicesOpen(!devicesOpen()), void devices.refresh())}>
        ⚙️
        <span>Devices</span>
      </button>
      {/* Who may end for all may record (workspace admins too; the server decides and answers 403 otherwise). */}
      <Show when={props.canEndForAll}>
        <button type="button" class="call-button" classList={{ on: props.recording }} aria-pressed={props.recording} aria-label={props.recording ? 'Stop recording' : 'Record the call'} onClick={() => run(props.recording ? 'stop recording' : 'start recording', () => setCallRecording(props.session.target.callId, !props.recording))}>
          ⏺
          <span>{props.recording ? 'Stop recording' : 'Record'}</span>
        </button>
      </Show>
      <button type="button" class="call-button leave" aria-label="Leave call" onClick={() => props.onLeave(false)}>
        📞
        <span>Leave</span>
      </button>
      <Show when={props.canEndForAll}>
        <button type="button" class="call-button leave" aria-label="End call for everyone" onClick={() => props.onLeave(true)}>
          ⏹
          <span>End for all</span>
        </button>
      </Show>
      <Show when={devicesOpen()}>
        <div id="call-devices" class="call-devices">
          <DevicePicker label="Microphone" devices={devices.mics()} value={local().micId} onChange={(id) => run('switch the microphone', () => props.session.local.switchMic(id))} />
          <DevicePicker label="Camera" devices={devices.cameras()} value={local().cameraId} onChange={(id) => run('switch the camera', () => props.session.local.switchCamera(id))} />
        </div>
      </Show>
    </div>
  )
}

export function DevicePicker(props: { label: string; devices: MediaDeviceInfo[]; value: string | null; onChange(deviceId: string): void }) {
  return (
    <label class="field">
      <span>{props.label}</span>
      <select value={props.value ?? props.devices[0]?.deviceId ?? ''} onChange={(e) => props.onChange(e.currentTarget.value)} disabled={props.devices.length === 0}>
        <Show when={props.devices.length === 0}>
          <option value="">No {props.label.toLowerCase()} found</option>
        </Show>
        <For each={props.devices}>{(device, index) => <option value={device.deviceId}>{device.label || `${props.label} ${index() + 1}`}</option>}</For>
      </select>
    </label>
  )
}
