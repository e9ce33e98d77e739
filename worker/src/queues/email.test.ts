import { afterAll, beforeAll, expect, test } from 'bun:test'
import { SMTPServer } from 'smtp-server'
import { eq } from 'drizzle-orm'
import { QUEUES } from '../../../server/src/contracts/jobs'
import { mailOutbox, mailRedactions } from '../../../server/src/db/schema'
import { startServer, type TestServer } from '../../../server/test/harness'
import { freePort } from '../../../server/test/redis'
import { waitFor } from '../../../server/test/wait'
import { startWorker, type TestWorker } from '../../test/harness'
import { waitForWorkers } from '../../test/fleet'

const received: Array<{ to: string[]; raw: string }> = []
let refuseNext = 0
let smtp: SMTPServer
let worker: TestWorker
let server: TestServer

beforeAll(async () => {
  const port = await freePort()
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        if (refuseNext > 0) {
          refuseNext--
          return callback(Object.assign(new Error('try again later'), { responseCode: 451 }))
        }
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => smtp.listen(port, '127.0.0.1', resolve))
  const smtpEnv = { SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'Parley <noreply@parley.test>' }
  worker = await startWorker(QUEUES.email, { ...smtpEnv, WORKER_QUEUES: QUEUES.email })
  await waitForWorkers(worker.queue, 1)
  server = await startServer({ ...smtpEnv, REDIS_PREFIX: worker.prefix, DATA_DIR: worker.dataDir })
})

afterAll(async () => {
  await server.stop()
  await worker.stop()
  await new Promise<void>((resolve) => smtp.close(() => resolve()))
})

test('with a worker on the email queue, mail goes through the queue: delivered, then stored redacted', async () => {
  const session = await server.register({ email: 'queued@example.com' })
  const mail = await waitFor(() => received.find((m) => m.to.includes('queued@example.com')), 'the mail at the SMTP server', 20_000)
  expect(mail.raw).toMatch(/Token: /)
  const row = server.ctx.db.select().from(mailOutbox).where(eq(mailOutbox.to, session.user.email)).get()!
  // jobId = mail id: the job on the queue is the proof the request did not send it itself.
  const job = await worker.queue.getJob(row.id)
  expect(await job?.waitUntilFinished(worker.events, 20_000)).toEqual({ mailId: row.id, status: 'sent' })
  const sent = server.ctx.db.select().from(mailOutbox).where(eq(mailOutbox.id, row.id)).get()!
  expect(sent).toMatchObject({ status: 'sent', error: null })
  expect(sent.text).toContain('[redacted]')
  expect(server.ctx.db.select().from(mailRedactions).where(eq(mailRedactions.mailId, row.id)).all()).toEqual([])
})

test('a relay that refuses once is retried with backoff, and a mail already sent is never sent again', async () => {
  refuseNext = 1
  await server.register({ email: 'retry@example.com' })
  const row = await waitFor(() => server.ctx.db.select().from(mailOutbox).where(eq(mailOutbox.to, 'retry@example.com')).get(), 'the outbox row')
  const job = (await waitFor(() => worker.queue.getJob(row.id), 'the email job'))!
  expect(await job.waitUntilFinished(worker.events, 30_000)).toEqual({ mailId: row.id, status: 'sent' })
  const done = await worker.queue.getJob(row.id)
  // The refused attempt and the delivering one.
  expect(done!.attemptsMade).toBe(2)
  expect(received.filter((m) => m.to.includes('retry@example.com'))).toHaveLength(1)

  const again = await worker.queue.add('send', { mailId: row.id }, { jobId: `${row.id}-again` })
  expect(await again.waitUntilFinished(worker.events, 20_000)).toEqual({ mailId: row.id, status: 'already-sent' })
  expect(received.filter((m) => m.to.includes('retry@example.com'))).toHaveLength(1)
}, 40_000)

test('a malformed or unknown email job fails at once without retries', async () => {
  const junk = await worker.queue.add('send', { mailId: 7 }, { attempts: 3 })
  await expect(junk.waitUntilFinished(worker.events, 20_000)).rejects.toThrow(/invalid email job payload/)
  const unknown = await worker.queue.add('send', { mailId: 'no-such-mail' }, { attempts: 3 })
  await expect(unknown.waitUntilFinished(worker.events, 20_000)).rejects.toThrow(/does not exist/)
  expect((await worker.queue.getJob(unknown.id!))!.attemptsMade).toBe(1)
})
