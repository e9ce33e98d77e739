import { afterAll, beforeAll, expect, test } from 'bun:test'
import type { Queue, QueueEvents } from 'bullmq'
import { eq } from 'drizzle-orm'
import { join } from 'node:path'
import type { Db } from '../../../server/src/db/client'
import { conversationExports, conversations, files, messages, participants, users } from '../../../server/src/db/schema'
import { QUEUES } from '../../../server/src/contracts/jobs'
import { LocalStorage } from '../../../server/src/storage/local'
import { startWorker, type TestWorker } from '../../test/harness'
import { waitForWorkers } from '../../test/fleet'

let harness: TestWorker
let db: Db
let queue: Queue
let events: QueueEvents
const now = new Date('2026-03-01T09:30:00.000Z')

beforeAll(async () => {
  harness = await startWorker(QUEUES.reports, { WORKER_QUEUES: QUEUES.reports })
  ;({ db, queue, events } = harness)
  await waitForWorkers(queue, 1)
  for (const id of ['alice', 'bob']) db.insert(users).values({ id, email: `${id}@example.com`, username: `${id}_user`, displayName: id === 'alice' ? 'Alice' : 'Bob', createdAt: now, updatedAt: now }).run()
  db.insert(conversations).values({ id: 'group', kind: 'group', name: 'Planning', lastSeq: 3, createdAt: now, updatedAt: now }).run()
  db.insert(participants).values({ conversationId: 'group', userId: 'alice', joinedAt: now }).run()
  db.insert(messages).values([
    { id: 'm1', conversationId: 'group', seq: 1, senderId: 'alice', content: 'first', createdAt: now },
    // A tombstone whose text was (wrongly) left behind: the export must still not carry it.
    { id: 'm2', conversationId: 'group', seq: 2, senderId: 'alice', content: 'secret', deletedAt: now, createdAt: now },
    { id: 'm3', conversationId: 'group', seq: 3, senderId: 'bob', content: 'third', createdAt: now },
  ]).run()
})

afterAll(async () => {
  await harness.stop()
})

function exportRow(id: string, userId: string, format: 'markdown' | 'json') {
  db.insert(conversationExports).values({ id, userId, conversationId: 'group', format, status: 'queued', createdAt: new Date() }).run()
}

const storage = () => new LocalStorage(join(harness.dataDir, 'files'))

test('an export is written once: a second run of a done export writes nothing', async () => {
  exportRow('x1', 'alice', 'json')
  const first = await queue.add('conversation-export', { kind: 'conversation-export', exportId: 'x1', userId: 'alice' }, { jobId: 'x1' })
  expect(await first.waitUntilFinished(events, 30_000)).toEqual({ status: 'completed', messages: 3 })
  const done = db.select().from(conversationExports).where(eq(conversationExports.id, 'x1')).get()!
  expect(done).toMatchObject({ status: 'completed', percent: 100, fileId: 'x1', messageCount: 3 })
  const file = db.select().from(files).where(eq(files.id, 'x1')).get()!
  expect(file).toMatchObject({ ownerId: 'alice', status: 'ready', mime: 'application/jsonl', storageKey: 'files/x1/original' })
  const text = await new Response(await storage().read('files/x1/original')).text()
  expect(file.size).toBe(Buffer.byteLength(text))
  const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line))
  expect(lines.map((line) => line.type)).toEqual(['header', 'message', 'message', 'message'])
  expect(lines[2].message).toMatchObject({ id: 'm2', content: '' })
  expect(text).not.toContain('secret')

  const again = await queue.add('conversation-export', { kind: 'conversation-export', exportId: 'x1', userId: 'alice' }, { jobId: 'x1-again' })
  expect(await again.waitUntilFinished(events, 30_000)).toEqual({ status: 'already-completed', messages: 3 })
  expect(db.select().from(conversationExports).where(eq(conversationExports.id, 'x1')).get()).toEqual(done)
  expect(db.select().from(files).where(eq(files.ownerId, 'alice')).all()).toEqual([file])
  expect(await new Response(await storage().read('files/x1/original')).text()).toBe(text)
})

test('a requester who is no longer a participant gets a failed export and no file, without retries', async () => {
  exportRow('x2', 'bob', 'markdown')
  const job = await queue.add('conversation-export', { kind: 'conversation-export', exportId: 'x2', userId: 'bob' }, { jobId: 'x2', attempts: 3 })
  await expect(job.waitUntilFinished(events, 30_000)).rejects.toThrow('You can no longer read this conversation')
  expect((await queue.getJob('x2'))!.attemptsMade).toBe(1)
  expect(db.select().from(conversationExports).where(eq(conversationExports.id, 'x2')).get()).toMatchObject({ status: 'failed', fileId: null, error: 'You can no longer read this conversation' })
  expect(db.select().from(files).where(eq(files.id, 'x2')).get()).toBeUndefined()
  expect(await storage().exists('files/x2/original')).toBe(false)
})

test('bad payloads and unknown exports fail at once (UnrecoverableError)', async () => {
  const cases: Array<[string, unknown, string]> = [
    ['bad-1', { kind: 'conversation-export', exportId: 42, userId: 'alice' }, 'invalid report job payload'],
    ['bad-2', { kind: 'pdf-report', exportId: 'x1', userId: 'alice' }, 'invalid report job payload'],
    ['bad-3', { kind: 'conversation-export', exportId: 'nope', userId: 'alice' }, 'export nope does not exist'],
  ]
  for (const [jobId, data, reason] of cases) {
    const job = await queue.add('conversation-export', data, { jobId, attempts: 3 })
    await expect(job.waitUntilFinished(events, 30_000)).rejects.toThrow(reason)
    expect((await queue.getJob(jobId))!.attemptsMade).toBe(1)
  }
})
