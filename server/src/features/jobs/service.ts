import { Queue, type Job } from 'bullmq'
import Redis from 'ioredis'
import type { Config } from '../../config'
import type { QueueName } from '../../contracts/jobs'
import { ServiceUnavailableError } from '../../errors'
import { errorFields, type Logger } from '../../logger'
import { jobOptions } from './policy'
import { readJobStats, type QueueStats } from './stats'

const READY_TIMEOUT_MS = 2000
const WORKERS_CACHE_MS = 5000

export interface EnqueueOptions {
  /** Same id twice is one job (BullMQ dedupes on jobId): the way producers stay idempotent. */
  jobId?: string
  delayMs?: number
}

function unavailable(cause?: unknown): ServiceUnavailableError {
  return new ServiceUnavailableError('Background jobs are unavailable right now (the queue store cannot be reached); try again shortly', { code: 'JOBS_UNAVAILABLE', cause })
}

/**
 * The API's producer side of every queue: features call `enqueue` and get a job id or a 503
 * JOBS_UNAVAILABLE, never a hang. Queues connect on first use, over one Redis connection.
 */
export class JobService {
  #redis: Redis | null = null
  #queues = new Map<QueueName, Queue>()
  #workers = new Map<QueueName, { at: number; count: number }>()
  readonly prefix: string

  constructor(private config: Config, private log: Logger) {
    this.prefix = `${config.redisPrefix}bull`
  }

  /** False without REDIS_URL: there is no queue at all, and callers pick their in-process path. */
  get configured(): boolean {
    return this.config.redisUrl !== null
  }

  queue(name: QueueName): Queue {
    if (!this.config.redisUrl) throw unavailable()
    let queue = this.#queues.get(name)
    if (!queue) {
      if (!this.#redis) {
        // Fail fast while Redis is away: an enqueue answers 503 rather than waiting in an offline queue.
        this.#redis = new Redis(this.config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: READY_TIMEOUT_MS, connectionName: 'parley-jobs' })
        let lastError = ''
        this.#redis.on('error', (error) => {
          if (error.message !== lastError) this.log.warn('jobs() [redis error]', errorFields(error))
          lastError = error.message
        })
        this.#redis.on('ready', () => (lastError = ''))
      }
      queue = new Queue(name, { connection: this.#redis, prefix: this.prefix })
      queue.on('error', (error) => this.log.warn('jobs() [queue error]', { queue: name, ...errorFields(error) }))
      this.#queues.set(name, queue)
    }
    return queue
  }

  async enqueue<T extends object>(queue: QueueName, name: string, data: T, options: EnqueueOptions = {}): Promise<string> {
    const target = this.queue(queue)
    try {
      await this.#ready(target)
      const job = await target.add(name, data, { ...jobOptions(queue), ...(options.jobId ? { jobId: options.jobId } : {}), ...(options.delayMs ? { delay: options.delayMs } : {}) })
      return job.id!
    } catch (error) {
      this.log.warn('enqueue() [failed]', { queue, name, ...errorFields(error) })
      throw unavailable(error)
    }
  }

  /**
   * Enqueues the job of a row just written for it. Not queued means not accepted: when the queue
   * refuses (503), `undo` removes the row, so nothing is left behind that would never run.
   */
  async enqueueOrUndo<T extends object>(queue: QueueName, name: string, data: T, options: EnqueueOptions, undo: () => void): Promise<string> {
    try {
      return await this.enqueue(queue, name, data, options)
    } catch (error) {
      undo()
      throw error
    }
  }

  async getJob(queue: QueueName, jobId: string): Promise<Job | undefined> {
    const target = this.queue(queue)
    try {
      await this.#ready(target)
      return await target.getJob(jobId)
    } catch (error) {
      throw unavailable(error)
    }
  }

  /** Whether some worker process consumes `queue` now (cached briefly; false when Redis is away). */
  async hasWorkers(queue: QueueName): Promise<boolean> {
    const cached = this.#workers.get(queue)
    if (cached && Date.now() - cached.at < WORKERS_CACHE_MS) return cached.count > 0
    let count = 0
    try {
      const target = this.queue(queue)
      await this.#ready(target)
      count = await target.getWorkersCount()
    } catch (error) {
      this.log.debug('hasWorkers() [unknown; assuming none]', { queue, ...errorFields(error) })
    }
    this.#workers.set(queue, { at: Date.now(), count })
    return count > 0
  }

  /** Job counts per state, for /metrics. */
  async counts(queue: QueueName): Promise<Record<string, number>> {
    const target = this.queue(queue)
    await this.#ready(target)
    return target.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized')
  }

  /** Attempt durations and outcomes the workers recorded (stats.ts), for /metrics. */
  async stats(): Promise<Map<string, QueueStats>> {
    await this.#ready(this.queue('scheduled'))
    return readJobStats(this.#redis!, this.config.redisPrefix)
  }

  async #ready(queue: Queue): Promise<void> {
    // Known to be away (between reconnect attempts): answer at once instead of waiting for the bound.
    const status = this.#redis?.status
    if (status === 'reconnecting' || status === 'end' || status === 'close') throw new Error(`redis ${status}`)
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('redis not ready')), READY_TIMEOUT_MS)))
    try {
      await Promise.race([queue.waitUntilReady(), timeout])
      if (this.#redis && this.#redis.status !== 'ready') throw new Error(`redis ${this.#redis.status}`)
    } finally {
      clearTimeout(timer)
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((queue) => queue.close().catch(() => undefined))) // @NOTE: closing on the way out; a queue that never connected has nothing to flush.
    if (this.#redis) await this.#redis.quit().catch(() => this.#redis?.disconnect()) // @NOTE: quit fails when never connected; disconnect is enough then.
  }
}
