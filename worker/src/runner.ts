import { UnrecoverableError, Worker, type Job } from 'bullmq'
import { Value } from '@sinclair/typebox/value'
import Redis, { type RedisOptions } from 'ioredis'
import { errorFields } from '../../server/src/logger'
import { PING_JOB_NAME, PingJob } from '../../server/src/contracts/jobs'
import { recordJobAttempt } from '../../server/src/features/jobs/stats'
import { UserEventBridge, type JobProgress } from '../../server/src/features/jobs/progress'
import type { WorkerContext } from './context'
import type { JobRun, QueueEntry } from './registry'

/** Jobs running in this process, with the lock token that lets shutdown hand them back to the queue. */
export type ActiveJobs = Map<string, { job: Job; token: string | undefined }>

/** The owner whose sockets hear about a job: jobs that act for a user carry `userId`. */
function ownerOf(job: Job): string | null {
  const userId = (job.data as { userId?: unknown } | null)?.userId
  return typeof userId === 'string' && userId ? userId : null
}

function isFinalFailure(job: Job, error: unknown): boolean {
  if (error instanceof UnrecoverableError || (error instanceof Error && error.name === 'UnrecoverableError')) return true
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1)
}

/** The fleet's own no-op job (contracts/jobs.ts PingJob): holds, reporting progress, then names its worker. */
async function ping(job: Job, run: JobRun): Promise<{ pid: number; startedAt: number }> {
  // Wall clock with sub-millisecond resolution, for enqueue→start latency on one host (bench/jobs.ts).
  const startedAt = performance.timeOrigin + performance.now()
  if (!Value.Check(PingJob, job.data)) throw new UnrecoverableError(`invalid ping payload: ${JSON.stringify(job.data).slice(0, 200)}`)
  const { holdMs } = job.data as PingJob
  if (holdMs > 0) {
    await run.progress(0, 'holding')
    await Bun.sleep(holdMs)
    await run.progress(100, 'held')
  }
  return { pid: process.pid, startedAt }
}

/** Shared by every queue worker of the process: one Redis client for progress events and duration stats. */
export class JobRunner {
  readonly active: ActiveJobs = new Map()
  readonly #redis: Redis
  readonly #bridge: UserEventBridge

  constructor(private ctx: WorkerContext) {
    this.#redis = new Redis({ ...(ctx.connection as RedisOptions), maxRetriesPerRequest: 2, connectionName: 'parley-worker-events' })
    this.#redis.on('error', (error) => ctx.log.warn('runner() [redis error]', errorFields(error)))
    this.#bridge = new UserEventBridge(this.#redis, ctx.config.redisPrefix, ctx.log)
  }

  start(entry: QueueEntry): Worker {
    const { ctx } = this
    const settings = ctx.config.workers.queues[entry.queue] ?? {}
    const processor = entry.processor(ctx)
    const worker = new Worker(entry.queue, (job, token) => this.#run(entry, processor, job, token), {
      connection: ctx.connection,
      prefix: `${ctx.config.redisPrefix}bull`,
      concurrency: settings.concurrency ?? entry.concurrency,
      // Options left out rather than set to undefined: BullMQ spreads them over its defaults.
      ...(settings.rateLimit ? { limiter: { max: settings.rateLimit.max, duration: settings.rateLimit.durationMs } } : {}),
      ...(ctx.config.workers.lockDurationMs ?? entry.lockDurationMs ? { lockDuration: ctx.config.workers.lockDurationMs ?? entry.lockDurationMs } : {}),
      stalledInterval: ctx.config.workers.stalledIntervalMs,
    })
    worker.on('error', (error) => ctx.log.error('worker() [error]', { queue: worker.name, ...errorFields(error) }))
    worker.on('failed', (job, error) => ctx.log.warn('worker() [job failed]', { queue: worker.name, jobId: job?.id, attempts: job?.attemptsMade, ...errorFields(error) }))
    return worker
  }

  async #run(entry: QueueEntry, processor: ReturnType<QueueEntry['processor']>, job: Job, token: string | undefined): Promise<unknown> {
    const key = `${entry.queue}:${job.id}`
    this.active.set(key, { job, token })
    const userId = ownerOf(job)
    const base = { type: 'job.progress' as const, queue: entry.queue, jobId: job.id ?? '' }
    let last: JobProgress = { percent: 0, stage: 'started' }
    const run: JobRun = {
      progress: async (percent, stage, item) => {
        last = { percent: Math.max(0, Math.min(100, Math.round(percent))), stage, ...(item ? { item } : {}) }
        await job.updateProgress(last as unknown as object)
        if (userId) this.#bridge.toUser(userId, { ...base, ...last, state: 'active' })
      },
    }
    const started = performance.now()
    const seconds = () => (performance.now() - started) / 1000
    try {
      const result = job.name === PING_JOB_NAME ? await ping(job, run) : await processor(job, run)
      await this.#record(entry.queue, seconds(), 'completed')
      if (userId) this.#bridge.toUser(userId, { ...base, percent: 100, stage: 'done', state: 'completed' })
      return result
    } catch (error) {
      await this.#record(entry.queue, seconds(), 'failed')
      if (userId && isFinalFailure(job, error)) this.#bridge.toUser(userId, { ...base, percent: last.percent, stage: last.stage, state: 'failed' })
      throw error
    } finally {
      this.active.delete(key)
    }
  }

  async #record(queue: string, seconds: number, outcome: 'completed' | 'failed'): Promise<void> {
    // @NOTE: stats are best effort; a Redis hiccup must not turn a finished job into a failed one.
    await recordJobAttempt(this.#redis, this.ctx.config.redisPrefix, queue, seconds, outcome).catch((error) => this.ctx.log.warn('record() [stats failed]', errorFields(error)))
  }

  /** Hands every still-running job back to its queue at once (bounded shutdown ran out of time). */
  async returnActiveJobs(): Promise<number> {
    let returned = 0
    for (const { job, token } of this.active.values()) {
      try {
        await job.moveToWait(token)
        returned++
      } catch (error) {
        this.ctx.log.warn('returnActiveJobs() [lock lost; the job is retried after its lock expires]', { queue: job.queueName, jobId: job.id, ...errorFields(error) })
      }
    }
    return returned
  }

  async close(): Promise<void> {
    // @NOTE: quit fails when never connected; disconnect is enough then.
    await this.#redis.quit().catch(() => this.#redis.disconnect())
  }
}
