import { afterAll, beforeAll, expect, test } from 'bun:test'
import { Queue, QueueEvents } from 'bullmq'
import { QUEUES } from '../../../server/src/contracts/jobs'
import { startServer, type Session, type TestServer } from '../../../server/test/harness'
import { seedConversation } from '../../../server/test/fixtures'
import { TestSocket } from '../../../server/test/socket'
import { sendVoiceMessage } from '../../../server/src/features/ai/voice-kit'
import { startWorker, type TestWorker } from '../../test/harness'

let server: TestServer
let worker: TestWorker
let queue: Queue
let events: QueueEvents
let alice: Session
let bob: Session
let conversationId: string

/** A producer and an event stream on the API's own queue prefix (not the harness's), where the API enqueues. */
async function apiQueue(name: string): Promise<{ queue: Queue; events: QueueEvents }> {
  const url = new URL(process.env.TEST_REDIS_URL!)
  const options = { connection: { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null }, prefix: `${server.ctx.config.redisPrefix}bull` }
  const events = new QueueEvents(name, options)
  await events.waitUntilReady()
  return { queue: new Queue(name, options), events }
}

beforeAll(async () => {
  server = await startServer()
  // The worker shares the API's data directory (database, file storage) and Redis prefix, like a real deployment.
  worker = await startWorker(QUEUES.transcription, { DATA_DIR: server.dataDir, REDIS_PREFIX: server.ctx.config.redisPrefix })
  ;({ queue, events } = await apiQueue(QUEUES.transcription))
  for (let i = 0; i < 200 && (await queue.getWorkersCount()) === 0; i++) await Bun.sleep(50)
  ;[alice, bob] = await Promise.all([server.register(), server.register()])
  conversationId = seedConversation(server, [alice, bob])
})
afterAll(async () => {
  await Promise.all([queue.close(), events.close()])
  await worker.stop()
  await server.stop()
})

test('with a worker running, the transcription runs there and the event reaches members through Redis', async () => {
  const { messageId } = await sendVoiceMessage(server, alice, conversationId, 'hello world this is a test of the interview system')
  const socket = await TestSocket.ready(server.url, bob.accessToken)
  try {
    const requested = await server.request('POST', `/conversations/${conversationId}/messages/${messageId}/transcript`, { token: alice.accessToken })
    expect(requested.status).toBe(202)
    const event = await socket.next((e) => e.type === 'message.transcribed' && e.transcript.messageId === messageId, 30_000)
    expect(event.transcript.status).toBe('done')
    expect(event.transcript.text).toContain('interview system')
  } finally {
    socket.close()
  }
  const job = (await queue.getJobs(['active', 'completed'])).find((j) => j.data.messageId === messageId)!
  expect(job.data.userId).toBe(alice.user.id)
  expect(await job.waitUntilFinished(events, 20_000)).toMatchObject({ messageId, status: 'done', method: 'pocketsphinx' })
})

test('a malformed payload, or a message nobody asked to transcribe, fails at once without retries', async () => {
  const junk = await queue.add('transcribe', { messageId: 42 }, { attempts: 3, backoff: { type: 'fixed', delay: 10 } })
  await expect(junk.waitUntilFinished(events, 20_000)).rejects.toThrow(/invalid transcription job payload/)
  const orphan = await queue.add('transcribe', { messageId: 'nope', fileId: 'nope', userId: alice.user.id }, { attempts: 3, backoff: { type: 'fixed', delay: 10 } })
  await expect(orphan.waitUntilFinished(events, 20_000)).rejects.toThrow(/No transcript was requested/)
  expect((await queue.getJob(orphan.id!))?.attemptsMade).toBe(1)
})
