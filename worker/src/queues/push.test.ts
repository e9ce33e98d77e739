import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Queue, QueueEvents } from 'bullmq'
import { eq } from 'drizzle-orm'
import type { Db } from '../../../server/src/db/client'
import { conversations, messages, notifications, participants, pushSubscriptions, pushVapidKeys, users } from '../../../server/src/db/schema'
import { QUEUES } from '../../../server/src/contracts/jobs'
import { fakeBrowser, startPushService, type FakeBrowser } from '../../../server/src/features/push/test-kit'
import { startWorker, type TestWorker } from '../../test/harness'

let harness: TestWorker
let db: Db
let queue: Queue
let events: QueueEvents
let pushService: ReturnType<typeof startPushService>

beforeAll(async () => {
  harness = await startWorker(QUEUES.push, { PUSH_ALLOW_LOCAL_ENDPOINTS: 'true' })
  ;({ db, queue, events } = harness)
  // The worker generated (or read) the VAPID keys in the shared database before it took any job.
  pushService = startPushService(() => db.select().from(pushVapidKeys).get()!.publicKey)
  const now = new Date()
  for (const [id, name] of [['alice', 'Alice'], ['bob', 'Bob']] as const) {
    db.insert(users).values({ id, email: `${id}@example.com`, username: id, displayName: name, createdAt: now, updatedAt: now }).run()
  }
  db.insert(conversations).values({ id: 'c1', kind: 'channel', name: 'general', createdAt: now, updatedAt: now }).run()
  db.insert(participants).values([{ conversationId: 'c1', userId: 'alice', role: 'member', joinedAt: now }, { conversationId: 'c1', userId: 'bob', role: 'member', joinedAt: now }]).run()
})

afterAll(async () => {
  await harness.stop()
  pushService.stop()
})

let seq = 0
function mention(): { notificationId: string; messageId: string } {
  const n = ++seq
  const now = new Date()
  db.insert(messages).values({ id: `m${n}`, conversationId: 'c1', seq: n, senderId: 'alice', content: `@bob number ${n}`, createdAt: now }).run()
  db.insert(notifications).values({ id: `n${n}`, userId: 'bob', kind: 'mention', actorId: 'alice', conversationId: 'c1', messageId: `m${n}`, createdAt: now }).run()
  return { notificationId: `n${n}`, messageId: `m${n}` }
}

function subscribe(name: string): FakeBrowser {
  const target = fakeBrowser(pushService.endpoint(name))
  db.insert(pushSubscriptions).values({ id: name, userId: 'bob', endpoint: target.endpoint, p256dh: target.keys.p256dh, auth: target.keys.auth, createdAt: new Date() }).run()
  return target
}

test('the worker pushes a queued notification to every subscription and drops the one the push service no longer knows', async () => {
  const [laptop, gone] = [subscribe('laptop'), subscribe('gone')]
  pushService.plan(gone.endpoint, [410])
  const { notificationId, messageId } = mention()

  const job = await queue.add('push', { notificationId }, { jobId: notificationId })
  expect(await job.waitUntilFinished(events, 20_000)).toEqual({ notificationId, status: 'delivered', sent: 1, expired: 1, failed: 0 })
  const [received] = pushService.at(laptop.endpoint)
  expect(JSON.parse(laptop.decrypt(received!.body))).toMatchObject({ title: 'Alice mentioned you in #general', body: `@bob number ${seq}`, url: `/c/c1?message=${messageId}`, tag: 'conversation:c1' })
  expect(pushService.rejected).toEqual([])
  expect(db.select({ id: pushSubscriptions.id }).from(pushSubscriptions).all().map((row) => row.id)).toEqual(['laptop'])
  db.delete(pushSubscriptions).run()
})

test('an unreachable push service is retried by the queue; a read notification is skipped', async () => {
  const flaky = subscribe('flaky')
  pushService.plan(flaky.endpoint, [503])
  const { notificationId } = mention()
  const job = await queue.add('push', { notificationId }, { jobId: notificationId, attempts: 3, backoff: { type: 'fixed', delay: 10 } })
  expect(await job.waitUntilFinished(events, 20_000)).toMatchObject({ status: 'delivered', sent: 1 })
  expect(pushService.at(flaky.endpoint)).toHaveLength(2)

  const read = mention()
  db.update(notifications).set({ readAt: new Date() }).where(eq(notifications.id, read.notificationId)).run()
  const skipped = await queue.add('push', { notificationId: read.notificationId }, { jobId: read.notificationId })
  expect(await skipped.waitUntilFinished(events, 20_000)).toEqual({ notificationId: read.notificationId, status: 'skipped', reason: 'read' })
  expect(pushService.at(flaky.endpoint)).toHaveLength(2)
})

test('a malformed push job fails at once without retries', async () => {
  const job = await queue.add('junk', { notificationId: 42 }, { attempts: 3, backoff: { type: 'fixed', delay: 10 } })
  await expect(job.waitUntilFinished(events, 20_000)).rejects.toThrow(/invalid push job payload/)
  expect((await queue.getJob(job.id!))?.attemptsMade).toBe(1)
})
