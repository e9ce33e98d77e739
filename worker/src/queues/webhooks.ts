import { UnrecoverableError, type Job } from 'bullmq'
import { Value } from '@sinclair/typebox/value'
import { WebhookJob } from '../../../server/src/contracts/jobs'
import { WebhookService } from '../../../server/src/features/webhooks/service'
import type { WorkerContext } from '../context'

/**
 * One outgoing webhook delivery attempt: thin, parses its payload and calls the service. A failed
 * attempt with attempts left throws, so BullMQ retries with the job's exponential backoff.
 */
export function webhooksProcessor(ctx: WorkerContext) {
  const webhooks = new WebhookService(ctx.db, ctx.config, ctx.log)
  return async (job: Job) => {
    if (!Value.Check(WebhookJob, job.data)) throw new UnrecoverableError(`invalid webhook job payload: ${JSON.stringify(job.data).slice(0, 200)}`)
    const { deliveryId } = job.data as WebhookJob
    const status = await webhooks.deliver(deliveryId)
    return { deliveryId, status }
  }
}
