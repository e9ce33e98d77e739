import { createEffect, createSignal, on, onCleanup, onMount, Show } from 'solid-js'
import type { NetworkQuality } from '../../calls/remote'

/** A <video> bound to a track (or nothing); muted: audio plays through <RemoteAudio>. */
export function TrackVideo(props: { track: MediaStreamTrack | null | undefined; mirror?: boolean; fit?: 'cover' | 'contain' }) {
  let video!: HTMLVideoElement
  createEffect(() => {
    const track = props.track
    video.srcObject = track ? new MediaStream([track]) : null
    if (track) void video.play().catch(() => undefined) // @NOTE: autoplay of a muted video is allowed; a refusal just shows the poster.
  })
  return <video ref={video} autoplay playsinline muted classList={{ mirror: !!props.mirror, contain: props.fit === 'contain' }} />
}

const [audioBlocked, setAudioBlocked] = createSignal(false)
/** True when the browser refused to play call audio without a click (a call resumed after a reload). */
export { audioBlocked }

/** Plays one remote microphone. */
export function RemoteAudio(props: { track: MediaStreamTrack }) {
  let audio!: HTMLAudioElement
  createEffect(() => {
    audio.srcObject = new MediaStream([props.track])
    audio.play().catch(() => setAudioBlocked(true))
  })
  return <audio ref={audio} autoplay />
}

/** After a click (a user gesture), every call audio element may play. */
export function unblockAudio(): void {
  setAudioBlocked(false)
  for (const element of document.querySelectorAll<HTMLAudioElement>('.call-audio audio')) element.play().catch(() => setAudioBlocked(true))
}

export interface TileProps {
  peerId: string
  name: string
  source: 'camera' | 'screen'
  track: MediaStreamTrack | null | undefined
  micMuted: boolean
  speaking: boolean
  quality?: NetworkQuality
  local?: boolean
  /** Drawn size in device pixels and whether it is on screen, for the simulcast layer choice. */
  onSize?(width: number, height: number, visible: boolean): void
}

export function CallTile(props: TileProps) {
  let element!: HTMLDivElement
  let visible = true
  let width = 0
  let height = 0
  let pending: ReturnType<typeof setTimeout> | undefined
  // Debounced: a window being resized reports once it settles, not on every frame.
  const report = () => {
    clearTimeout(pending)
    pending = setTimeout(() => props.onSize?.(Math.round(width * devicePixelRatio), Math.round(height * devicePixelRatio), visible && document.visibilityState === 'visible'), 150)
  }
  onCleanup(() => clearTimeout(pending))
  // A track arriving later (its consumer) needs the size the tile already has.
  createEffect(on(() => props.track, report, { defer: true }))
  onMount(() => {
    const resize = new ResizeObserver(([entry]) => {
      width = entry!.contentRect.width
      height = entry!.contentRect.height
      report()
    })
    const intersection = new IntersectionObserver(([entry]) => {
      visible = entry!.isIntersecting
      report()
    })
    resize.observe(element)
    intersection.observe(element)
    document.addEventListener('visibilitychange', report)
    onCleanup(() => {
      resize.disconnect()
      intersection.disconnect()
      document.removeEventListener('visibilitychange', report)
    })
  })
  const label = () => (props.source === 'screen' ? `${props.name}'s screen` : props.name)
  return (
    <div
      ref={element}
      class="call-tile"
      classList={{ speaking: props.speaking, screen: props.source === 'screen' }}
      data-peer={props.peerId}
      data-source={props.source}
      role="group"
      aria-label={`${label()}${props.local ? ' (you)' : ''}${props.speaking ? ', speaking' : ''}`}
    >
      <Show when={props.track} fallback={<div class="call-avatar" aria-hidden="true">{initials(props.name)}</div>}>
        <TrackVideo track={props.track} mirror={props.local && props.source === 'camera'} fit={props.source === 'screen' ? 'contain' : 'cover'} />
      </Show>
      <div class="call-tile-label">
        <span>{label()}{props.local ? ' (you)' : ''}</span>
        <Show when={props.source === 'camera' && props.micMuted}>
          <span class="call-muted" data-testid="muted" role="img" aria-label="Microphone muted">🔇</span>
        </Show>
        <Show when={props.quality && props.quality !== 'unknown'}>
          <QualityBars quality={props.quality!} />
        </Show>
      </div>
    </div>
  )
}

export function QualityBars(props: { quality: NetworkQuality }) {
  const bars = () => (props.quality === 'good' ? 3 : props.quality === 'fair' ? 2 : 1)
  return (
    <span class={`call-quality ${props.quality}`} role="img" aria-label={`Network quality: ${props.quality}`} data-testid="quality">
      {[1, 2, 3].map((bar) => <i classList={{ on: bar <= bars() }} />)}
    </span>
  )
}

function initials(name: string): string {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((part) => part[0]!.toUpperCase()).join('') || '?'
}
