import type { QueueName } from '../../contracts/jobs'
import { errorFields, type Logger } from '../../logger'
import type { JobService } from './service'

/** Where ids of rows to act on go (deliveries, notifications): a BullMQ queue or the in-process fallback. */
export interface IdQueue {
  enqueue(ids: string[]): Promise<void>
  close(): Promise<void>
}

/** Thrown by a delivery when an attempt failed and another is due; the queue retries after a backoff. */
export class RetryLaterError extends Error {
  override name = 'RetryLaterError'
  constructor(readonly id: string, readonly attempt: number, reason: string) {
    super(`${id} attempt ${attempt} failed: ${reason}`)
  }
}

export interface BackoffPolicy {
  baseDelayMs: number
  /** 0–1: the share of each delay that is random. */
  jitter: number
}

/** BullMQ's exponential backoff with jitter: up to base·2^(n-1) after the n-th failure, at least (1-jitter) of it. */
export function retryDelayMs(failedAttempts: number, policy: BackoffPolicy): number {
  const max = policy.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1)
  return Math.floor(max * (1 - policy.jitter) + Math.random() * max * policy.jitter)
}

/** One attempt for one id; throws RetryLaterError to be retried, anything else is logged and dropped. */
export interface LocalDelivery {
  deliver(id: string): Promise<unknown>
}

/**
 * The in-process fallback of a queue without a worker (no Redis, Redis away, or no consumer): each id
 * is attempted on a timer, retried with the same backoff as its BullMQ queue. Pending retries are
 * lost on restart, so only rows that record their own state (pending deliveries) should use it.
 */
export class LocalRetryQueue implements IdQueue {
  #timers = new Set<ReturnType<typeof setTimeout>>()
  #closed = false

  constructor(private delivery: LocalDelivery, private policy: BackoffPolicy, private log: Logger) {}

  async enqueue(ids: string[]): Promise<void> {
    for (const id of ids) this.#schedule(id, 0)
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
  }

  #schedule(id: string, delayMs: number): void {
    if (this.#closed) return
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      void this.#attempt(id)
    }, delayMs)
    this.#timers.add(timer)
  }

  async #attempt(id: string): Promise<void> {
    if (this.#closed) return
    try {
      await this.delivery.deliver(id)
    } catch (error) {
      if (error instanceof RetryLaterError) return this.#schedule(id, retryDelayMs(error.attempt, this.policy))
      // The database may be closing with the process; nothing to retry then.
      if (!this.#closed) this.log.error('attempt() [unexpected error]', { id, ...errorFields(error) })
    }
  }
}

/**
 * Ids go to a BullMQ queue (jobId = the id, so an id is queued once however often it is offered)
 * while `useQueue` says so; otherwise, and for any id the queue refuses, to the in-process `local`
 * queue, so a recorded row never waits for a queue that cannot take it.
 */
export function queuedOrLocal<T extends object>(options: {
  jobs: JobService
  queue: QueueName
  name: string
  payload: (id: string) => T
  local: IdQueue
  log: Logger
  useQueue: () => boolean | Promise<boolean>
}): IdQueue {
  const { jobs, queue, name, payload, local, log, useQueue } = options
  return {
    async enqueue(ids) {
      if (!(await useQueue())) return local.enqueue(ids)
      for (const id of ids) {
        try {
          await jobs.enqueue<T>(queue, name, payload(id), { jobId: id })
        } catch (error) {
          log.warn('enqueue() [queue unavailable; working in process]', { queue, id, ...errorFields(error) })
          await local.enqueue([id])
        }
      }
    },
    close: () => local.close(),
  }
}
