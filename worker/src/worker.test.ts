import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Queue, QueueEvents } from 'bullmq'
import type { Db } from '../../server/src/db/client'
import { oneTimeTokens, sessions, users } from '../../server/src/db/schema'
import { QUEUES } from '../../server/src/contracts/jobs'
import { settleSchedules, startWorker, type TestWorker } from '../test/harness'

let harness: TestWorker
let worker: TestWorker['process']
let db: Db
let queue: Queue
let events: QueueEvents

beforeAll(async () => {
  harness = await startWorker(QUEUES.scheduled)
  ;({ process: worker, db, queue, events } = harness)
  await settleSchedules(queue)
})

afterAll(() => harness.stop())

test('the worker registers the hourly purge schedule', async () => {
  const schedulers = await queue.getJobSchedulers()
  expect(schedulers.map((s) => s.key)).toContain('purge-expired-auth')
  expect(schedulers.find((s) => s.key === 'purge-expired-auth')?.every).toBe(3600_000)
})

test('purge-expired-auth deletes used/expired tokens and long-revoked sessions, keeps live ones', async () => {
  const now = Date.now()
  const day = 86_400_000
  db.insert(users).values({ id: 'u1', email: 'a@example.com', username: 'a_user', displayName: 'A', createdAt: new Date(now), updatedAt: new Date(now) }).run()
  const token = (id: string, expiresAt: number, usedAt: number | null) =>
    db.insert(oneTimeTokens).values({ id, userId: 'u1', purpose: 'verify_email', tokenHash: id, createdAt: new Date(now), expiresAt: new Date(expiresAt), usedAt: usedAt ? new Date(usedAt) : null }).run()
  token('expired', now - 1000, null)
  token('used', now + day, now - 1000)
  token('live', now + day, null)
  const session = (id: string, revokedAt: number | null) =>
    db.insert(sessions).values({ id, userId: 'u1', createdAt: new Date(now - 60 * day), lastUsedAt: new Date(now - 60 * day), expiresAt: new Date(now + day), revokedAt: revokedAt ? new Date(revokedAt) : null, method: 'password' }).run()
  session('old-revoked', now - 40 * day)
  session('recent-revoked', now - day)
  session('active', null)

  const job = await queue.add('purge-expired-auth', { kind: 'purge-expired-auth' })
  const result = await job.waitUntilFinished(events, 20_000)
  expect(result).toEqual({ oneTimeTokens: 2, refreshTokens: 0, sessions: 1 })
  expect(db.select({ id: oneTimeTokens.id }).from(oneTimeTokens).all().map((r) => r.id)).toEqual(['live'])
  expect(db.select({ id: sessions.id }).from(sessions).all().map((r) => r.id).sort()).toEqual(['active', 'recent-revoked'])

  const again = await queue.add('purge-expired-auth', { kind: 'purge-expired-auth' })
  expect(await again.waitUntilFinished(events, 20_000)).toEqual({ oneTimeTokens: 0, refreshTokens: 0, sessions: 0 })
})

test('a malformed payload fails at once without retries (UnrecoverableError)', async () => {
  const job = await queue.add('junk', { kind: 'no-such-kind' }, { attempts: 3, backoff: { type: 'fixed', delay: 10 } })
  await expect(job.waitUntilFinished(events, 20_000)).rejects.toThrow(/invalid scheduled job payload/)
  const failed = await queue.getJob(job.id!)
  expect(failed?.attemptsMade).toBe(1)
  expect(await failed?.getState()).toBe('failed')
})

test('SIGTERM shuts the worker down cleanly', async () => {
  worker.kill('SIGTERM')
  expect(await worker.exited).toBe(0)
  const output = await new Response(worker.stdout).text()
  expect(output).toContain('worker ready')
  expect(output).toContain('draining')
})
