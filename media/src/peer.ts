import { EventEmitter } from 'node:events'
import type { types } from 'mediasoup'
import type { Logger } from '../../server/src/logger'
import type { NotificationData, RequestData, ResponseData } from '../../server/src/contracts/signaling'
import type { MediaConfig } from './config'
import { iceServersFor } from './codecs'
import { MediaError, asMediaError, notFound } from './errors'
import { ReceiverQuality } from './quality'

export type Direction = 'send' | 'recv'
export type MediaSource = 'mic' | 'camera' | 'screen'
export type LeaveReason = NotificationData<'peerLeft'>['reason']
type Device = RequestData<'join'>['device']

const MAX_TRANSPORTS = 8
const MAX_PRODUCERS = 8

interface OwnedTransport {
  transport: types.WebRtcTransport | types.PlainTransport
  direction: Direction
  webRtc: boolean
}

export interface PeerEvents {
  /** A new producer others should consume. */
  producer: [producer: types.Producer]
  /** A transport carries media (DTLS connected, or a plain transport is set up): the connect timeout is off. */
  connected: []
  closed: [reason: LeaveReason]
}

export interface PeerOptions {
  id: string
  displayName: string
  device: Device
  rtpCapabilities: types.RtpCapabilities
  router: types.Router
  config: MediaConfig
  logger: Logger
}

/** One participant on one router: owns its transports, and through them its producers and consumers. */
export class Peer extends EventEmitter<PeerEvents> {
  readonly id: string
  readonly displayName: string
  readonly device: Device
  readonly rtpCapabilities: types.RtpCapabilities
  readonly router: types.Router
  readonly quality: ReceiverQuality
  readonly #config: MediaConfig
  readonly #logger: Logger
  readonly #transports = new Map<string, OwnedTransport>()
  readonly #producers = new Map<string, types.Producer>()
  readonly #consumers = new Map<string, types.Consumer>()
  /** Producers this peer consumes or is about to: a producer is consumed once even when two paths race. */
  readonly #claimed = new Set<string>()
  #recvTransportId: string | null = null
  #connectTimer: ReturnType<typeof setTimeout> | null
  /** Runs while a WebRTC transport's ICE is disconnected; restartIce or reconnecting clears it. */
  #lostTimer: ReturnType<typeof setTimeout> | null = null
  #closed = false

  private constructor(options: PeerOptions) {
    super()
    this.id = options.id
    this.displayName = options.displayName
    this.device = options.device
    this.rtpCapabilities = options.rtpCapabilities
    this.router = options.router
    this.#config = options.config
    this.#logger = options.logger.child({ peerId: options.id })
    this.quality = new ReceiverQuality(this.#logger)
    // A peer that never gets a transport carrying media is gone (closed browser, failed ICE).
    this.#connectTimer = setTimeout(() => this.close('timeout'), options.config.peerTimeoutMs)
  }

  static async create(options: PeerOptions): Promise<Peer> {
    const offered = new Set(options.router.rtpCapabilities.codecs?.map((codec) => codec.mimeType.toLowerCase()))
    if (!options.rtpCapabilities.codecs?.some((codec) => offered.has(codec.mimeType.toLowerCase()))) {
      throw new MediaError('UNSUPPORTED_MEDIA', 'rtpCapabilities share no codec with the room')
    }
    return new Peer(options)
  }

  get closed(): boolean {
    return this.#closed
  }

  get producers(): types.Producer[] {
    return [...this.#producers.values()]
  }

  get consumers(): types.Consumer[] {
    return [...this.#consumers.values()]
  }

  get transports(): OwnedTransport[] {
    return [...this.#transports.values()]
  }

  /** Whether this peer receives over WebRTC (receiver reports, a bandwidth estimate: the ladder applies). */
  get receivesOverWebRtc(): boolean {
    return this.#recvTransportId ? (this.#transports.get(this.#recvTransportId)?.webRtc ?? false) : false
  }

  /** The transport consumers go on: the latest recv transport, null before one exists. */
  get recvTransport(): types.Transport | null {
    return this.#recvTransportId ? (this.#transports.get(this.#recvTransportId)?.transport ?? null) : null
  }

  async createWebRtcTransport(data: RequestData<'createWebRtcTransport'>): Promise<ResponseData<'createWebRtcTransport'>> {
    this.#assertRoom()
    const transport = await this.router.createWebRtcTransport({
      listenIps: [{ ip: this.#config.listenIp, announcedIp: this.#config.announcedIp ?? undefined }],
      enableUdp: !data.forceTcp,
      enableTcp: true,
      preferUdp: !data.forceTcp,
      initialAvailableOutgoingBitrate: this.#config.initialAvailableOutgoingBitrate,
      appData: { direction: data.direction },
    })
    transport.on('dtlsstatechange', (state) => {
      if (state === 'connected') this.#markConnected()
      if (state === 'failed') this.#logger.warn('createWebRtcTransport() [dtls failed]', { transportId: transport.id })
    })
    // A browser that vanishes (closed lid, lost network) without leaving: ICE goes disconnected and stays so.
    transport.on('icestatechange', (state) => {
      if (state === 'disconnected') this.#startLostTimer()
      if (state === 'connected' || state === 'completed') this.#clearLostTimer()
    })
    this.#own(transport, data.direction, true)
    return {
      transportId: transport.id,
      iceParameters: { ...transport.iceParameters },
      iceCandidates: transport.iceCandidates.map((candidate) => ({ ...candidate })),
      dtlsParameters: transport.dtlsParameters,
      iceServers: iceServersFor(this.#config, this.id),
    }
  }

  async createPlainTransport(data: RequestData<'createPlainTransport'>): Promise<ResponseData<'createPlainTransport'>> {
    this.#assertRoom()
    const rtcpMux = data.rtcpMux ?? true
    const transport = await this.router.createPlainTransport({
      listenIp: { ip: this.#config.listenIp, announcedIp: this.#config.announcedIp ?? undefined },
      rtcpMux,
      comedia: data.comedia ?? data.direction === 'send',
      appData: { direction: data.direction },
    })
    this.#own(transport, data.direction, false)
    this.#markConnected()
    return { transportId: transport.id, ip: transport.tuple.localIp, port: transport.tuple.localPort, rtcpPort: transport.rtcpTuple?.localPort ?? null }
  }

  async connectTransport(data: RequestData<'connectTransport'>): Promise<void> {
    const transport = this.#transport(data.transportId)
    if (!('dtlsParameters' in transport)) throw new MediaError('WRONG_DIRECTION', 'connectTransport is for WebRTC transports; use connectPlainTransport')
    await asMediaError('DTLS_FAILED', () => transport.connect({ dtlsParameters: data.dtlsParameters as types.DtlsParameters }))
  }

  async connectPlainTransport(data: RequestData<'connectPlainTransport'>): Promise<void> {
    const transport = this.#transport(data.transportId)
    if ('dtlsParameters' in transport) throw new MediaError('WRONG_DIRECTION', 'connectPlainTransport is for plain transports')
    await asMediaError('INVALID_REQUEST', () => transport.connect({ ip: data.ip, port: data.port, rtcpPort: data.rtcpPort }))
  }

  async restartIce(transportId: string): Promise<ResponseData<'restartIce'>> {
    const transport = this.#transport(transportId)
    if (!('restartIce' in transport)) throw new MediaError('WRONG_DIRECTION', 'restartIce is for WebRTC transports')
    return { iceParameters: { ...(await transport.restartIce()) } }
  }

  async produce(data: RequestData<'produce'>): Promise<types.Producer> {
    const owned = this.#transports.get(data.transportId)
    if (!owned) throw notFound.transport(data.transportId)
    if (owned.direction !== 'send') throw new MediaError('WRONG_DIRECTION', 'produce needs a send transport')
    if (this.#producers.size >= MAX_PRODUCERS) throw new MediaError('INVALID_REQUEST', `at most ${MAX_PRODUCERS} producers per peer`)
    const source: MediaSource = data.appData.source
    if ((source === 'mic') !== (data.kind === 'audio')) throw new MediaError('INVALID_REQUEST', `source ${source} does not carry ${data.kind}`)
    const producer = await asMediaError('UNSUPPORTED_MEDIA', () =>
      owned.transport.produce({ kind: data.kind, rtpParameters: data.rtpParameters as types.RtpParameters, appData: { peerId: this.id, source, contentHint: data.appData.contentHint } }),
    )
    this.#producers.set(producer.id, producer)
    producer.observer.once('close', () => this.#producers.delete(producer.id))
    this.emit('producer', producer)
    return producer
  }

  producer(producerId: string): types.Producer {
    const producer = this.#producers.get(producerId)
    if (!producer) throw notFound.producer(producerId)
    return producer
  }

  consumer(consumerId: string): types.Consumer {
    const consumer = this.#consumers.get(consumerId)
    if (!consumer) throw notFound.consumer(consumerId)
    return consumer
  }

  /** True the first time for a producer; the caller then consumes it. */
  claim(producerId: string): boolean {
    if (this.#claimed.has(producerId)) return false
    this.#claimed.add(producerId)
    return true
  }

  /** Consumes a producer on this peer's router, paused until the client resumes it; null when this peer cannot receive it. */
  async consume(producerId: string): Promise<types.Consumer | null> {
    const transport = this.recvTransport
    if (!transport || this.#closed) return null
    if (!this.router.canConsume({ producerId, rtpCapabilities: this.rtpCapabilities })) return null
    const consumer = await transport.consume({ producerId, rtpCapabilities: this.rtpCapabilities, paused: true })
    if (this.#closed) {
      consumer.close()
      return null
    }
    this.#consumers.set(consumer.id, consumer)
    consumer.observer.once('close', () => this.#consumers.delete(consumer.id))
    this.quality.add(consumer)
    return consumer
  }

  /** Idempotent; closing the transports closes their producers and consumers. */
  close(reason: LeaveReason): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#connectTimer) clearTimeout(this.#connectTimer)
    this.#clearLostTimer()
    for (const { transport } of this.#transports.values()) transport.close()
    this.#transports.clear()
    this.emit('closed', reason)
  }

  #own(transport: types.WebRtcTransport | types.PlainTransport, direction: Direction, webRtc: boolean): void {
    if (this.#closed) {
      transport.close()
      throw new MediaError('PEER_NOT_JOINED', 'the peer left')
    }
    if (this.#transports.size >= MAX_TRANSPORTS) {
      transport.close()
      throw new MediaError('INVALID_REQUEST', `at most ${MAX_TRANSPORTS} transports per peer`)
    }
    this.#transports.set(transport.id, { transport, direction, webRtc })
    transport.observer.once('close', () => this.#transports.delete(transport.id))
    if (direction === 'recv') this.#recvTransportId = transport.id
  }

  #transport(transportId: string): types.WebRtcTransport | types.PlainTransport {
    const owned = this.#transports.get(transportId)
    if (!owned) throw notFound.transport(transportId)
    return owned.transport
  }

  #startLostTimer(): void {
    this.#lostTimer ??= setTimeout(() => this.close('timeout'), this.#config.peerTimeoutMs)
  }

  #clearLostTimer(): void {
    if (this.#lostTimer) clearTimeout(this.#lostTimer)
    this.#lostTimer = null
  }

  #markConnected(): void {
    if (!this.#connectTimer) return
    clearTimeout(this.#connectTimer)
    this.#connectTimer = null
    this.emit('connected')
  }

  #assertRoom(): void {
    if (this.#closed) throw new MediaError('PEER_NOT_JOINED', 'the peer left')
  }
}

export function sourceOf(producer: types.Producer): MediaSource {
  return (producer.appData.source as MediaSource | undefined) ?? (producer.kind === 'audio' ? 'mic' : 'camera')
}
