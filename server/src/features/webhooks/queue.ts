import { Queue } from 'bullmq'
import Redis from 'ioredis'
import type { Config } from '../../config'
import { QUEUES, type WebhookJob } from '../../contracts/jobs'
import { errorFields, type Logger } from '../../logger'
import { RETRY_POLICY } from './model'
import { DeliveryRetryError, type WebhookService } from './service'

/** Where recorded deliveries go to be attempted (and retried) outside the request. */
export interface DeliveryQueue {
  enqueue(deliveryIds: string[]): Promise<void>
  close(): Promise<void>
}

/** BullMQ's exponential backoff with jitter: up to base·2^(n-1) after the n-th failure, at least (1-jitter) of it. */
export function retryDelayMs(failedAttempts: number, policy: { baseDelayMs: number; jitter: number } = RETRY_POLICY): number {
  const max = policy.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1)
  return Math.floor(max * (1 - policy.jitter) + Math.random() * max * policy.jitter)
}

/** The API's producer side of the `webhooks` queue; the worker fleet consumes it. Connects on first use. */
export class BullDeliveryQueue implements DeliveryQueue {
  #queue: Queue<WebhookJob> | null = null
  #redis: Redis | null = null

  constructor(private redisUrl: string, private prefix: string, private log: Logger) {}

  async enqueue(deliveryIds: string[]): Promise<void> {
    if (!this.#queue) {
      this.#redis = new Redis(this.redisUrl, { maxRetriesPerRequest: 3, connectionName: 'parley-webhooks' })
      this.#redis.on('error', (error) => this.log.warn('enqueue() [redis error]', errorFields(error)))
      this.#queue = new Queue<WebhookJob>(QUEUES.webhooks, { connection: this.#redis, prefix: this.prefix })
    }
    // jobId = deliveryId: enqueueing the same delivery twice is a no-op.
    await this.#queue.addBulk(deliveryIds.map((deliveryId) => ({
      name: 'deliver',
      data: { deliveryId },
      opts: { jobId: deliveryId, attempts: RETRY_POLICY.attempts, backoff: { type: 'exponential', delay: RETRY_POLICY.baseDelayMs, jitter: RETRY_POLICY.jitter }, removeOnComplete: 1000, removeOnFail: 5000 },
    })))
  }

  async close(): Promise<void> {
    await this.#queue?.close()
    // @NOTE: quit fails when never connected; disconnect is enough then.
    if (this.#redis) await this.#redis.quit().catch(() => this.#redis?.disconnect())
  }
}

/**
 * Without Redis there is no worker: deliveries are attempted in this process with the same retry
 * policy. Pending retries are lost on restart (the rows stay `pending` in the log).
 */
export class LocalDeliveryQueue implements DeliveryQueue {
  #timers = new Set<ReturnType<typeof setTimeout>>()
  #closed = false

  constructor(private service: Pick<WebhookService, 'deliver'>, private log: Logger) {}

  async enqueue(deliveryIds: string[]): Promise<void> {
    for (const id of deliveryIds) this.#schedule(id, 0)
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
  }

  #schedule(deliveryId: string, delayMs: number): void {
    if (this.#closed) return
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      void this.#attempt(deliveryId)
    }, delayMs)
    this.#timers.add(timer)
  }

  async #attempt(deliveryId: string): Promise<void> {
    if (this.#closed) return
    try {
      await this.service.deliver(deliveryId)
    } catch (error) {
      if (error instanceof DeliveryRetryError) return this.#schedule(deliveryId, retryDelayMs(error.attempt))
      // The database may be closing with the process; nothing to retry then.
      if (!this.#closed) this.log.error('deliver() [unexpected error]', { deliveryId, ...errorFields(error) })
    }
  }
}

export function createDeliveryQueue(config: Config, service: WebhookService, log: Logger): DeliveryQueue {
  return config.redisUrl ? new BullDeliveryQueue(config.redisUrl, `${config.redisPrefix}bull`, log) : new LocalDeliveryQueue(service, log)
}
