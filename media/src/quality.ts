import type { types } from 'mediasoup'
import type { Logger } from '../../server/src/logger'
import { errorFields } from '../../server/src/logger'

export type QualityStep = '720p' | '360p' | '180p' | 'audio-only'
export const LADDER: readonly QualityStep[] = ['720p', '360p', '180p', 'audio-only']

/** Bandwidth a step needs toward this receiver (the video of a few tiles plus audio). */
const MIN_BITRATE: Record<QualityStep, number> = { '720p': 1_200_000, '360p': 450_000, '180p': 150_000, 'audio-only': 0 }
/** Highest simulcast layer a step allows (3 layers: 180p, 360p, 720p); null = video paused. */
const STEP_LAYER: Record<QualityStep, number | null> = { '720p': 2, '360p': 1, '180p': 0, 'audio-only': null }

export interface QualitySample {
  /** The recv transport's available outgoing bitrate (bps), null when unknown (no estimate yet). */
  availableBitrate: number | null
  /** The lowest consumer score toward this receiver (0..10), null without consumers. */
  score: number | null
}

export interface LadderOptions {
  /** Consecutive bad samples before stepping down (a single dip is ignored). */
  downAfter: number
  /** Consecutive good samples before stepping up one step: recovery must be sustained. */
  upAfter: number
  /** Going up needs this much more bandwidth than the step's minimum, so a receiver at the edge stays put. */
  upMargin: number
}

const DEFAULT_LADDER: LadderOptions = { downAfter: 2, upAfter: 5, upMargin: 1.3 }

/**
 * One receiver's step on the degradation ladder. Down as far as needed after `downAfter` bad samples,
 * up one step at a time after `upAfter` good ones with a margin: the gap between the two thresholds
 * and the streaks is the hysteresis that keeps a receiver from flapping.
 */
export class DegradationLadder {
  #step: QualityStep = '720p'
  #downStreak = 0
  #upStreak = 0
  readonly #options: LadderOptions

  constructor(options: Partial<LadderOptions> = {}) {
    this.#options = { ...DEFAULT_LADDER, ...options }
  }

  get step(): QualityStep {
    return this.#step
  }

  /** Feeds one sample; answers the new step when it changed, else null. */
  update(sample: QualitySample): QualityStep | null {
    const current = LADDER.indexOf(this.#step)
    const down = Math.max(stepFor(sample.availableBitrate, 1), sample.score !== null && sample.score < 5 ? current + 1 : 0)
    const up = sample.score !== null && sample.score < 8 ? current : stepFor(sample.availableBitrate, this.#options.upMargin)
    if (down > current) {
      this.#upStreak = 0
      if (++this.#downStreak < this.#options.downAfter) return null
      return this.#move(Math.min(down, LADDER.length - 1))
    }
    this.#downStreak = 0
    if (up < current) {
      if (++this.#upStreak < this.#options.upAfter) return null
      return this.#move(current - 1)
    }
    this.#upStreak = 0
    return null
  }

  #move(index: number): QualityStep {
    this.#step = LADDER[index]!
    this.#downStreak = 0
    this.#upStreak = 0
    return this.#step
  }
}

/** The best step index the bitrate allows; unknown bitrate allows the top (no estimate is no evidence). */
function stepFor(bitrate: number | null, margin: number): number {
  if (bitrate === null) return 0
  const index = LADDER.findIndex((step) => bitrate >= MIN_BITRATE[step] * margin)
  return index === -1 ? LADDER.length - 1 : index
}

/** The simulcast layer a tile needs: its height, or the height its width implies at 16:9. */
export function layerForTile(width: number, height: number): number {
  const needed = Math.max(height, (width * 9) / 16)
  if (needed <= 200) return 0
  if (needed <= 400) return 1
  return 2
}

interface ConsumerState {
  consumer: types.Consumer
  /** The client resumed it (its track is wired up). */
  ready: boolean
  visible: boolean
  width: number | null
  height: number | null
  layer: number | null
}

/**
 * Everything a receiving peer sees: per-consumer pause and layer from its tile and from its ladder
 * step. A consumer plays only when the client is ready, its tile is visible and the step allows video.
 */
export class ReceiverQuality {
  readonly ladder: DegradationLadder
  readonly #consumers = new Map<string, ConsumerState>()
  readonly #logger: Logger

  constructor(logger: Logger, options: Partial<LadderOptions> = {}) {
    this.ladder = new DegradationLadder(options)
    this.#logger = logger
  }

  add(consumer: types.Consumer): void {
    this.#consumers.set(consumer.id, { consumer, ready: false, visible: true, width: null, height: null, layer: null })
    consumer.observer.once('close', () => this.#consumers.delete(consumer.id))
  }

  async setReady(consumerId: string): Promise<void> {
    const state = this.#consumers.get(consumerId)
    if (!state) return
    state.ready = true
    await this.#apply(state)
  }

  async setPreferences(consumerId: string, width: number, height: number, visible: boolean): Promise<void> {
    const state = this.#consumers.get(consumerId)
    if (!state) return
    Object.assign(state, { width, height, visible })
    await this.#apply(state)
  }

  /** The lowest score among this receiver's playing consumers. */
  lowestScore(): number | null {
    let lowest: number | null = null
    for (const { consumer } of this.#consumers.values()) {
      if (consumer.paused || consumer.producerPaused) continue
      lowest = lowest === null ? consumer.score.score : Math.min(lowest, consumer.score.score)
    }
    return lowest
  }

  /** Feeds a sample to the ladder; on a step change re-applies every consumer and answers the change. */
  async sample(sample: QualitySample): Promise<{ step: QualityStep; previous: QualityStep } | null> {
    const previous = this.ladder.step
    const step = this.ladder.update(sample)
    if (!step) return null
    await Promise.all([...this.#consumers.values()].map((state) => this.#apply(state)))
    return { step, previous }
  }

  async #apply(state: ConsumerState): Promise<void> {
    const { consumer } = state
    if (consumer.closed) return
    const stepLayer = STEP_LAYER[this.ladder.step]
    const video = consumer.kind === 'video'
    const paused = !state.ready || (video && (!state.visible || stepLayer === null))
    try {
      if (paused && !consumer.paused) await consumer.pause()
      if (!paused && consumer.paused) {
        await consumer.resume()
        if (video) await consumer.requestKeyFrame()
      }
      if (paused || !video || consumer.type === 'simple' || stepLayer === null) return
      const tileLayer = state.width === null || state.height === null ? 2 : layerForTile(state.width, state.height)
      const layer = Math.min(tileLayer, stepLayer)
      if (layer === state.layer) return
      state.layer = layer
      await consumer.setPreferredLayers({ spatialLayer: layer, temporalLayer: 2 })
    } catch (error) {
      // @NOTE: the consumer closed meanwhile (producer or transport gone); nothing left to apply.
      if (!consumer.closed) this.#logger.warn('apply() [consumer update failed]', { consumerId: consumer.id, ...errorFields(error) })
    }
  }
}
