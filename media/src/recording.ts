import { mkdirSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import type { types } from 'mediasoup'
import type { Logger } from '../../server/src/logger'
import { errorFields } from '../../server/src/logger'
import type { ResponseData } from '../../server/src/contracts/signaling'
import type { MediaConfig } from './config'
import { MediaError } from './errors'
import { SegmentRecorder, type SegmentResult } from './recording-segment'
import { mixArguments, probeDurationMs, runMix, type ProbedSegment } from './recording-mix'

/** Segments per recording (each is one ffmpeg process while the call runs). */
const MAX_SEGMENTS = 32

export type RecordingResult = ResponseData<'stopRecording'>

export interface RecordingOptions {
  roomId: string
  /** The router every recorded producer is on (the room pipes them there first). */
  router: types.Router
  config: MediaConfig
  logger: Logger
}

/**
 * A room's recording: every producer, present at the start or appearing later (someone joins, turns the
 * camera on, shares the screen), gets its own segment recorder (PlainTransport → ffmpeg copying into a
 * Matroska file) with its offset on the recording's clock. stop() finishes the segments; `finished` then
 * mixes them in one ffmpeg pass into DATA_DIR/recordings/<roomId>-<recordingId>.webm (recording-mix.ts).
 */
export class Recording {
  readonly id: string
  readonly path: string
  readonly #options: RecordingOptions
  readonly #logger: Logger
  readonly #startedAt = Date.now()
  readonly #segments: SegmentRecorder[] = []
  readonly #recorded = new Set<string>()
  /** Segments start one after another: each picks a free port pair, and two picking at once could collide. */
  #queue: Promise<unknown> = Promise.resolve()
  #stopping: Promise<RecordingResult> | null = null
  #finished: Promise<RecordingResult> | null = null
  #durationMs = 0
  #results: SegmentResult[] = []

  private constructor(options: RecordingOptions) {
    this.id = randomUUID()
    this.path = join(options.config.recordingsDir, `${options.roomId}-${this.id}.webm`)
    this.#options = options
    this.#logger = options.logger.child({ recordingId: this.id })
  }

  /** A recording with no segment yet; add() the producers. */
  static create(options: RecordingOptions): Recording {
    mkdirSync(options.config.recordingsDir, { recursive: true })
    const recording = new Recording(options)
    recording.#logger.info('create() [recording]', { path: recording.path })
    return recording
  }

  get stopped(): boolean {
    return this.#stopping !== null
  }

  get segmentCount(): number {
    return this.#segments.length
  }

  /** Starts recording a producer (once per producer); refused with RECORDING_FAILED when that fails. */
  add(producer: types.Producer): Promise<void> {
    const run = this.#queue.then(() => this.#add(producer))
    // @NOTE: the queue only orders the starts; each caller sees its own failure through `run`.
    this.#queue = run.catch(() => {})
    return run
  }

  async #add(producer: types.Producer): Promise<void> {
    if (this.stopped || producer.closed || this.#recorded.has(producer.id)) return
    if (this.#segments.length >= MAX_SEGMENTS) {
      this.#logger.warn('add() [segment limit reached, producer not recorded]', { producerId: producer.id })
      return
    }
    this.#recorded.add(producer.id)
    const { config, router, logger } = this.#options
    const segment = await SegmentRecorder.start({
      router,
      producer,
      path: this.path.replace(/\.webm$/, `.seg${this.#segments.length}.mkv`),
      recordingStartedAt: this.#startedAt,
      avoidPorts: { min: config.rtcMinPort, max: config.rtcMaxPort },
      logger,
    })
    this.#segments.push(segment)
    // A stop that ran while this segment was starting must not leave its ffmpeg behind.
    if (this.stopped) void segment.stop()
  }

  /** Idempotent: finishes every segment; resolves with the segments' bytes. The mixed file follows in `finished`. */
  stop(): Promise<RecordingResult> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  /** After stop(): resolves once the mixed file is written (bytes 0 when nothing could be recorded). */
  get finished(): Promise<RecordingResult> {
    this.#finished ??= this.stop().then(() => this.#mix())
    return this.#finished
  }

  async #stop(): Promise<RecordingResult> {
    this.#durationMs = Date.now() - this.#startedAt
    // @NOTE: a segment that failed to start already said so to its caller; the others are what we stop.
    await this.#queue.catch(() => {})
    this.#results = await Promise.all(this.#segments.map((segment) => segment.stop()))
    const bytes = this.#results.reduce((sum, result) => sum + result.bytes, 0)
    return { recordingId: this.id, path: this.path, bytes, durationMs: this.#durationMs }
  }

  async #mix(): Promise<RecordingResult> {
    const probed: ProbedSegment[] = []
    for (const result of this.#results) {
      const durationMs = result.bytes > 0 ? await probeDurationMs(result.path) : null
      if (durationMs === null) this.#logger.warn('mix() [segment left out: nothing decodable]', { path: result.path, kind: result.kind, bytes: result.bytes })
      else probed.push({ ...result, durationMs })
    }
    // The file starts with the first packet of any segment: setting up the first segments takes a moment.
    const startMs = probed.length ? Math.min(...probed.map((segment) => segment.offsetMs)) : 0
    const durationMs = Math.max(0, this.#durationMs - startMs)
    const shifted = probed.map((segment) => ({ ...segment, offsetMs: segment.offsetMs - startMs }))
    let bytes = 0
    if (probed.length) {
      const ok = await runMix(mixArguments(shifted, durationMs, this.path), durationMs, this.#logger)
      try {
        bytes = ok ? statSync(this.path).size : 0
      } catch (error) {
        this.#logger.warn('mix() [no output]', errorFields(error))
      }
    }
    // A failed mix keeps its segments for a person to mix by hand (logged with their paths).
    if (bytes || !probed.length) for (const result of this.#results) rmSync(result.path, { force: true })
    else this.#logger.error('mix() [mix failed, segments kept]', { segments: probed.map((segment) => ({ path: segment.path, offsetMs: segment.offsetMs })) })
    if (!bytes) rmSync(this.path, { force: true })
    this.#logger.info('mix() [recording written]', { path: this.path, bytes, segments: probed.length, durationMs })
    return { recordingId: this.id, path: this.path, bytes, durationMs }
  }
}

/** Starts a recording of `producers`; refused when there is nothing to record and waiting was not asked for. */
export async function startRecording(options: RecordingOptions, producers: types.Producer[], waitForMedia: boolean): Promise<Recording> {
  const live = producers.filter((producer) => !producer.closed)
  if (!live.length && !waitForMedia) throw new MediaError('RECORDING_FAILED', 'nothing to record yet: nobody sends media')
  const recording = Recording.create(options)
  const results = await Promise.allSettled(live.map((producer) => recording.add(producer)))
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')
  if (live.length && failed && recording.segmentCount === 0) {
    await recording.finished
    throw failed.reason instanceof MediaError ? failed.reason : new MediaError('RECORDING_FAILED', String(failed.reason))
  }
  return recording
}
