import { EventEmitter } from 'node:events'
import * as mediasoup from 'mediasoup'
import type { types } from 'mediasoup'
import type { Logger } from '../../server/src/logger'
import { errorFields } from '../../server/src/logger'
import type { MediaConfig } from './config'
import { MediaError } from './errors'

const RESTART_DELAYS_MS = [200, 1000, 5000]
/** A worker that lived this long before dying restarts without backoff. */
const STABLE_AFTER_MS = 60_000

/** One mediasoup Worker per slot; a dead one is replaced in the same slot. */
export interface WorkerSlot {
  readonly index: number
  worker: types.Worker | null
  /** Peers placed on this worker's routers; what "least loaded" compares. */
  peers: number
  routers: number
  consumers: number
}

interface WorkerPoolEvents {
  /** The worker of this slot died; its routers are already closed by mediasoup. */
  died: [slot: WorkerSlot, pid: number]
  replaced: [slot: WorkerSlot]
}

export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly #slots: WorkerSlot[]
  readonly #config: MediaConfig
  readonly #logger: Logger
  #closed = false

  private constructor(count: number, config: MediaConfig, logger: Logger) {
    super()
    this.#slots = Array.from({ length: count }, (_, index) => ({ index, worker: null, peers: 0, routers: 0, consumers: 0 }))
    this.#config = config
    this.#logger = logger
  }

  static async create(config: MediaConfig, logger: Logger): Promise<WorkerPool> {
    const pool = new WorkerPool(config.workers, config, logger)
    await Promise.all(pool.#slots.map((slot) => pool.#spawn(slot)))
    return pool
  }

  get slots(): readonly WorkerSlot[] {
    return this.#slots
  }

  /** The live worker with the fewest peers (then routers); `exclude` keeps a room's spread off a worker it already uses. */
  leastLoaded(exclude: ReadonlySet<WorkerSlot> = new Set()): WorkerSlot {
    const alive = this.#slots.filter((slot) => slot.worker && !slot.worker.closed)
    const candidates = alive.filter((slot) => !exclude.has(slot))
    const pick = (candidates.length ? candidates : alive).sort((a, b) => a.peers - b.peers || a.routers - b.routers || a.index - b.index)[0]
    if (!pick) throw new MediaError('NO_WORKER', 'no mediasoup worker is running (restarting)')
    return pick
  }

  close(): void {
    this.#closed = true
    for (const slot of this.#slots) slot.worker?.close()
  }

  async #spawn(slot: WorkerSlot, attempt = 0): Promise<void> {
    const worker = await mediasoup.createWorker({
      logLevel: 'warn',
      rtcMinPort: this.#config.rtcMinPort,
      rtcMaxPort: this.#config.rtcMaxPort,
    })
    slot.worker = worker
    slot.peers = 0
    slot.routers = 0
    slot.consumers = 0
    const startedAt = Date.now()
    this.#logger.info('spawn() [worker started]', { slot: slot.index, pid: worker.pid, attempt })
    worker.on('died', (error) => {
      if (slot.worker !== worker) return
      slot.worker = null
      this.#logger.error('spawn() [worker died]', { slot: slot.index, pid: worker.pid, ...errorFields(error) })
      this.emit('died', slot, worker.pid)
      if (this.#closed) return
      const next = Date.now() - startedAt > STABLE_AFTER_MS ? 0 : attempt + 1
      setTimeout(() => void this.#respawn(slot, next), RESTART_DELAYS_MS[Math.min(next, RESTART_DELAYS_MS.length - 1)]!)
    })
  }

  async #respawn(slot: WorkerSlot, attempt: number): Promise<void> {
    if (this.#closed) return
    try {
      await this.#spawn(slot, attempt)
      this.emit('replaced', slot)
    } catch (error) {
      this.#logger.error('respawn() [failed]', { slot: slot.index, ...errorFields(error) })
      setTimeout(() => void this.#respawn(slot, attempt + 1), RESTART_DELAYS_MS[Math.min(attempt + 1, RESTART_DELAYS_MS.length - 1)]!)
    }
  }
}
