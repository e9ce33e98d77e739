import { afterAll, beforeAll, expect, test } from 'bun:test'
import { Queue, QueueEvents } from 'bullmq'
import { spawn, type Subprocess } from 'bun'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase, type Db } from '../../server/src/db/client'
import { oneTimeTokens, sessions, users } from '../../server/src/db/schema'
import { QUEUES } from '../../server/src/contracts/jobs'

const dataDir = mkdtempSync(join(tmpdir(), 'parley-worker-test-'))
const prefix = `test:${crypto.randomUUID()}:`
const redisUrl = process.env.TEST_REDIS_URL!
const connection = { host: new URL(redisUrl).hostname, port: Number(new URL(redisUrl).port), maxRetriesPerRequest: null }
let worker: Subprocess<'ignore', 'pipe', 'pipe'>
let db: Db
let queue: Queue
let events: QueueEvents

beforeAll(async () => {
  db = openDatabase(join(dataDir, 'parley.db'))
  worker = spawn(['bun', 'worker/src/index.ts'], {
    env: { ...process.env, DATA_DIR: dataDir, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: 'info', NODE_ENV: 'test' },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  queue = new Queue(QUEUES.scheduled, { connection, prefix: `${prefix}bull` })
  events = new QueueEvents(QUEUES.scheduled, { connection, prefix: `${prefix}bull` })
  await events.waitUntilReady()
  // The worker registers its schedules at start; wait for that to be visible in Redis.
  for (let i = 0; i < 100 && (await queue.getJobSchedulers()).length === 0; i++) await Bun.sleep(100)
  // Its first run starts at once; let it finish so it cannot race the rows the tests insert.
  for (let i = 0; i < 100 && (await queue.getCompletedCount()) === 0; i++) await Bun.sleep(100)
})

afterAll(async () => {
  worker.kill('SIGKILL')
  await Promise.all([queue.close(), events.close()])
  db.$client.close()
  rmSync(dataDir, { recursive: true, force: true })
})

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
