import { join } from 'node:path'
import type { MediaNotificationFrame, RequestData } from '../../server/src/contracts/signaling'
import { mintMediaToken } from '../../media/src/auth'
import { MediaLink } from '../../media/src/link'
import { ffmpegCommand, ffmpegRtpParameters, rtpReceiver } from '../../media/src/test-kit'
import { freePort, startProcess, stopProcess, tempFolder, waitForHttp, type Started } from './processes'

const SECRET = 'bench-media-secret-0123456789'
const SINKS = 8
const ROOM = 'bench'

export type Sink = Awaited<ReturnType<typeof rtpReceiver>>

export interface RigOptions {
  root: string
  workers: number
  /** Consumer peers; each consumes the audio and the video producer. */
  peers: number
  /** Peers set up concurrently; the next batch starts once this one's consumers are resumed. */
  batch: number
  /** Every n-th peer sends to a counting socket, the others to the drain. */
  sampleEvery: number
  drainPorts: readonly number[]
  requestTimeoutMs: number
  /** Counting the first consumer peer alone for this long, before the others join: the feeders' unloaded rate. */
  calibrateSeconds: number
}

/** What the ladder failed on while setting up a step: the step is saturated, the run goes on. */
export class SetupError extends Error {
  override name = 'SetupError'
  constructor(readonly consumers: number, reason: string) {
    super(reason)
  }
}

export interface Rig {
  workerPids: number[]
  mediaPid: number
  feederPids: number[]
  /** The worker's RTP ports the feeders send to: kernel drops there are input lost before forwarding. */
  producerPorts: number[]
  /** Counted consumers' SSRC → the kind they forward. */
  sampled: Map<number, 'audio' | 'video'>
  sinks: Sink[]
  /** Packets/s per kind the first consumer got while it was alone: what the feeders send. */
  feederPps: Record<'audio' | 'video', number>
  /** Consumers per worker as media counts them (its /status). */
  consumersPerWorker(): Promise<number[]>
  setupSeconds: number
  close(): Promise<void>
}

/**
 * A fresh media process with one room: a producer peer fed by ffmpeg (Opus + VP8 over comedia
 * PlainTransports) and `peers` consumer peers on recv PlainTransports. With 2 workers the room spreads
 * the way the product does for big rooms: MEDIA_MAX_PEERS_PER_ROUTER is half the peers, so the second
 * half lands on a router on the other worker and the producers are piped there with pipeToRouter.
 */
export async function startRig(options: RigOptions): Promise<Rig> {
  const port = await freePort()
  const perRouter = options.workers === 1 ? 10_000 : Math.ceil((options.peers + 1) / options.workers)
  const media = startProcess([process.execPath, join(options.root, 'media/src/index.ts')], {
    cwd: options.root,
    env: {
      PATH: process.env.PATH ?? '',
      MEDIA_PORT: String(port),
      MEDIA_SECRET: SECRET,
      MEDIA_WORKERS: String(options.workers),
      MEDIA_MAX_PEERS_PER_ROUTER: String(perRouter),
      // Its own port range, away from the 40000s other media processes on this machine use.
      MEDIA_RTC_MIN_PORT: '50000',
      MEDIA_RTC_MAX_PORT: '59999',
      MEDIA_PEER_TIMEOUT_MS: '3600000',
      DATA_DIR: tempFolder('parley-bench-media-'),
      LOG_LEVEL: 'warn',
    },
  })
  const feeders: Started[] = []
  const sinks: Sink[] = []
  let link: MediaLink | null = null
  const close = async () => {
    link?.close()
    for (const sink of sinks) sink.close()
    await Promise.all([...feeders.map((feeder) => stopProcess(feeder.child)), stopProcess(media.child, 10_000)])
  }
  try {
    await waitForHttp(`http://127.0.0.1:${port}/health`, media)
    link = await MediaLink.connect({ url: `ws://127.0.0.1:${port}`, secret: SECRET, requestTimeoutMs: options.requestTimeoutMs })
    const status = async () => (await (await fetch(`http://127.0.0.1:${port}/status`, { headers: { authorization: `Bearer ${mintMediaToken(SECRET)}` } })).json()) as { workers: Array<{ pid: number; consumers: number }> }
    sinks.push(...(await Promise.all(Array.from({ length: SINKS }, () => rtpReceiver()))))
    const rtpCapabilities = (await link.request(ROOM, undefined, 'createRoom', {})).rtpCapabilities as RequestData<'join'>['rtpCapabilities']
    const producerPorts: number[] = []
    await link.request(ROOM, 'producer', 'join', { displayName: 'producer', rtpCapabilities, device: { name: 'bench' } })
    for (const kind of ['audio', 'video'] as const) {
      const transport = await link.request(ROOM, 'producer', 'createPlainTransport', { direction: 'send', comedia: true, rtcpMux: false })
      await link.request(ROOM, 'producer', 'produce', { transportId: transport.transportId, kind, rtpParameters: ffmpegRtpParameters(kind), appData: { source: kind === 'audio' ? 'mic' : 'camera' } })
      producerPorts.push(transport.port)
      feeders.push(startProcess(ffmpegCommand(kind, transport)))
    }
    const probe = await addConsumers(link, options, rtpCapabilities, sinks, 0, 1)
    const feederPps = await calibrate(sinks, probe.sampled, options.calibrateSeconds)
    const setup = await addConsumers(link, options, rtpCapabilities, sinks, 1, options.peers)
    for (const [ssrc, kind] of probe.sampled) setup.sampled.set(ssrc, kind)
    return {
      workerPids: (await status()).workers.map((worker) => worker.pid),
      mediaPid: media.child.pid,
      feederPids: feeders.map((feeder) => feeder.child.pid),
      producerPorts,
      sampled: setup.sampled,
      sinks,
      feederPps,
      consumersPerWorker: async () => (await status()).workers.map((worker) => worker.consumers),
      setupSeconds: setup.seconds,
      close,
    }
  } catch (error) {
    // The media log's last error message (JSON lines), e.g. mediasoup's "Channel request timeout".
    const said = [...media.stderrTail().matchAll(/"message":"([^"]+)"/g)].at(-1)?.[1]
    await close()
    if (error instanceof SetupError) throw new SetupError(error.consumers, `${error.message}${said ? ` (media logged: ${said})` : ''}`)
    throw error
  }
}

/**
 * Consumer peers in bounded batches: a batch's peers set up concurrently (join, recv transport,
 * connect), and the next batch waits until every consumer of this one is resumed, so at most
 * `batch` peers' requests are ever queued at the workers. A request that fails is a SetupError.
 */
async function addConsumers(link: MediaLink, options: RigOptions, rtpCapabilities: RequestData<'join'>['rtpCapabilities'], sinks: Sink[], from: number, to: number): Promise<{ sampled: Map<number, 'audio' | 'video'>; seconds: number }> {
  const sampled = new Map<number, 'audio' | 'video'>()
  const sampledPeers = new Set<string>()
  const resumes: Array<Promise<unknown>> = []
  let offered = 0
  let firstFailure: string | null = null
  const onNotification = (frame: MediaNotificationFrame) => {
    if (frame.notification.name !== 'newConsumer' || !frame.peerId) return
    const offer = frame.notification.data
    offered++
    const ssrc = (offer.rtpParameters.encodings?.[0] as { ssrc?: number } | undefined)?.ssrc
    if (ssrc && sampledPeers.has(frame.peerId)) sampled.set(ssrc, offer.kind)
    resumes.push(link.request(frame.roomId, frame.peerId, 'resumeConsumer', { consumerId: offer.consumerId }).catch((error: unknown) => {
      firstFailure ??= `resumeConsumer: ${error instanceof Error ? error.message : String(error)}`
    }))
  }
  link.on('notification', onNotification)
  const started = performance.now()
  try {
    for (let first = from; first < to; first += options.batch) {
      const indexes = Array.from({ length: Math.min(options.batch, to - first) }, (_, offset) => first + offset)
      const results = await Promise.allSettled(indexes.map(async (index) => {
        const peerId = `c${index}`
        const counted = index % options.sampleEvery === 0
        if (counted) sampledPeers.add(peerId)
        const target = counted ? sinks[(index / options.sampleEvery) % sinks.length]!.port : options.drainPorts[index % options.drainPorts.length]!
        await link.request(ROOM, peerId, 'join', { displayName: peerId, rtpCapabilities, device: { name: 'bench' } })
        const transport = await link.request(ROOM, peerId, 'createPlainTransport', { direction: 'recv', comedia: false })
        await link.request(ROOM, peerId, 'connectPlainTransport', { transportId: transport.transportId, ip: '127.0.0.1', port: target })
      }))
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')
      if (failed) throw new SetupError(first * 2, `join/transport: ${failed.reason instanceof Error ? failed.reason.message : String(failed.reason)}`)
      // The newConsumer offers follow each recv transport; wait for them, then for their resumes.
      const expected = (first - from + indexes.length) * 2
      const deadline = Date.now() + options.requestTimeoutMs
      while (offered < expected && Date.now() < deadline) await Bun.sleep(5)
      if (offered < expected) throw new SetupError(offered, `only ${offered} of ${expected} consumers offered within ${options.requestTimeoutMs} ms`)
      await Promise.all(resumes.splice(0))
      if (firstFailure) throw new SetupError(offered, firstFailure)
    }
  } finally {
    link.off('notification', onNotification)
  }
  return { sampled, seconds: (performance.now() - started) / 1000 }
}

/** One second for the first keyframe to arrive, then the probe's packets per second per kind. */
async function calibrate(sinks: Sink[], probe: Map<number, 'audio' | 'video'>, seconds: number): Promise<Record<'audio' | 'video', number>> {
  const count = () => {
    const totals = { audio: 0, video: 0 }
    for (const sink of sinks) for (const [ssrc, packets] of sink.bySsrc()) {
      const kind = probe.get(ssrc)
      if (kind) totals[kind] += packets
    }
    return totals
  }
  await Bun.sleep(1000)
  const before = count()
  const started = performance.now()
  await Bun.sleep(seconds * 1000)
  const after = count()
  const elapsed = (performance.now() - started) / 1000
  return { audio: (after.audio - before.audio) / elapsed, video: (after.video - before.video) / elapsed }
}
