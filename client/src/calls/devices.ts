import { createSignal, onCleanup } from 'solid-js'

export interface DeviceChoice {
  micId: string | null
  cameraId: string | null
}

const PREFERENCE_KEY = 'parley:call-devices'

/** The devices picked last time (pre-join or mid-call), so the next call starts with them. */
export function savedDevices(): DeviceChoice {
  try {
    const saved = JSON.parse(localStorage.getItem(PREFERENCE_KEY) ?? '{}') as Partial<DeviceChoice>
    return { micId: saved.micId ?? null, cameraId: saved.cameraId ?? null }
  } catch {
    return { micId: null, cameraId: null }
  }
}

export function saveDevices(choice: DeviceChoice): void {
  localStorage.setItem(PREFERENCE_KEY, JSON.stringify(choice))
}

export async function openMic(deviceId: string | null): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { deviceId: deviceId ? { exact: deviceId } : undefined, echoCancellation: true, noiseSuppression: true, autoGainControl: true } })
  return stream.getAudioTracks()[0]!
}

export async function openCamera(deviceId: string | null): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { deviceId: deviceId ? { exact: deviceId } : undefined, width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } } })
  return stream.getVideoTracks()[0]!
}

export async function openScreen(): Promise<MediaStreamTrack> {
  const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false })
  const track = stream.getVideoTracks()[0]!
  // Text and slides: keep resolution sharp and drop frames rather than blur under load.
  track.contentHint = 'detail'
  return track
}

/** The machine's microphones and cameras, refreshed when one is plugged in or out. */
export function createDeviceList() {
  const [devices, setDevices] = createSignal<MediaDeviceInfo[]>([])
  const refresh = () =>
    navigator.mediaDevices
      .enumerateDevices()
      .then(setDevices)
      .catch(() => setDevices([])) // @NOTE: no media devices API (insecure origin): the pickers stay empty.
  void refresh()
  navigator.mediaDevices?.addEventListener('devicechange', refresh)
  onCleanup(() => navigator.mediaDevices?.removeEventListener('devicechange', refresh))
  return {
    mics: () => devices().filter((d) => d.kind === 'audioinput'),
    cameras: () => devices().filter((d) => d.kind === 'videoinput'),
    refresh,
  }
}

/** A 0..1 level of a live audio track (RMS, smoothed), sampled on animation frames; stops on cleanup. */
export function createLevelMeter(track: () => MediaStreamTrack | null) {
  const [level, setLevel] = createSignal(0)
  let context: AudioContext | null = null
  let frame = 0
  let current: MediaStreamTrack | null = null
  let analyser: AnalyserNode | null = null
  const samples = new Float32Array(1024)
  const stop = () => {
    cancelAnimationFrame(frame)
    void context?.close().catch(() => undefined) // @NOTE: already closed; nothing to release.
    context = null
    analyser = null
  }
  const tick = () => {
    const live = track()
    if (live !== current) {
      stop()
      current = live
      if (live) {
        context = new AudioContext()
        analyser = context.createAnalyser()
        analyser.fftSize = samples.length
        context.createMediaStreamSource(new MediaStream([live])).connect(analyser)
      }
    }
    if (analyser) {
      analyser.getFloatTimeDomainData(samples)
      let sum = 0
      for (const sample of samples) sum += sample * sample
      const rms = Math.sqrt(sum / samples.length)
      setLevel((previous) => Math.max(Math.min(1, rms * 4), previous * 0.85))
    } else setLevel(0)
    frame = requestAnimationFrame(tick)
  }
  frame = requestAnimationFrame(tick)
  onCleanup(stop)
  return level
}

/** What `join` tells media about this browser (shown to others, kept short). */
export function deviceInfo(): { name: string; version?: string; flag?: string } {
  const agent = navigator.userAgent
  const match = /(Edg|OPR|Firefox|Chrome|Chromium|Version)\/(\d+)/.exec(agent)
  const name = match?.[1] === 'Version' ? 'Safari' : match?.[1] === 'Edg' ? 'Edge' : match?.[1] === 'OPR' ? 'Opera' : (match?.[1] ?? 'Browser')
  return { name, version: match?.[2], flag: /Mobi/.test(agent) ? 'mobile' : 'desktop' }
}
