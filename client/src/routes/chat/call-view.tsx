import { createMemo, createSignal, For, Show } from 'solid-js'
import { chat, conversationTitle } from '../../chat/store'
import { isMuted } from '../../calls/remote'
import type { CallSession } from '../../calls/session'
import { leaveCall, runningCalls, setMinimized } from '../../calls/store'
import { CallControls } from './call-controls'
import { audioBlocked, CallTile, RemoteAudio, unblockAudio, type TileProps } from './call-tile'

type Tile = Omit<TileProps, 'onSize'> & { key: string; consumerId?: string }

/** The in-call screen: grid or speaker layout, the participants' audio, controls. */
export function CallView(props: { session: CallSession; me: string; myName: string; hidden: boolean }) {
  const session = () => props.session
  const [layout, setLayout] = createSignal<'grid' | 'speaker'>('grid')
  const [leaveError, setLeaveError] = createSignal<string | null>(null)
  const remote = () => session().remote.state
  const local = () => session().local.state
  const conversation = () => chat.conversations[session().target.conversationId]
  const title = () => (conversation() ? conversationTitle(conversation()!) : 'Call')

  const tiles = createMemo<Tile[]>(() => {
    const list: Tile[] = [{ key: 'me:camera', peerId: props.me, name: props.myName, source: 'camera', track: local().cameraOn ? local().camera : null, micMuted: !local().micOn, speaking: remote().activeSpeaker === props.me, local: true }]
    if (local().screen) list.push({ key: 'me:screen', peerId: props.me, name: props.myName, source: 'screen', track: local().screen, micMuted: false, speaking: false, local: true })
    for (const peer of Object.values(remote().peers)) {
      list.push({ key: `${peer.peerId}:camera`, peerId: peer.peerId, name: peer.displayName, source: 'camera', track: isMuted(peer, 'camera') ? null : peer.tracks.camera, micMuted: isMuted(peer, 'mic'), speaking: remote().activeSpeaker === peer.peerId, quality: peer.quality, consumerId: peer.consumers.camera })
      if (peer.tracks.screen) list.push({ key: `${peer.peerId}:screen`, peerId: peer.peerId, name: peer.displayName, source: 'screen', track: peer.tracks.screen, micMuted: false, speaking: false, quality: peer.quality, consumerId: peer.consumers.screen })
    }
    return list
  })
  const featured = createMemo(() => {
    const all = tiles()
    return all.find((t) => t.source === 'screen' && !t.local) ?? all.find((t) => t.source === 'screen') ?? all.find((t) => t.speaking && !t.local) ?? all.find((t) => !t.local) ?? all[0]!
  })
  const audioTracks = () => Object.values(remote().peers).flatMap((peer) => (peer.tracks.mic ? [peer.tracks.mic] : []))
  const canEndForAll = () => runningCalls[session().target.conversationId]?.startedBy === props.me || conversation()?.me.role === 'owner'
  // The media notification, or the call's flag (set before this device joined).
  const recording = () => session().recording() || Boolean(runningCalls[session().target.conversationId]?.recording)

  // Tiles are keyed by peer and source, so a mute or a new track updates a tile instead of redrawing its video.
  const byKey = createMemo(() => new Map(tiles().map((tile) => [tile.key, tile])))
  const keys = createMemo(() => tiles().map((tile) => tile.key), [], { equals: (a, b) => a.join() === b.join() })
  const renderTile = (key: string) => (
    <Show when={byKey().get(key)}>
      {(tile) => (
        <CallTile
          peerId={tile().peerId}
          name={tile().name}
          source={tile().source}
          track={tile().track}
          micMuted={tile().micMuted}
          speaking={tile().speaking}
          quality={tile().quality}
          local={tile().local}
          onSize={(width, height, visible) => {
            const consumerId = byKey().get(key)?.consumerId
            if (consumerId) session().setTile(consumerId, width, height, visible && !props.hidden)
          }}
        />
      )}
    </Show>
  )
  const leave = (endForAll: boolean) => {
    setLeaveError(null)
    leaveCall(endForAll).catch((error: Error) => setLeaveError(error.message))
  }

  return (
    <section class="call-view" classList={{ hidden: props.hidden, speaker: layout() === 'speaker' }} aria-label={`Call in ${title()}`} data-testid="call-view">
      <header class="call-head">
        <h2>{title()}</h2>
        <Show when={recording()}>
          <span class="call-recording" role="status">● Recording</span>
        </Show>
        <span class="call-status" role="status" aria-live="polite" data-testid="call-status" data-status={session().status()}>
          {session().status() === 'connecting' ? 'Connecting…' : session().status() === 'reconnecting' ? 'Reconnecting…' : session().quality() === '720p' ? '' : session().quality() === 'audio-only' ? 'Weak connection: video paused' : `Weak connection: video at ${session().quality()}`}
        </span>
        <span class="spacer" />
        <button type="button" class="secondary small" aria-pressed={layout() === 'speaker'} onClick={() => setLayout(layout() === 'grid' ? 'speaker' : 'grid')}>
          {layout() === 'grid' ? 'Speaker view' : 'Grid view'}
        </button>
        <button type="button" class="secondary small" aria-label="Minimise call" onClick={() => setMinimized(true)}>
          Minimise
        </button>
      </header>
      <Show when={audioBlocked()}>
        <p class="call-notice" role="alert">
          The browser paused the call's sound. <button type="button" class="small" onClick={unblockAudio}>Turn on sound</button>
        </p>
      </Show>
      <Show when={session().error() ?? leaveError()}>
        <p class="inline-error" role="alert">{session().error() ?? leaveError()}</p>
      </Show>
      <Show
        when={layout() === 'speaker'}
        fallback={
          <div class="call-grid" data-count={Math.min(tiles().length, 9)}>
            <For each={keys()}>{renderTile}</For>
          </div>
        }
      >
        <div class="call-stage">{renderTile(featured().key)}</div>
        <div class="call-strip">
          <For each={keys().filter((key) => key !== featured().key)}>{renderTile}</For>
        </div>
      </Show>
      <div class="call-audio" aria-hidden="true">
        <For each={audioTracks()}>{(track) => <RemoteAudio track={track} />}</For>
      </div>
      <CallControls session={session()} canEndForAll={canEndForAll()} recording={recording()} onLeave={leave} />
    </section>
  )
}
