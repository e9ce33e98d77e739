import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Queue, QueueEvents } from 'bullmq'
import { createHmac } from 'node:crypto'
import { eq } from 'drizzle-orm'
import type { Db } from '../../../server/src/db/client'
import { users, webhookDeliveries, webhooks, workspaces } from '../../../server/src/db/schema'
import { QUEUES } from '../../../server/src/contracts/jobs'
import { loadConfig } from '../../../server/src/config'
import { JobService } from '../../../server/src/features/jobs/service'
import { WebhookService } from '../../../server/src/features/webhooks/service'
import { createDeliveryQueue, type DeliveryQueue } from '../../../server/src/features/webhooks/queue'
import { createLogger } from '../../../server/src/logger'
import { startWorker, type TestWorker } from '../../test/harness'

const received: Array<{ headers: Headers; body: string }> = []
const answers: number[] = []
let receiver: ReturnType<typeof Bun.serve>
let harness: TestWorker
let db: Db
let jobs: JobService
let producer: DeliveryQueue
let queue: Queue
let events: QueueEvents

beforeAll(async () => {
  receiver = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      received.push({ headers: request.headers, body: await request.text() })
      return new Response('ok', { status: answers.shift() ?? 200 })
    },
  })
  harness = await startWorker(QUEUES.webhooks, { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' })
  ;({ db, queue, events } = harness)
  // The API's producer: the one JobService, and the webhooks feature's queue on top of it.
  const log = createLogger('silent')
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: harness.dataDir, REDIS_URL: harness.redisUrl, REDIS_PREFIX: harness.prefix })
  jobs = new JobService(config, log)
  producer = createDeliveryQueue(jobs, new WebhookService(db, config, log), log)
})

afterAll(async () => {
  await producer.close()
  await jobs.close()
  await harness.stop()
  receiver.stop(true)
})

test('the worker delivers a queued delivery, retrying a failed attempt with backoff', async () => {
  const now = new Date()
  db.insert(users).values({ id: 'u1', email: 'a@example.com', username: 'a_user', displayName: 'A', createdAt: now, updatedAt: now }).run()
  db.insert(workspaces).values({ id: 'w1', slug: 'w1', name: 'W', ownerId: 'u1', createdAt: now, updatedAt: now }).run()
  db.insert(webhooks).values({ id: 'h1', workspaceId: 'w1', url: `http://127.0.0.1:${receiver.port}/hook`, events: ['message.created'], secret: 'whsec_test', createdAt: now }).run()
  const payload = { id: 'd1', event: 'message.created', createdAt: now.toISOString(), workspaceId: 'w1', data: { message: { content: 'hi' } } }
  db.insert(webhookDeliveries).values({ id: 'd1', webhookId: 'h1', event: 'message.created', payload, status: 'pending', createdAt: now }).run()
  answers.push(500)

  await producer.enqueue(['d1'])
  const job = (await queue.getJob('d1'))!
  expect(await job.waitUntilFinished(events, 20_000)).toEqual({ deliveryId: 'd1', status: 'succeeded' })

  expect(received).toHaveLength(2)
  const last = received[1]!
  expect(last.body).toBe(JSON.stringify(payload))
  const timestamp = last.headers.get('x-parley-timestamp')!
  expect(last.headers.get('x-parley-signature')).toBe(`sha256=${createHmac('sha256', 'whsec_test').update(`${timestamp}.${last.body}`).digest('hex')}`)
  expect(last.headers.get('x-parley-delivery')).toBe('d1')
  const row = db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, 'd1')).get()!
  expect(row).toMatchObject({ status: 'succeeded', attempts: 2, responseCode: 200, error: null })

  // Enqueueing a delivered delivery again changes nothing (same job id, and the service is idempotent).
  await producer.enqueue(['d1'])
  await Bun.sleep(300)
  expect(received).toHaveLength(2)
})

test('a malformed webhook job fails at once without retries', async () => {
  const job = await queue.add('junk', { deliveryId: 42 }, { attempts: 3, backoff: { type: 'fixed', delay: 10 } })
  await expect(job.waitUntilFinished(events, 20_000)).rejects.toThrow(/invalid webhook job payload/)
  const failed = await queue.getJob(job.id!)
  expect(failed?.attemptsMade).toBe(1)
})
