import { EventEmitter } from 'node:events'
import type { types } from 'mediasoup'
import type { Logger } from '../../server/src/logger'
import { errorFields } from '../../server/src/logger'
import type { NotificationData, RequestData, ResponseData, SignalingNotification } from '../../server/src/contracts/signaling'
import type { MediaConfig } from './config'
import { MediaError } from './errors'
import { Peer, sourceOf, type LeaveReason } from './peer'
import { startRecording, type Recording } from './recording'
import { monitorQuality, peerStats } from './stats'
import { RoomRouters, type PlacedRouter } from './routers'
import type { WorkerPool, WorkerSlot } from './workers'

/** peerId null: for every peer of the room (and the API). */
export type Notify = (roomId: string, peerId: string | null, notification: SignalingNotification) => void
export type RoomCloseReason = NotificationData<'roomClosed'>['reason']

export interface RoomEvents {
  closed: []
}

export interface RoomOptions {
  id: string
  pool: WorkerPool
  config: MediaConfig
  logger: Logger
  notify: Notify
}

/**
 * One call: a router on the least-loaded worker, more routers on other workers once it outgrows
 * MEDIA_MAX_PEERS_PER_ROUTER (producers are piped to the routers whose peers consume them).
 */
export class Room extends EventEmitter<RoomEvents> {
  readonly id: string
  readonly #config: MediaConfig
  readonly #logger: Logger
  readonly #notify: Notify
  readonly #routers: RoomRouters
  readonly #peers = new Map<string, Peer>()
  readonly #audioObserver: types.AudioLevelObserver
  readonly #stopMonitor: () => void
  #activeSpeaker: string | null = null
  #recording: Recording | null = null
  /** Resolves once everything close() started has finished (a recording being finalized). */
  #settled: Promise<void> = Promise.resolve()
  /** Resolves once the last stopped recording's mixed file is written and announced. */
  #written: Promise<void> = Promise.resolve()
  #closed = false

  private constructor(options: RoomOptions, routers: RoomRouters, audioObserver: types.AudioLevelObserver) {
    super()
    this.id = options.id
    this.#config = options.config
    this.#logger = options.logger.child({ roomId: options.id })
    this.#notify = options.notify
    this.#routers = routers
    this.#audioObserver = audioObserver
    audioObserver.on('volumes', (volumes) => {
      const loudest = volumes[0]
      const peerId = (loudest?.producer.appData.peerId as string | undefined) ?? null
      if (peerId === this.#activeSpeaker) return
      this.#activeSpeaker = peerId
      this.notify(null, { name: 'activeSpeaker', data: { peerId, volume: loudest?.volume ?? null } })
    })
    audioObserver.on('silence', () => {
      if (this.#activeSpeaker === null) return
      this.#activeSpeaker = null
      this.notify(null, { name: 'activeSpeaker', data: { peerId: null, volume: null } })
    })
    this.#stopMonitor = monitorQuality(() => this.peers, (peer, change) => this.notify(peer.id, { name: 'qualityChanged', data: change }), this.#logger)
  }

  static async create(options: RoomOptions): Promise<Room> {
    let room: Room | null = null
    // A router closing under the room means its worker died: the whole room rejoins.
    const routers = await RoomRouters.create(options.pool, options.config.maxPeersPerRouter, () => room?.close('worker-died', true))
    const audioObserver = await routers.primary.createAudioLevelObserver({ maxEntries: 1, threshold: -70, interval: 800 })
    room = new Room(options, routers, audioObserver)
    return room
  }

  get closed(): boolean {
    return this.#closed
  }

  get rtpCapabilities(): types.RtpCapabilities {
    return this.#routers.primary.rtpCapabilities
  }

  get peers(): Peer[] {
    return [...this.#peers.values()]
  }

  get slots(): Set<WorkerSlot> {
    return this.#routers.slots
  }

  /** After close(): resolves when a recording it stopped is written (mixed). */
  get settled(): Promise<void> {
    return this.#settled.then(() => this.#written)
  }

  get primaryWorkerPid(): number {
    return this.#routers.primaryWorkerPid
  }

  notify(peerId: string | null, notification: SignalingNotification): void {
    this.#notify(this.id, peerId, notification)
  }

  peer(peerId: string | undefined): Peer {
    const peer = peerId ? this.#peers.get(peerId) : undefined
    if (!peer || peer.closed) throw new MediaError('PEER_NOT_JOINED', 'join the room first')
    return peer
  }

  async join(peerId: string, data: RequestData<'join'>): Promise<ResponseData<'join'>> {
    this.#peers.get(peerId)?.close('replaced')
    const placed = await this.#routers.forNewPeer()
    if (this.#closed) throw new MediaError('ROOM_NOT_FOUND', `room ${this.id} closed`)
    const peer = await Peer.create({
      id: peerId,
      displayName: data.displayName,
      device: data.device,
      rtpCapabilities: data.rtpCapabilities as types.RtpCapabilities,
      router: placed.router,
      config: this.#config,
      logger: this.#logger,
    })
    if (this.#closed) throw new MediaError('ROOM_NOT_FOUND', `room ${this.id} closed`)
    this.#peers.set(peerId, peer)
    this.#routers.admit(placed)
    peer.on('producer', (producer) => void this.#onProducer(peer, producer))
    peer.once('closed', (reason) => this.#onPeerClosed(peer, placed, reason))
    this.notify(null, { name: 'peerJoined', data: { peerId, displayName: peer.displayName, device: peer.device } })
    const others = this.peers.filter((other) => other !== peer)
    return {
      peers: others.map((other) => ({
        peerId: other.id,
        displayName: other.displayName,
        device: other.device,
        producers: other.producers.map((producer) => ({ producerId: producer.id, kind: producer.kind, source: sourceOf(producer), paused: producer.paused })),
      })),
      activeSpeakerPeerId: this.#activeSpeaker,
    }
  }

  /** After a recv transport appears: consume everything already produced by the others. */
  async consumeAll(peer: Peer): Promise<void> {
    for (const other of this.peers) {
      if (other === peer) continue
      for (const producer of other.producers) await this.#consume(peer, other, producer)
    }
  }

  async setProducerPaused(peer: Peer, producerId: string, paused: boolean): Promise<void> {
    const producer = peer.producer(producerId)
    if (producer.paused === paused) return
    if (paused) await producer.pause()
    else await producer.resume()
    const data = { peerId: peer.id, producerId, source: sourceOf(producer) }
    this.notify(null, paused ? { name: 'producerPaused', data } : { name: 'producerResumed', data })
  }

  async getStats(): Promise<ResponseData<'getStats'>> {
    return { peers: await Promise.all(this.peers.map((peer) => peerStats(peer))) }
  }

  /** Records every producer, present now or appearing later; waitForMedia: also when nobody sends yet. */
  async startRecording(data: RequestData<'startRecording'> = {}): Promise<ResponseData<'startRecording'>> {
    if (this.#recording && !this.#recording.stopped) throw new MediaError('RECORDING_ACTIVE', 'this room is already being recorded')
    const producers = await Promise.all(this.peers.flatMap((peer) => peer.producers.map(async (producer) => {
      await this.#routers.pipe(producer, peer.router, this.#routers.primary)
      return producer
    })))
    if (this.#recording && !this.#recording.stopped) throw new MediaError('RECORDING_ACTIVE', 'this room is already being recorded')
    const recording = await startRecording({ roomId: this.id, router: this.#routers.primary, config: this.#config, logger: this.#logger }, producers, data.waitForMedia ?? false)
    this.#recording = recording
    // A producer that appeared while the recording was being set up: add() skips the ones it has.
    for (const peer of this.peers) for (const producer of peer.producers) void this.#record(peer, producer)
    this.notify(null, { name: 'recordingStarted', data: { recordingId: recording.id, path: recording.path } })
    return { recordingId: recording.id, path: recording.path }
  }

  /**
   * Answers once the segments are finished; the mix runs after, and `recordingStopped` (reason `failed` when
   * nothing was written) goes room-wide when the file is there. `settled` waits for it.
   */
  async stopRecording(reason: 'stopped' | 'room-closed' = 'stopped'): Promise<ResponseData<'stopRecording'>> {
    const recording = this.#recording
    if (!recording || recording.stopped) throw new MediaError('RECORDING_NOT_ACTIVE', 'this room is not being recorded')
    const result = await recording.stop()
    const written = recording.finished.then(
      (final) => this.notify(null, { name: 'recordingStopped', data: { ...final, reason: final.bytes > 0 ? reason : 'failed' } }),
      (error: unknown) => {
        this.#logger.error('stopRecording() [mix failed]', errorFields(error))
        this.notify(null, { name: 'recordingStopped', data: { ...result, bytes: 0, reason: 'failed' } })
      },
    )
    this.#written = written
    return result
  }

  /**
   * Idempotent. Tells every peer first (rejoin = the call goes on, join again), then tears down; a
   * recording is finished first while its media still flows (unless the worker is gone already).
   */
  close(reason: RoomCloseReason, rejoin: boolean): void {
    if (this.#closed) return
    this.#closed = true
    this.#logger.info('close() [room closed]', { reason, rejoin })
    this.notify(null, { name: 'roomClosed', data: { reason, rejoin } })
    this.#stopMonitor()
    const teardown = () => {
      for (const peer of this.peers) {
        peer.removeAllListeners('closed')
        peer.close('left')
      }
      this.#peers.clear()
      this.#routers.close()
      this.emit('closed')
    }
    if (!this.#recording || this.#recording.stopped) return teardown()
    // recordingStopped follows once the mixed file is written (stopRecording extends `settled` for it).
    const stopping = this.stopRecording('room-closed').then(
      () => undefined,
      (error: unknown) => this.#logger.warn('close() [recording stop failed]', errorFields(error)),
    )
    if (reason === 'worker-died') teardown()
    this.#settled = reason === 'worker-died' ? stopping : stopping.finally(teardown)
  }

  async #onProducer(owner: Peer, producer: types.Producer): Promise<void> {
    try {
      if (producer.kind === 'audio') {
        await this.#routers.pipe(producer, owner.router, this.#routers.primary)
        await this.#audioObserver.addProducer({ producerId: producer.id })
      }
      void this.#record(owner, producer)
      await Promise.all(this.peers.filter((peer) => peer !== owner).map((peer) => this.#consume(peer, owner, producer)))
    } catch (error) {
      if (!this.#closed && !producer.closed) this.#logger.warn('onProducer() [fan-out failed]', { producerId: producer.id, ...errorFields(error) })
    }
  }

  /** A producer appearing while the room is recorded joins the recording as a segment of its own. */
  async #record(owner: Peer, producer: types.Producer): Promise<void> {
    const recording = this.#recording
    if (!recording || recording.stopped) return
    try {
      await this.#routers.pipe(producer, owner.router, this.#routers.primary)
      await recording.add(producer)
    } catch (error) {
      if (!this.#closed && !producer.closed) this.#logger.warn('record() [late producer not recorded]', { producerId: producer.id, ...errorFields(error) })
    }
  }

  async #consume(peer: Peer, owner: Peer, producer: types.Producer): Promise<void> {
    if (!peer.recvTransport || !peer.claim(producer.id)) return
    try {
      await this.#routers.pipe(producer, owner.router, peer.router)
      const consumer = await peer.consume(producer.id)
      if (!consumer) return
      this.#routers.track(peer.router, consumer)
      consumer.on('producerclose', () => this.notify(peer.id, { name: 'consumerClosed', data: { consumerId: consumer.id, reason: 'producer-closed' } }))
      this.notify(peer.id, {
        name: 'newConsumer',
        data: {
          consumerId: consumer.id,
          producerId: producer.id,
          producerPeerId: owner.id,
          kind: consumer.kind,
          source: sourceOf(producer),
          rtpParameters: consumer.rtpParameters as NotificationData<'newConsumer'>['rtpParameters'],
          type: consumer.type,
          producerPaused: consumer.producerPaused,
        },
      })
    } catch (error) {
      if (!peer.closed && !producer.closed) this.#logger.warn('consume() [failed]', { peerId: peer.id, producerId: producer.id, ...errorFields(error) })
    }
  }

  #onPeerClosed(peer: Peer, placed: PlacedRouter, reason: LeaveReason): void {
    if (this.#peers.get(peer.id) === peer) this.#peers.delete(peer.id)
    this.#routers.release(placed)
    if (this.#activeSpeaker === peer.id) this.#activeSpeaker = null
    this.notify(null, { name: 'peerLeft', data: { peerId: peer.id, reason } })
  }
}
