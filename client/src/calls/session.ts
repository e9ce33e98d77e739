import { createSignal } from 'solid-js'
import { Device, type types } from 'mediasoup-client'
import type { RequestData, RequestName, ResponseData } from '../../../server/src/contracts/signaling'
import { api, call } from '../api/client'
import { onServerEvent, realtime } from '../chat/sync'
import { deviceInfo } from './devices'
import { LocalMedia } from './local'
import { rateQuality, RemotePeers, type QualityStep } from './remote'
import { CallSignaling, SignalError, type CallNotification } from './signaling'

export type CallStatus = 'connecting' | 'connected' | 'reconnecting' | 'ended'

export interface CallTarget {
  callId: string
  conversationId: string
  kind: 'audio' | 'video'
}

const STATS_EVERY_MS = 4000
const ICE_RESTART_AFTER_MS = 2000
const REJOIN_BACKOFF_MS = [500, 1000, 2000, 4000, 8000]

/**
 * One call in this browser: signaling, the mediasoup-client Device, a send and a recv transport,
 * producers (LocalMedia) and consumers (RemotePeers). Recovers by ICE restart when a transport
 * drops, and by a full rejoin (same tracks produced again) when that fails, media closes the room
 * with `rejoin`, or the socket reconnects (the API forgot this socket's peer).
 */
export class CallSession {
  readonly local: LocalMedia
  readonly remote: RemotePeers
  readonly #status = createSignal<CallStatus>('connecting')
  readonly status = this.#status[0]
  readonly #setStatus = this.#status[1]
  /** This receiver's step on media's degradation ladder. */
  readonly #quality = createSignal<QualityStep>('720p')
  readonly quality = this.#quality[0]
  readonly #setQuality = this.#quality[1]
  readonly #error = createSignal<string | null>(null)
  readonly error = this.#error[0]
  readonly #setError = this.#error[1]
  readonly #recording = createSignal(false)
  readonly recording = this.#recording[0]
  readonly #setRecording = this.#recording[1]
  #signaling: CallSignaling
  #send: types.Transport | null = null
  #recv: types.Transport | null = null
  #recvReady!: Promise<types.Transport>
  #resolveRecv!: (transport: types.Transport) => void
  #generation = 0
  #connecting = false
  #stopped = false
  #statsTimer: ReturnType<typeof setInterval> | undefined
  #unsubscribe: Array<() => void> = []
  #preferences = new Map<string, string>()

  constructor(readonly target: CallTarget, private me: string, devices: { mic: boolean; camera: boolean }) {
    this.local = new LocalMedia(devices)
    this.remote = new RemotePeers(me)
    this.#signaling = new CallSignaling(target.callId)
    this.#unsubscribe.push(this.#signaling.onNotification((n) => void this.#notified(n)))
    // A socket that reconnected lost its place in the relay: rejoin so notifications flow again.
    this.#unsubscribe.push(onServerEvent((event) => {
      if (event.type !== 'ready' || this.#stopped) return
      // Answers meant for the old socket will never come.
      this.#signaling.failPending()
      if (!this.#connecting) void this.rejoin('socket reconnected')
    }))
  }

  /** Opens devices and connects; the caller has already joined over REST (start or join). */
  async start(): Promise<void> {
    const missing = await this.local.open()
    if (missing.length > 0) this.#setError(`Could not open your ${missing.join(' and ')}; you joined without it.`)
    await this.#connectWithRetry()
    this.#statsTimer = setInterval(() => void this.#pollStats(), STATS_EVERY_MS)
  }

  /** Tile size (device pixels) and visibility of a consumer's tile: media picks the simulcast layer or pauses it. */
  setTile(consumerId: string, width: number, height: number, visible: boolean): void {
    const key = `${width}x${height}:${visible}`
    if (this.#preferences.get(consumerId) === key) return
    this.#preferences.set(consumerId, key)
    this.#request('setConsumerPreferences', { consumerId, width, height, visible }).catch(() => this.#preferences.delete(consumerId)) // @NOTE: retried on the next resize or after a rejoin.
  }

  async rejoin(reason: string): Promise<void> {
    if (this.#stopped || this.#connecting) return
    console.info(`rejoin() [callId:${this.target.callId}] ${reason}`)
    this.#setStatus('reconnecting')
    this.#teardownTransports()
    await this.#connectWithRetry()
  }

  /** Leaves this call (others stay); `endForAll` ends it for everyone (caller or admin only). */
  async leave(endForAll = false): Promise<void> {
    if (this.#stopped) return
    const id = this.target.callId
    // Refused (not the caller or an admin): stay in the call; the caller shows the error.
    if (endForAll) await call(() => api.calls({ id }).end.post())
    const request = this.#signaling.request('leave', {}).catch(() => undefined) // @NOTE: media times the peer out if this is lost.
    await Promise.race([request, new Promise((done) => setTimeout(done, 1000))])
    this.close()
    if (!endForAll) await call(() => api.calls({ id }).leave.post()).catch(() => undefined) // @NOTE: already over, or media marked us as left.
  }

  /** Local teardown only (the call ended elsewhere, or after leave). */
  close(): void {
    if (this.#stopped) return
    this.#stopped = true
    clearInterval(this.#statsTimer)
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
    this.#teardownTransports()
    this.local.stop()
    this.#signaling.close()
    this.#setStatus('ended')
  }

  /** For diagnostics and the browser tests: decoded frames and received packets per consumed track. */
  async inboundStats(): Promise<Array<{ peerId: string; source: string; kind: string; framesDecoded: number; packetsReceived: number }>> {
    const rows = []
    for (const { consumer, peerId, source } of this.remote.consumers.values()) {
      const report = await consumer.getStats()
      for (const entry of report.values()) {
        if (entry.type !== 'inbound-rtp') continue
        rows.push({ peerId, source, kind: consumer.kind, framesDecoded: entry.framesDecoded ?? 0, packetsReceived: entry.packetsReceived ?? 0 })
      }
    }
    return rows
  }

  #request<N extends RequestName>(name: N, data: RequestData<N>): Promise<ResponseData<N>> {
    return this.#signaling.request(name, data)
  }

  async #connectWithRetry(): Promise<void> {
    this.#connecting = true
    try {
      await this.#retryConnect()
    } finally {
      this.#connecting = false
    }
  }

  async #retryConnect(): Promise<void> {
    for (let attempt = 0; !this.#stopped; attempt++) {
      try {
        await this.#connect()
        this.#setStatus('connected')
        return
      } catch (error) {
        const code = error instanceof SignalError ? error.code : (error as { code?: string }).code
        // The call is over, or we are no longer allowed in: nothing to retry.
        if (code === 'CALL_ENDED' || code === 'CALL_NOT_FOUND' || code === 'CONVERSATION_NOT_FOUND') return this.close()
        console.warn(`connect() [callId:${this.target.callId}] attempt ${attempt + 1} failed: ${(error as Error).message}`)
        this.#setStatus('reconnecting')
        this.#teardownTransports()
        await new Promise((done) => setTimeout(done, REJOIN_BACKOFF_MS[Math.min(attempt, REJOIN_BACKOFF_MS.length - 1)]))
        await waitOnline()
      }
    }
  }

  async #connect(): Promise<void> {
    const generation = ++this.#generation
    this.#preferences.clear()
    this.#recvReady = new Promise((resolve) => (this.#resolveRecv = resolve))
    // Idempotent; after a lost peer (link-lost / timeout) media and the API marked us as left.
    await call(() => api.calls({ id: this.target.callId }).join.post())
    const { rtpCapabilities } = await this.#request('getRouterRtpCapabilities', {})
    const device = new Device()
    await device.load({ routerRtpCapabilities: rtpCapabilities as types.RtpCapabilities })
    const joined = await this.#request('join', { displayName: 'Participant', rtpCapabilities: device.rtpCapabilities as RequestData<'join'>['rtpCapabilities'], device: deviceInfo() })
    if (generation !== this.#generation) return
    this.remote.reset(joined.peers, joined.activeSpeakerPeerId)
    const sendInfo = await this.#request('createWebRtcTransport', { direction: 'send' })
    this.#send = this.#wire(device.createSendTransport({ id: sendInfo.transportId, iceParameters: sendInfo.iceParameters as unknown as types.IceParameters, iceCandidates: sendInfo.iceCandidates as unknown as types.IceCandidate[], dtlsParameters: sendInfo.dtlsParameters as types.DtlsParameters, iceServers: sendInfo.iceServers }), generation)
    const recvInfo = await this.#request('createWebRtcTransport', { direction: 'recv' })
    this.#recv = this.#wire(device.createRecvTransport({ id: recvInfo.transportId, iceParameters: recvInfo.iceParameters as unknown as types.IceParameters, iceCandidates: recvInfo.iceCandidates as unknown as types.IceCandidate[], dtlsParameters: recvInfo.dtlsParameters as types.DtlsParameters, iceServers: recvInfo.iceServers }), generation)
    this.#resolveRecv(this.#recv)
    await this.local.attach(this.#send, (name, data) => this.#request(name, data))
  }

  #wire(transport: types.Transport, generation: number): types.Transport {
    transport.on('connect', ({ dtlsParameters }, done, fail) => {
      this.#request('connectTransport', { transportId: transport.id, dtlsParameters: dtlsParameters as RequestData<'connectTransport'>['dtlsParameters'] }).then(done, fail)
    })
    if (transport.direction === 'send') {
      transport.on('produce', ({ kind, rtpParameters, appData }, done, fail) => {
        const { source, contentHint } = appData as { source: 'mic' | 'camera' | 'screen'; contentHint?: string }
        this.#request('produce', { transportId: transport.id, kind, rtpParameters: rtpParameters as RequestData<'produce'>['rtpParameters'], appData: contentHint ? { source, contentHint } : { source } })
          .then(({ producerId }) => done({ id: producerId }), fail)
      })
    }
    let restartTimer: ReturnType<typeof setTimeout> | undefined
    transport.on('connectionstatechange', (state) => {
      if (generation !== this.#generation || this.#stopped) return
      clearTimeout(restartTimer)
      if (state === 'connected' && this.status() === 'reconnecting' && !this.#connecting) this.#setStatus('connected')
      if (state === 'disconnected') {
        this.#setStatus('reconnecting')
        restartTimer = setTimeout(() => void this.#restartIce(transport, generation), ICE_RESTART_AFTER_MS)
      }
      if (state === 'failed') void this.rejoin(`${transport.direction} transport failed`)
    })
    return transport
  }

  async #restartIce(transport: types.Transport, generation: number): Promise<void> {
    if (generation !== this.#generation || transport.closed) return
    try {
      const { iceParameters } = await this.#request('restartIce', { transportId: transport.id })
      await transport.restartIce({ iceParameters: iceParameters as unknown as types.IceParameters })
    } catch {
      void this.rejoin('ICE restart failed')
    }
  }

  async #notified(notification: CallNotification): Promise<void> {
    const generation = this.#generation
    switch (notification.name) {
      case 'newConsumer': {
        const data = notification.data
        const transport = await this.#recvReady
        if (generation !== this.#generation || transport.closed) return
        const consumer = await transport.consume({ id: data.consumerId, producerId: data.producerId, kind: data.kind, rtpParameters: data.rtpParameters as types.RtpParameters })
        this.remote.consumed(consumer, data)
        await this.#request('resumeConsumer', { consumerId: data.consumerId }).catch(() => undefined) // @NOTE: a consumer closed meanwhile; consumerClosed follows.
        return
      }
      case 'consumerClosed':
        return this.remote.consumerClosed(notification.data.consumerId)
      case 'producerPaused':
      case 'producerResumed':
        return this.remote.producerState(notification.data.peerId, notification.data.producerId, notification.data.source, notification.name === 'producerPaused')
      case 'activeSpeaker':
        return this.remote.activeSpeaker(notification.data.peerId)
      case 'peerJoined':
        return this.remote.joined(notification.data)
      case 'peerLeft':
        return this.remote.left(notification.data.peerId)
      case 'qualityChanged':
        return void this.#setQuality(notification.data.step)
      case 'roomClosed':
        if (notification.data.rejoin) return void this.rejoin(`room closed (${notification.data.reason})`)
        return this.close()
      case 'recordingStarted':
        return void this.#setRecording(true)
      case 'recordingStopped':
        return void this.#setRecording(false)
      default:
        notification satisfies never
    }
  }

  async #pollStats(): Promise<void> {
    if (this.status() !== 'connected') return
    try {
      const { peers } = await this.#request('getStats', {})
      for (const stats of peers) this.remote.quality(stats.peerId, rateQuality(stats))
    } catch {
      // @NOTE: stats are best effort; the next poll tries again.
    }
  }

  #teardownTransports(): void {
    this.#generation++
    this.#signaling.failPending()
    this.local.detach()
    this.remote.closeConsumers()
    this.#send?.close()
    this.#recv?.close()
    this.#send = null
    this.#recv = null
  }
}

function waitOnline(): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (realtime()?.state() === 'online' ? resolve() : setTimeout(check, 250))
    check()
  })
}
