import { QUEUES, type EmailJob } from '../../contracts/jobs'
import type { MailQueue } from '../mail/service'
import type { JobService } from './service'

/**
 * The `email` queue as the mail service sees it. A mail goes to the queue only when a worker
 * consumes it; with none (or Redis away) the mail service delivers in process, so mail never waits
 * for a worker that does not exist.
 */
export function jobMailQueue(jobs: JobService): MailQueue {
  return {
    async offer(mailId) {
      if (!jobs.configured || !(await jobs.hasWorkers(QUEUES.email))) return false
      try {
        await jobs.enqueue<EmailJob>(QUEUES.email, 'send', { mailId }, { jobId: mailId })
        return true
      } catch {
        return false
      }
    },
  }
}
