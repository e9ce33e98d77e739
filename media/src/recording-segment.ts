import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import type { Subprocess } from 'bun'
import type { types } from 'mediasoup'
import type { Logger } from '../../server/src/logger'
import { errorFields } from '../../server/src/logger'
import { MediaError } from './errors'

const STOP_TIMEOUT_MS = 10_000
/** ffmpeg honours a first SIGINT at its next packet; this long without one, it is waiting on silence. */
const SECOND_SIGINT_AFTER_MS = 2000
/**
 * ffmpeg's RTP input gives up after 10 s without any packet (a muted producer): an RTCP receiver report
 * to its RTCP port this often keeps it listening without touching the media.
 */
const KEEPALIVE_MS = 3000
/** ffmpeg needs a VP8 keyframe within its analysis window (8 s) to learn the video size. */
const KEYFRAME_REQUESTS_MS = [300, 1000, 2000, 3500]
/** How long ffmpeg may take to bind its RTP socket before the consumer is resumed anyway. */
const BIND_TIMEOUT_MS = 5000
/** Where ffmpeg listens: below Linux's ephemeral ports (32768+), where no OS-picked port lands. */
const FFMPEG_PORTS = { min: 20000, max: 32000 }

export interface SegmentOptions {
  router: types.Router
  producer: types.Producer
  /** A Matroska file: it holds Opus, VP8 and H264 alike, and the mix transcodes anyway. */
  path: string
  /** The recording's start (Date.now()), from which offsetMs is measured. */
  recordingStartedAt: number
  avoidPorts: { min: number; max: number }
  logger: Logger
}

export interface SegmentResult {
  path: string
  kind: 'audio' | 'video'
  peerId: string
  source: string
  /** When the segment's first packet went to ffmpeg (its time zero), from the recording's start. */
  offsetMs: number
  bytes: number
}

/**
 * One producer of a recording: a consumer on a PlainTransport into its own ffmpeg, which copies the
 * stream (no transcoding) into a Matroska segment. The consumer is resumed only once ffmpeg listens, and
 * the first RTP packet it sends (mediasoup's trace event) sets offsetMs: ffmpeg's time zero for this
 * segment on the recording's clock, however long the producer stays paused or silent before it.
 */
export class SegmentRecorder {
  readonly path: string
  readonly kind: 'audio' | 'video'
  readonly peerId: string
  readonly source: string
  readonly producerId: string
  #offsetMs: number | null = null
  #listeningAt = 0
  readonly #transport: types.PlainTransport
  readonly #consumer: types.Consumer
  readonly #port: number
  readonly #ffmpeg: Subprocess<'ignore', 'ignore', 'pipe'>
  readonly #sdpPath: string
  readonly #logger: Logger
  #keepalive: ReturnType<typeof setInterval> | null = null
  #stopping: Promise<SegmentResult> | null = null

  private constructor(options: SegmentOptions, transport: types.PlainTransport, consumer: types.Consumer, port: number, sdpPath: string, ffmpeg: Subprocess<'ignore', 'ignore', 'pipe'>) {
    this.path = options.path
    this.kind = consumer.kind
    this.peerId = String(options.producer.appData.peerId ?? 'unknown')
    this.source = String(options.producer.appData.source ?? (consumer.kind === 'audio' ? 'mic' : 'camera'))
    this.producerId = options.producer.id
    this.#transport = transport
    this.#consumer = consumer
    this.#port = port
    this.#sdpPath = sdpPath
    this.#ffmpeg = ffmpeg
    this.#logger = options.logger.child({ producerId: options.producer.id })
  }

  static async start(options: SegmentOptions): Promise<SegmentRecorder> {
    const port = await freeEvenPortPair(options.avoidPorts)
    const transport = await options.router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: false, comedia: false })
    try {
      await transport.connect({ ip: '127.0.0.1', port, rtcpPort: port + 1 })
      const consumer = await transport.consume({ producerId: options.producer.id, rtpCapabilities: options.router.rtpCapabilities, paused: true })
      const sdpPath = options.path.replace(/\.mkv$/, '.sdp')
      writeFileSync(sdpPath, sdpFor(consumer, port))
      const ffmpeg = Bun.spawn(
        ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-protocol_whitelist', 'file,udp,rtp', '-analyzeduration', '8000000', '-probesize', '20000000', '-fflags', '+genpts', '-i', sdpPath, '-map', '0', '-c', 'copy', '-f', 'matroska', '-cluster_time_limit', '1000', '-flush_packets', '1', '-y', options.path],
        { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' },
      )
      const segment = new SegmentRecorder(options, transport, consumer, port, sdpPath, ffmpeg)
      await waitForUdpBind(port, ffmpeg)
      segment.#listeningAt = Date.now() - options.recordingStartedAt
      // A video consumer sends nothing before a keyframe, so the first packet is ffmpeg's first frame too.
      consumer.on('trace', (trace) => {
        if (trace.type !== 'rtp' || segment.#offsetMs !== null) return
        segment.#offsetMs = Date.now() - options.recordingStartedAt
        // @NOTE: only the first packet matters; a failure to switch tracing off costs a few events, nothing more.
        consumer.enableTraceEvent([]).catch(() => {})
      })
      await consumer.enableTraceEvent(['rtp'])
      await consumer.resume()
      if (consumer.kind === 'video') for (const delay of KEYFRAME_REQUESTS_MS) setTimeout(() => segment.#requestKeyFrame(), delay)
      await segment.#startKeepalive()
      // The producer is gone (camera off, peer left): this segment is complete.
      consumer.on('producerclose', () => void segment.stop())
      segment.#logger.debug('start() [segment]', { path: options.path, kind: consumer.kind, listeningAt: segment.#listeningAt })
      return segment
    } catch (error) {
      transport.close()
      if (error instanceof MediaError) throw error
      throw new MediaError('RECORDING_FAILED', error instanceof Error ? error.message : String(error))
    }
  }

  get stopped(): boolean {
    return this.#stopping !== null
  }

  /** Idempotent: ffmpeg is interrupted (it finishes the file), then the transport closes. */
  stop(): Promise<SegmentResult> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  async #stop(): Promise<SegmentResult> {
    if (this.#keepalive) clearInterval(this.#keepalive)
    // ffmpeg finishes the file on SIGINT, but looks at the first one only between packets; with no packet
    // coming (producer paused or gone) a second one interrupts its read. (A third would make it quit unfinished.)
    this.#ffmpeg.kill('SIGINT')
    if (!(await this.#exitedWithin(SECOND_SIGINT_AFTER_MS))) this.#ffmpeg.kill('SIGINT')
    if (!(await this.#exitedWithin(STOP_TIMEOUT_MS))) this.#ffmpeg.kill('SIGKILL')
    await this.#ffmpeg.exited
    this.#transport.close()
    const stderr = await new Response(this.#ffmpeg.stderr).text().catch(() => '')
    // ffmpeg exits 255 after finishing the file on SIGINT.
    if (this.#ffmpeg.exitCode !== 0 && this.#ffmpeg.exitCode !== 255) this.#logger.warn('stop() [segment ffmpeg failed]', { exitCode: this.#ffmpeg.exitCode, stderr: stderr.slice(-500) })
    try {
      unlinkSync(this.#sdpPath)
    } catch (error) {
      this.#logger.debug('stop() [sdp cleanup]', errorFields(error))
    }
    let bytes = 0
    try {
      bytes = statSync(this.path).size
    } catch {
      // @NOTE: ffmpeg wrote nothing (no packet, or no keyframe arrived); the mix leaves this segment out.
    }
    const offsetMs = this.#offsetMs ?? this.#listeningAt
    this.#logger.debug('stop() [segment]', { path: this.path, offsetMs, bytes })
    return { path: this.path, kind: this.kind, peerId: this.peerId, source: this.source, offsetMs, bytes }
  }

  async #startKeepalive(): Promise<void> {
    const socket = await Bun.udpSocket({ hostname: '127.0.0.1' })
    // An empty RTCP receiver report (V=2, PT=201, length 1 word, SSRC 1): ffmpeg reads and ignores it.
    const report = Buffer.from([0x80, 201, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01])
    this.#keepalive = setInterval(() => socket.send(report, this.#port + 1, '127.0.0.1'), KEEPALIVE_MS)
    void this.#ffmpeg.exited.then(() => {
      if (this.#keepalive) clearInterval(this.#keepalive)
      socket.close()
    })
  }

  #exitedWithin(ms: number): Promise<boolean> {
    return Promise.race([this.#ffmpeg.exited.then(() => true), Bun.sleep(ms).then(() => false)])
  }

  #requestKeyFrame(): void {
    if (this.#consumer.closed || this.stopped) return
    // @NOTE: the producer may close meanwhile; a missed keyframe request only delays the first frame.
    this.#consumer.requestKeyFrame().catch(() => {})
  }
}

/** An SDP ffmpeg reads: one m-line on the port the PlainTransport sends to. */
function sdpFor(consumer: types.Consumer, port: number): string {
  const codec = consumer.rtpParameters.codecs[0]!
  const name = codec.mimeType.split('/')[1]!
  const lines = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=parley-recording', 'c=IN IP4 127.0.0.1', 't=0 0']
  lines.push(`m=${consumer.kind} ${port} RTP/AVP ${codec.payloadType}`)
  lines.push(`a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${codec.channels && codec.channels > 1 ? `/${codec.channels}` : ''}`)
  const fmtp = Object.entries(codec.parameters ?? {}).map(([key, value]) => `${key}=${value}`).join(';')
  if (fmtp) lines.push(`a=fmtp:${codec.payloadType} ${fmtp}`)
  lines.push('a=recvonly')
  return lines.join('\n') + '\n'
}

/**
 * Waits until ffmpeg has bound its RTP port (read from /proc/net/udp, which never races ffmpeg for the
 * port the way a test bind would); packets sent before that are lost, so the segment's clock starts here.
 */
async function waitForUdpBind(port: number, ffmpeg: Subprocess): Promise<void> {
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`
  const deadline = Date.now() + BIND_TIMEOUT_MS
  while (Date.now() < deadline && ffmpeg.exitCode === null) {
    try {
      if (readFileSync('/proc/net/udp', 'utf8').split('\n').some((line) => line.trim().split(/\s+/)[1]?.endsWith(suffix))) return
    } catch {
      // @NOTE: no /proc (not Linux): a fixed wait stands in for the bind check.
      return void (await Bun.sleep(300))
    }
    await Bun.sleep(20)
  }
}

/**
 * An even UDP port whose successor is free too (ffmpeg takes RTP on port, RTCP on port + 1), below
 * the kernel's ephemeral range and outside mediasoup's RTC range, so neither can take it meanwhile.
 */
async function freeEvenPortPair(avoid: { min: number; max: number }): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = FFMPEG_PORTS.min + 2 * Math.floor((Math.random() * (FFMPEG_PORTS.max - FFMPEG_PORTS.min)) / 2)
    if (port + 1 >= avoid.min && port <= avoid.max) continue
    const sockets = await Promise.allSettled([Bun.udpSocket({ hostname: '127.0.0.1', port }), Bun.udpSocket({ hostname: '127.0.0.1', port: port + 1 })])
    for (const socket of sockets) if (socket.status === 'fulfilled') socket.value.close()
    // A rejected bind means a port is taken; try another pair.
    if (sockets.every((socket) => socket.status === 'fulfilled')) return port
  }
  throw new MediaError('RECORDING_FAILED', 'no free UDP port pair for ffmpeg')
}
