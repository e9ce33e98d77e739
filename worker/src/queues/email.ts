import { UnrecoverableError, type Job } from 'bullmq'
import { Value } from '@sinclair/typebox/value'
import { EmailJob } from '../../../server/src/contracts/jobs'
import { MailService } from '../../../server/src/features/mail/service'
import type { WorkerContext } from '../context'

/**
 * One SMTP attempt for a recorded mail: thin, parses its payload and calls the mail service, which
 * skips mail already sent (idempotent). A failed attempt throws, so BullMQ retries with backoff.
 */
export function emailProcessor(ctx: WorkerContext) {
  const mail = new MailService(ctx.db, ctx.log, ctx.config.mail.smtpUrl, ctx.config.mail.from)
  return async (job: Job) => {
    if (!Value.Check(EmailJob, job.data)) throw new UnrecoverableError(`invalid email job payload: ${JSON.stringify(job.data).slice(0, 200)}`)
    if (!mail.smtpEnabled) throw new UnrecoverableError('SMTP_URL is not set in this worker; the mail stays in the outbox')
    const { mailId } = job.data as EmailJob
    const status = await mail.deliver(mailId)
    if (status === 'missing') throw new UnrecoverableError(`mail ${mailId} does not exist`)
    return { mailId, status }
  }
}
