import { QUEUES, type WebhookJob } from '../../contracts/jobs'
import type { Logger } from '../../logger'
import { LocalRetryQueue, queuedOrLocal, type IdQueue } from '../jobs/local-queue'
import type { JobService } from '../jobs/service'
import { RETRY_POLICY } from './model'
import type { WebhookService } from './service'

/** Where recorded deliveries go to be attempted (and retried) outside the request; `enqueue` takes delivery ids. */
export type DeliveryQueue = IdQueue

/**
 * The `webhooks` queue when Redis is configured (jobId = deliveryId, so a delivery is queued once
 * however often it is offered; a worker picks it up whenever one runs). Without Redis, or when the
 * queue store cannot be reached, deliveries are attempted in this process with the same retry policy,
 * so a recorded delivery is never left waiting for nothing.
 */
export function createDeliveryQueue(jobs: JobService, service: Pick<WebhookService, 'deliver'>, log: Logger): DeliveryQueue {
  return queuedOrLocal<WebhookJob>({
    jobs, queue: QUEUES.webhooks, name: 'deliver', payload: (deliveryId) => ({ deliveryId }),
    local: new LocalRetryQueue(service, RETRY_POLICY, log), log, useQueue: () => jobs.configured,
  })
}
