import { QUEUES, type PushJob } from '../../contracts/jobs'
import type { Logger } from '../../logger'
import { jobPolicy } from '../jobs/policy'
import type { JobService } from '../jobs/service'
import { LocalRetryQueue, queuedOrLocal, RetryLaterError, type IdQueue } from '../jobs/local-queue'
import { PushRetryError, type PushSender } from './sender'

/** Where new notifications go to be pushed, off the request path; `enqueue` takes notification ids. */
export type PushQueue = IdQueue

/**
 * The shared in-process retry queue (features/jobs), with the push attempt budget counted here (a
 * push has no delivery row to count attempts in). Pending retries are lost on restart.
 */
export function localPushQueue(sender: Pick<PushSender, 'deliver'>, log: Logger): PushQueue {
  const { attempts: maxAttempts, backoffMs, jitter } = jobPolicy(QUEUES.push)
  const attempts = new Map<string, number>()
  return new LocalRetryQueue({
    async deliver(notificationId: string) {
      const attempt = (attempts.get(notificationId) ?? 0) + 1
      attempts.set(notificationId, attempt)
      try {
        const result = await sender.deliver(notificationId)
        attempts.delete(notificationId)
        return result.status === 'delivered' ? 'succeeded' : 'missing'
      } catch (error) {
        if (error instanceof PushRetryError && attempt < maxAttempts) throw new RetryLaterError(notificationId, attempt, error.message)
        attempts.delete(notificationId)
        if (!(error instanceof PushRetryError)) throw error
        log.warn('deliver() [push given up]', { notificationId, attempts: attempt })
        return 'failed'
      }
    },
  }, { baseDelayMs: backoffMs, jitter }, log)
}

/**
 * The `push` queue when some worker consumes it (jobId = notificationId, so a notification is
 * pushed once however often it is offered); otherwise — no Redis, no worker, or Redis away — the
 * pushes go out from this process, so they never wait for a worker that does not exist.
 */
export function createPushQueue(jobs: JobService, sender: PushSender, log: Logger): PushQueue {
  return queuedOrLocal<PushJob>({
    jobs, queue: QUEUES.push, name: 'push', payload: (notificationId) => ({ notificationId }),
    local: localPushQueue(sender, log), log, useQueue: async () => jobs.configured && (await jobs.hasWorkers(QUEUES.push)),
  })
}
