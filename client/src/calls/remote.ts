import { createStore, produce, type SetStoreFunction } from 'solid-js/store'
import type { types } from 'mediasoup-client'
import type { NotificationData, PeerInfo as PeerInfoSchema, QualityStep as QualityStepSchema } from '../../../server/src/contracts/signaling'

export type Source = 'mic' | 'camera' | 'screen'
export type QualityStep = typeof QualityStepSchema.static
export type NetworkQuality = 'good' | 'fair' | 'poor' | 'unknown'
type PeerInfo = typeof PeerInfoSchema.static

export interface RemoteProducer {
  producerId: string
  source: Source
  paused: boolean
}

/** One other participant as the UI draws it: its producers (to show mute) and the tracks consumed from them. */
export interface RemotePeer {
  peerId: string
  displayName: string
  producers: Record<string, RemoteProducer>
  tracks: Partial<Record<Source, MediaStreamTrack>>
  /** source → consumerId, for tile preferences. */
  consumers: Partial<Record<Source, string>>
  quality: NetworkQuality
}

export interface RemoteState {
  peers: Record<string, RemotePeer>
  activeSpeaker: string | null
}

/** The other participants of a call: joins and leaves, mute state, consumed tracks. */
export class RemotePeers {
  readonly state: RemoteState
  readonly #set: SetStoreFunction<RemoteState>
  /** consumerId → the consumer and whose it is. */
  readonly consumers = new Map<string, { consumer: types.Consumer; peerId: string; source: Source }>()

  constructor(private me: string) {
    ;[this.state, this.#set] = createStore<RemoteState>({ peers: {}, activeSpeaker: null })
  }

  /** The room as `join` answered it (a rejoin starts from scratch). */
  reset(peers: PeerInfo[], activeSpeaker: string | null): void {
    this.closeConsumers()
    const next: Record<string, RemotePeer> = {}
    for (const peer of peers) {
      if (peer.peerId === this.me) continue
      next[peer.peerId] = { peerId: peer.peerId, displayName: peer.displayName, producers: Object.fromEntries(peer.producers.map((p) => [p.producerId, { producerId: p.producerId, source: p.source, paused: p.paused }])), tracks: {}, consumers: {}, quality: 'unknown' }
    }
    this.#set({ peers: next, activeSpeaker })
  }

  joined(data: NotificationData<'peerJoined'>): void {
    if (data.peerId === this.me) return
    this.#set('peers', data.peerId, { peerId: data.peerId, displayName: data.displayName, producers: {}, tracks: {}, consumers: {}, quality: 'unknown' })
  }

  left(peerId: string): void {
    for (const [consumerId, entry] of this.consumers) if (entry.peerId === peerId) this.consumerClosed(consumerId)
    this.#set('peers', produce((peers) => void delete peers[peerId]))
    if (this.state.activeSpeaker === peerId) this.#set('activeSpeaker', null)
  }

  producerState(peerId: string, producerId: string, source: Source, paused: boolean): void {
    if (!this.state.peers[peerId]) return
    this.#set('peers', peerId, 'producers', producerId, { producerId, source, paused })
  }

  /** A consumer is wired: its track goes to the peer's tile. */
  consumed(consumer: types.Consumer, data: NotificationData<'newConsumer'>): void {
    const { producerPeerId: peerId, source } = data
    this.consumers.set(consumer.id, { consumer, peerId, source })
    if (!this.state.peers[peerId]) this.#set('peers', peerId, { peerId, displayName: 'Participant', producers: {}, tracks: {}, consumers: {}, quality: 'unknown' })
    this.#set('peers', peerId, produce((peer) => {
      peer.producers[data.producerId] = { producerId: data.producerId, source, paused: data.producerPaused }
      peer.tracks[source] = consumer.track
      peer.consumers[source] = consumer.id
    }))
  }

  consumerClosed(consumerId: string): void {
    const entry = this.consumers.get(consumerId)
    if (!entry) return
    this.consumers.delete(consumerId)
    entry.consumer.close()
    if (!this.state.peers[entry.peerId]) return
    this.#set('peers', entry.peerId, produce((peer) => {
      if (peer.consumers[entry.source] !== consumerId) return
      delete peer.tracks[entry.source]
      delete peer.consumers[entry.source]
      delete peer.producers[entry.consumer.producerId]
    }))
  }

  activeSpeaker(peerId: string | null): void {
    this.#set('activeSpeaker', peerId)
  }

  quality(peerId: string, quality: NetworkQuality): void {
    if (this.state.peers[peerId]) this.#set('peers', peerId, 'quality', quality)
  }

  closeConsumers(): void {
    for (const { consumer } of this.consumers.values()) consumer.close()
    this.consumers.clear()
  }
}

/** Whether a peer's source is muted: no producer, or a paused one. */
export function isMuted(peer: RemotePeer, source: Source): boolean {
  const producers = Object.values(peer.producers).filter((p) => p.source === source)
  return producers.length === 0 || producers.every((p) => p.paused)
}

/** Network quality from media's per-peer stats: loss and round trip toward media, and the lowest scores. */
export function rateQuality(stats: { packetLoss: number; rttMs: number | null; producerScore: number | null; consumerScore: number | null }): NetworkQuality {
  const score = Math.min(stats.producerScore ?? 10, stats.consumerScore ?? 10)
  if (stats.packetLoss > 0.08 || (stats.rttMs ?? 0) > 400 || score < 5) return 'poor'
  if (stats.packetLoss > 0.02 || (stats.rttMs ?? 0) > 200 || score < 8) return 'fair'
  return 'good'
}
