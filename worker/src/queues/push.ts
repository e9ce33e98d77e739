import { UnrecoverableError, type Job } from 'bullmq'
import { Value } from '@sinclair/typebox/value'
import { PushJob } from '../../../server/src/contracts/jobs'
import { PushSender } from '../../../server/src/features/push/sender'
import type { WorkerContext } from '../context'

/**
 * One notification pushed to its recipient's browsers: thin, parses its payload and calls the
 * sender. An unreachable push service throws (PushRetryError), so BullMQ retries with backoff.
 */
export function pushProcessor(ctx: WorkerContext) {
  const sender = new PushSender(ctx.db, ctx.config, ctx.log)
  return async (job: Job) => {
    if (!Value.Check(PushJob, job.data)) throw new UnrecoverableError(`invalid push job payload: ${JSON.stringify(job.data).slice(0, 200)}`)
    const { notificationId } = job.data as PushJob
    return { notificationId, ...(await sender.deliver(notificationId)) }
  }
}
