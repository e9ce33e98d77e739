import { afterAll, beforeAll, expect, test } from 'bun:test'
import { Queue, QueueEvents } from 'bullmq'
import { spawn, type Subprocess } from 'bun'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase, type Db } from '../../../server/src/db/client'
import { stories, storyViews, users } from '../../../server/src/db/schema'
import { QUEUES } from '../../../server/src/contracts/jobs'

const dataDir = mkdtempSync(join(tmpdir(), 'parley-worker-stories-test-'))
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
  const registered = async () => (await queue.getJobSchedulers()).some((s) => s.key === 'purge-expired-stories')
  for (let i = 0; i < 100 && !(await registered()); i++) await Bun.sleep(100)
  // The first run of every schedule starts at once; let them finish so none races the rows inserted below.
  for (let i = 0; i < 100 && (await queue.getCompletedCount()) < (await queue.getJobSchedulers()).length; i++) await Bun.sleep(100)
})

afterAll(async () => {
  worker.kill('SIGTERM')
  await worker.exited
  await Promise.all([queue.close(), events.close()])
  db.$client.close()
  rmSync(dataDir, { recursive: true, force: true })
})

test('the worker purges expired stories every 10 minutes', async () => {
  const scheduler = (await queue.getJobSchedulers()).find((s) => s.key === 'purge-expired-stories')
  expect(scheduler?.every).toBe(600_000)
})

test('purge-expired-stories deletes expired stories with their views and keeps live ones', async () => {
  const now = Date.now()
  const hour = 3600_000
  for (const id of ['author', 'viewer']) {
    db.insert(users).values({ id, email: `${id}@example.com`, username: `${id}_user`, displayName: id, createdAt: new Date(now), updatedAt: new Date(now) }).run()
  }
  const story = (id: string, expiresAt: number) =>
    db.insert(stories).values({ id, authorId: 'author', kind: 'text', text: id, createdAt: new Date(expiresAt - 24 * hour), expiresAt: new Date(expiresAt) }).run()
  story('expired', now - 1000)
  story('long-expired', now - 5 * hour)
  story('live', now + hour)
  db.insert(storyViews).values([
    { storyId: 'expired', viewerId: 'viewer', viewedAt: new Date(now - 2 * hour) },
    { storyId: 'live', viewerId: 'viewer', viewedAt: new Date(now) },
  ]).run()

  const job = await queue.add('purge-expired-stories', { kind: 'purge-expired-stories' })
  expect(await job.waitUntilFinished(events, 20_000)).toEqual({ stories: 2 })
  expect(db.select({ id: stories.id }).from(stories).all().map((row) => row.id)).toEqual(['live'])
  expect(db.select({ storyId: storyViews.storyId }).from(storyViews).all().map((row) => row.storyId)).toEqual(['live'])

  const again = await queue.add('purge-expired-stories', { kind: 'purge-expired-stories' })
  expect(await again.waitUntilFinished(events, 20_000)).toEqual({ stories: 0 })
})
