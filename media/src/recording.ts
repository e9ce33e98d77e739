import { mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import type { Subprocess } from 'bun'
import type { types } from 'mediasoup'
import type { Logger } from '../../server/src/logger'
import { errorFields } from '../../server/src/logger'
import type { ResponseData } from '../../server/src/contracts/signaling'
import type { MediaConfig } from './config'
import { MediaError } from './errors'

const MAX_TRACKS = 8
const STOP_TIMEOUT_MS = 10_000
/** ffmpeg honours a first SIGINT at its next packet; this long without one, it is waiting on silence. */
const SECOND_SIGINT_AFTER_MS = 2000
/**
 * ffmpeg's RTP input gives up after 10 s without any packet (everyone muted): an RTCP receiver report
 * to each RTCP port this often keeps it listening without touching the media.
 */
const KEEPALIVE_MS = 3000
/**
 * ffmpeg binds its sockets a moment after start and needs a VP8 keyframe within its analysis window
 * (8 s here) to learn the video size; without one it cannot write the file and exits (onFailed).
 */
const KEYFRAME_REQUESTS_MS = [300, 1000, 2000, 3500]
/** Where ffmpeg listens: below Linux's ephemeral ports (32768+), where no OS-picked port lands. */
const FFMPEG_PORTS = { min: 20000, max: 32000 }

export interface RecordingOptions {
  roomId: string
  /** The router every recorded producer is on (the room pipes them there first). */
  router: types.Router
  producers: types.Producer[]
  config: MediaConfig
  logger: Logger
  /** ffmpeg ended without stop() (it could not start the file, or crashed): the recording is over. */
  onFailed: (result: ResponseData<'stopRecording'>) => void
}

interface Track {
  transport: types.PlainTransport
  consumer: types.Consumer
  port: number
}

/**
 * A room's producers, each through a PlainTransport into one ffmpeg that copies them (no transcoding)
 * into DATA_DIR/recordings/<roomId>-<recordingId>.webm. Producers that appear later are not added.
 */
export class Recording {
  readonly id: string
  readonly path: string
  readonly #tracks: Track[]
  readonly #ffmpeg: Subprocess<'ignore', 'ignore', 'pipe'>
  readonly #sdpPath: string
  readonly #startedAt = Date.now()
  #keepalive: ReturnType<typeof setInterval> | null = null
  readonly #logger: Logger
  #stopping: Promise<ResponseData<'stopRecording'>> | null = null

  private constructor(id: string, path: string, sdpPath: string, tracks: Track[], ffmpeg: Subprocess<'ignore', 'ignore', 'pipe'>, logger: Logger) {
    this.id = id
    this.path = path
    this.#sdpPath = sdpPath
    this.#tracks = tracks
    this.#ffmpeg = ffmpeg
    this.#logger = logger.child({ recordingId: id })
  }

  static async start(options: RecordingOptions): Promise<Recording> {
    const producers = options.producers.filter((producer) => !producer.closed).slice(0, MAX_TRACKS)
    if (!producers.length) throw new MediaError('RECORDING_FAILED', 'nothing to record yet: nobody sends media')
    const id = randomUUID()
    mkdirSync(options.config.recordingsDir, { recursive: true })
    const path = join(options.config.recordingsDir, `${options.roomId}-${id}.webm`)
    const sdpPath = join(options.config.recordingsDir, `${options.roomId}-${id}.sdp`)
    const tracks: Track[] = []
    try {
      for (const producer of producers) {
        const port = await freeEvenPortPair({ min: options.config.rtcMinPort, max: options.config.rtcMaxPort })
        const transport = await options.router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: false, comedia: false })
        await transport.connect({ ip: '127.0.0.1', port, rtcpPort: port + 1 })
        const consumer = await transport.consume({ producerId: producer.id, rtpCapabilities: options.router.rtpCapabilities, paused: true })
        tracks.push({ transport, consumer, port })
      }
      writeFileSync(sdpPath, sdpFor(tracks))
      const ffmpeg = Bun.spawn(
        ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-protocol_whitelist', 'file,udp,rtp', '-analyzeduration', '8000000', '-probesize', '20000000', '-fflags', '+genpts', '-i', sdpPath, '-map', '0', '-c', 'copy', '-cluster_time_limit', '1000', '-flush_packets', '1', '-y', path],
        { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' },
      )
      const recording = new Recording(id, path, sdpPath, tracks, ffmpeg, options.logger)
      await Promise.all(tracks.map(({ consumer }) => consumer.resume()))
      for (const delay of KEYFRAME_REQUESTS_MS) setTimeout(() => recording.#requestKeyFrames(), delay)
      await recording.#startKeepalive()
      void ffmpeg.exited.then(() => {
        if (recording.stopped) return
        void recording.stop().then(options.onFailed)
      })
      recording.#logger.info('start() [recording]', { path, tracks: tracks.length })
      return recording
    } catch (error) {
      for (const { transport } of tracks) transport.close()
      if (error instanceof MediaError) throw error
      throw new MediaError('RECORDING_FAILED', error instanceof Error ? error.message : String(error))
    }
  }

  get stopped(): boolean {
    return this.#stopping !== null
  }

  /** Idempotent: ffmpeg is interrupted (it finishes the file), then the transports close. */
  stop(): Promise<ResponseData<'stopRecording'>> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  async #stop(): Promise<ResponseData<'stopRecording'>> {
    const durationMs = Date.now() - this.#startedAt
    if (this.#keepalive) clearInterval(this.#keepalive)
    // ffmpeg finishes the file on SIGINT, but looks at the first one only between packets; with no packet
    // coming (producers gone or paused) a second one interrupts its read. (A third would make it quit unfinished.)
    this.#ffmpeg.kill('SIGINT')
    if (!(await this.#exitedWithin(SECOND_SIGINT_AFTER_MS))) this.#ffmpeg.kill('SIGINT')
    if (!(await this.#exitedWithin(STOP_TIMEOUT_MS))) this.#ffmpeg.kill('SIGKILL')
    await this.#ffmpeg.exited
    for (const { transport } of this.#tracks) transport.close()
    const stderr = await new Response(this.#ffmpeg.stderr).text().catch(() => '')
    // ffmpeg exits 255 after finishing the file on SIGINT.
    if (this.#ffmpeg.exitCode !== 0 && this.#ffmpeg.exitCode !== 255) this.#logger.warn('stop() [ffmpeg failed]', { exitCode: this.#ffmpeg.exitCode, stderr: stderr.slice(-500) })
    try {
      unlinkSync(this.#sdpPath)
    } catch (error) {
      this.#logger.debug('stop() [sdp cleanup]', errorFields(error))
    }
    let bytes = 0
    try {
      bytes = statSync(this.path).size
    } catch {
      // @NOTE: ffmpeg wrote nothing (no packet arrived); bytes stays 0 and the caller reports a failure.
    }
    this.#logger.info('stop() [recording stopped]', { path: this.path, bytes, durationMs })
    return { recordingId: this.id, path: this.path, bytes, durationMs }
  }

  async #startKeepalive(): Promise<void> {
    const socket = await Bun.udpSocket({ hostname: '127.0.0.1' })
    // An empty RTCP receiver report (V=2, PT=201, length 1 word, SSRC 1): ffmpeg reads and ignores it.
    const report = Buffer.from([0x80, 201, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01])
    this.#keepalive = setInterval(() => {
      for (const { port } of this.#tracks) socket.send(report, port + 1, '127.0.0.1')
    }, KEEPALIVE_MS)
    void this.#ffmpeg.exited.then(() => {
      if (this.#keepalive) clearInterval(this.#keepalive)
      socket.close()
    })
  }

  #exitedWithin(ms: number): Promise<boolean> {
    return Promise.race([this.#ffmpeg.exited.then(() => true), Bun.sleep(ms).then(() => false)])
  }

  #requestKeyFrames(): void {
    for (const { consumer } of this.#tracks) {
      if (consumer.kind !== 'video' || consumer.closed) continue
      // @NOTE: the producer may close meanwhile; a missed keyframe request only delays the first frame.
      consumer.requestKeyFrame().catch(() => {})
    }
  }
}

/** An SDP ffmpeg reads: one m-line per consumer, on the port its PlainTransport sends to. */
function sdpFor(tracks: Track[]): string {
  const lines = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=parley-recording', 'c=IN IP4 127.0.0.1', 't=0 0']
  for (const { consumer, port } of tracks) {
    const codec = consumer.rtpParameters.codecs[0]!
    const name = codec.mimeType.split('/')[1]!
    lines.push(`m=${consumer.kind} ${port} RTP/AVP ${codec.payloadType}`)
    lines.push(`a=rtpmap:${codec.payloadType} ${name}/${codec.clockRate}${codec.channels && codec.channels > 1 ? `/${codec.channels}` : ''}`)
    const fmtp = Object.entries(codec.parameters ?? {}).map(([key, value]) => `${key}=${value}`).join(';')
    if (fmtp) lines.push(`a=fmtp:${codec.payloadType} ${fmtp}`)
    lines.push('a=recvonly')
  }
  return lines.join('\n') + '\n'
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
