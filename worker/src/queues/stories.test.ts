import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Queue, QueueEvents } from 'bullmq'
import type { Db } from '../../../server/src/db/client'
import { stories, storyViews, users } from '../../../server/src/db/schema'
import { QUEUES } from '../../../server/src/contracts/jobs'
import { settleSchedules, startWorker, type TestWorker } from '../../test/harness'

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

afterAll(async () => {
  worker.kill('SIGTERM')
  await harness.stop()
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
