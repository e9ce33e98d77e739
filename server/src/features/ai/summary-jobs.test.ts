import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { QUEUES } from '../../contracts/jobs'
import { aiSummaries } from '../../db/schema'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { conversationKit } from '../../../test/conversation-kit'
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/fake-openai'
import { freePort } from '../../../test/redis'
import { TestSocket } from '../../../test/socket'
import { waitFor } from '../../../test/wait'
import { startWorker, type TestWorker } from '../../../../worker/test/harness'
import { waitForWorkers } from '../../../../worker/test/fleet'

const CHAT = [
  'The release of version two is planned for Friday.',
  'Great, lunch was nice today by the way.',
  'Version two release needs the database migration tested before Friday.',
  'Who tests the migration for the version two release?',
  'I will test the migration on Thursday so the release can go out Friday.',
]

interface Stack {
  worker: TestWorker
  server: TestServer
  kit: ReturnType<typeof conversationKit>
  alice: Session
  bob: Session
  carol: Session
  channelId: string
  ids: string[]
}

/** A real worker consuming `ai` and an API sharing its database and Redis prefix; Alice and Bob in a channel, Carol outside. */
async function stack(env: Record<string, string> = {}): Promise<Stack> {
  const worker = await startWorker(QUEUES.ai, { WORKER_QUEUES: QUEUES.ai, ...env })
  await waitForWorkers(worker.queue, 1)
  const server = await startServer({ REDIS_PREFIX: worker.prefix, DATA_DIR: worker.dataDir, ...env })
  const kit = conversationKit(server)
  const [alice, bob, carol] = [await server.register(), await server.register(), await server.register()]
  const channelId = (await kit.createChannel(alice, kit.createWorkspace(alice, [[bob, 'member'], [carol, 'member']]))).id
  expect((await kit.call(alice, 'POST', `/conversations/${channelId}/participants`, { userIds: [bob.user.id] })).status).toBe(200)
  const ids: string[] = []
  for (const [i, content] of CHAT.entries()) {
    const sent = await kit.call(i % 2 ? bob : alice, 'POST', `/conversations/${channelId}/messages`, { content })
    expect(sent.status).toBe(201)
    ids.push(sent.body.id)
  }
  return { worker, server, kit, alice, bob, carol, channelId, ids }
}

async function finished(s: Stack, who: Session, id: string) {
  return waitFor(async () => {
    const row = (await s.server.request('GET', `/ai/summaries/${id}`, { token: who.accessToken })).body
    return row.status === 'completed' || row.status === 'failed' ? row : undefined
  }, `summary ${id} to finish`, 30_000)
}

describe('offline (extractive)', () => {
  let s: Stack
  beforeAll(async () => {
    s = await stack()
  }, 60_000)
  afterAll(async () => {
    await s?.server.stop()
    await s?.worker.stop()
  })

  test('202, progress on the owner\'s sockets, then the TextRank result at GET /ai/summaries/:id', async () => {
    const socket = await TestSocket.ready(s.server.url, s.bob.accessToken)
    const created = await s.kit.call(s.bob, 'POST', `/ai/conversations/${s.channelId}/summaries`, { limit: 50 })
    expect(created.status).toBe(202)
    expect(created.body).toMatchObject({ conversationId: s.channelId, rootId: null, limit: 50, status: 'queued', summary: null, method: null, citedMessageIds: [] })
    const done = await finished(s, s.bob, created.body.id)
    expect(done).toMatchObject({ status: 'completed', percent: 100, stage: 'done', method: 'extractive', messageCount: 5, error: null })
    expect(done.summary).toContain('migration')
    expect(done.citedMessageIds.length).toBeGreaterThan(0)
    for (const id of done.citedMessageIds) expect(done.summary).toContain(CHAT[s.ids.indexOf(id)]!)

    await socket.next((e) => e.type === 'job.progress' && e.jobId === created.body.id && e.state === 'completed')
    const stages = socket.events.filter((e) => e.type === 'job.progress' && e.jobId === created.body.id).map((e) => `${e.queue}:${e.stage}`)
    expect(stages).toEqual(expect.arrayContaining(['ai:reading', 'ai:summarizing', 'ai:done']))
    socket.close()

    // Only the requester reads it; a member of the same channel gets 404 too.
    for (const other of [s.alice, s.carol]) {
      const peek = await s.server.request('GET', `/ai/summaries/${created.body.id}`, { token: other.accessToken })
      expect(peek.status).toBe(404)
      expectErrorShape(peek.body, 'SUMMARY_NOT_FOUND')
    }
    expect((await s.kit.call(s.bob, 'GET', '/ai/summaries')).body.summaries.map((x: { id: string }) => x.id)).toEqual([created.body.id])
    expect((await s.kit.call(s.alice, 'GET', '/ai/summaries')).body.summaries).toEqual([])
  })

  test('a thread summary reads only the thread; a reply as root is 400', async () => {
    const root = s.ids[0]!
    const reply = await s.kit.call(s.bob, 'POST', `/conversations/${s.channelId}/messages`, { content: 'Friday it is, the release notes are ready.', parentId: root })
    expect(reply.status).toBe(201)
    const created = await s.kit.call(s.alice, 'POST', `/ai/conversations/${s.channelId}/summaries`, { rootId: root })
    expect(created.status).toBe(202)
    const done = await finished(s, s.alice, created.body.id)
    expect(done).toMatchObject({ status: 'completed', rootId: root, messageCount: 2 })
    expect(done.citedMessageIds.every((id: string) => id === root || id === reply.body.id)).toBe(true)
    const notRoot = await s.kit.call(s.alice, 'POST', `/ai/conversations/${s.channelId}/summaries`, { rootId: reply.body.id })
    expect(notRoot.status).toBe(400)
    expectErrorShape(notRoot.body, 'NOT_A_THREAD_ROOT')
  })

  test('outsiders 404, bad bodies 422, unknown summaries 404', async () => {
    const [outsider] = [await s.server.register()]
    const refused = await s.kit.call(outsider, 'POST', `/ai/conversations/${s.channelId}/summaries`, {})
    expect(refused.status).toBe(404)
    expectErrorShape(refused.body, 'CONVERSATION_NOT_FOUND')
    for (const body of [{ limit: 1 }, { limit: 501 }, { extra: true }, { rootId: '' }]) {
      const bad = await s.kit.call(s.alice, 'POST', `/ai/conversations/${s.channelId}/summaries`, body)
      expect(bad.status).toBe(422)
      expectErrorShape(bad.body, 'VALIDATION_FAILED')
    }
    const missing = await s.kit.call(s.alice, 'GET', '/ai/summaries/no-such-summary')
    expect(missing.status).toBe(404)
    expect((await s.server.request('GET', '/ai/summaries')).status).toBe(401)
  })

  test('access is re-checked in the job: removed before it runs, the summary fails with nothing written', async () => {
    await s.worker.queue.pause()
    let id: string
    try {
      const created = await s.kit.call(s.carol, 'POST', `/ai/conversations/${s.channelId}/summaries`, {})
      // Carol is a workspace member but not in the channel yet: 404; once added she may ask.
      expect(created.status).toBe(404)
      expect((await s.kit.call(s.alice, 'POST', `/conversations/${s.channelId}/participants`, { userIds: [s.carol.user.id] })).status).toBe(200)
      const asked = await s.kit.call(s.carol, 'POST', `/ai/conversations/${s.channelId}/summaries`, {})
      expect(asked.status).toBe(202)
      id = asked.body.id
      expect((await s.kit.call(s.alice, 'DELETE', `/conversations/${s.channelId}/participants/${s.carol.user.id}`)).status).toBe(204)
    } finally {
      await s.worker.queue.resume()
    }
    const row = await waitFor(() => {
      const found = s.server.ctx.db.select().from(aiSummaries).where(eq(aiSummaries.id, id)).get()
      return found?.status === 'failed' ? found : undefined
    }, 'the summary to fail', 20_000)
    expect(row).toMatchObject({ summary: null, citedMessageIds: null, error: 'Conversation not found' })
    expect((await s.worker.queue.getJob(id))?.attemptsMade).toBe(1)
    // And she cannot read it, as she cannot read the conversation.
    expect((await s.kit.call(s.carol, 'GET', `/ai/summaries/${id}`)).status).toBe(404)
  })

  test('idempotent: the same summary job run again writes nothing; a bad payload fails at once', async () => {
    const created = await s.kit.call(s.alice, 'POST', `/ai/conversations/${s.channelId}/summaries`, {})
    const done = await finished(s, s.alice, created.body.id)
    const again = await s.worker.queue.add('summarize', { kind: 'summarize', summaryId: created.body.id, userId: s.alice.user.id })
    expect(await again.waitUntilFinished(s.worker.events, 20_000)).toEqual({ summaryId: created.body.id, status: 'already-completed', method: 'extractive' })
    expect((await s.kit.call(s.alice, 'GET', `/ai/summaries/${created.body.id}`)).body).toEqual(done)
    const junk = await s.worker.queue.add('summarize', { kind: 'summarize', conversationId: s.channelId }, { attempts: 3 })
    await expect(junk.waitUntilFinished(s.worker.events, 20_000)).rejects.toThrow(/invalid ai job payload/)
    expect((await s.worker.queue.getJob(junk.id!))?.attemptsMade).toBe(1)
  })

  test('at most 3 running per user (429 TOO_MANY_SUMMARIES)', async () => {
    await s.worker.queue.pause()
    try {
      for (let i = 0; i < 3; i++) expect((await s.kit.call(s.bob, 'POST', `/ai/conversations/${s.channelId}/summaries`, {})).status).toBe(202)
      const fourth = await s.kit.call(s.bob, 'POST', `/ai/conversations/${s.channelId}/summaries`, {})
      expect(fourth.status).toBe(429)
      expectErrorShape(fourth.body, 'TOO_MANY_SUMMARIES')
    } finally {
      await s.worker.queue.resume()
    }
  })
})

describe('with a provider (the in-test OpenAI-compatible server)', () => {
  let s: Stack
  let fake: FakeOpenAI
  beforeAll(async () => {
    fake = startFakeOpenAI()
    s = await stack({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'k', AI_RETRY_BASE_DELAY_MS: '1', AI_MAX_RETRIES: '0' })
  }, 60_000)
  afterAll(async () => {
    await s?.server.stop()
    await s?.worker.stop()
    fake?.stop()
  })

  test('the LLM writes it in the worker (method "llm"); invented ids are dropped', async () => {
    fake.script({ text: JSON.stringify({ summary: 'Version two ships Friday after a migration test on Thursday.', citedMessageIds: [s.ids[4], s.ids[0], 'made-up-id'] }) })
    const created = await s.kit.call(s.bob, 'POST', `/ai/conversations/${s.channelId}/summaries`, {})
    expect(created.status).toBe(202)
    const done = await finished(s, s.bob, created.body.id)
    expect(done).toMatchObject({ status: 'completed', summary: 'Version two ships Friday after a migration test on Thursday.', method: 'llm', citedMessageIds: [s.ids[0], s.ids[4]], messageCount: 5 })
    expect(fake.problems).toEqual([])
    expect(fake.requests.filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(1)
  })

  test('a provider that keeps failing is retried by the queue, then the summary fails with the reason', async () => {
    fake.script(...Array.from({ length: 3 }, () => ({ status: 500 })))
    const created = await s.kit.call(s.bob, 'POST', `/ai/conversations/${s.channelId}/summaries`, {})
    const done = await finished(s, s.bob, created.body.id)
    expect(done.status).toBe('failed')
    expect(done.summary).toBeNull()
    expect(done.error).toBeTruthy()
    expect((await s.worker.queue.getJob(created.body.id))?.attemptsMade).toBeGreaterThan(1)
  }, 60_000)
})

test('without a reachable queue store: 503 JOBS_UNAVAILABLE and nothing kept', async () => {
  const offline = await startServer({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` })
  try {
    const kit = conversationKit(offline)
    const user = await offline.register()
    const channel = (await kit.createChannel(user, kit.createWorkspace(user))).id
    const response = await kit.call(user, 'POST', `/ai/conversations/${channel}/summaries`, {})
    expect(response.status).toBe(503)
    expectErrorShape(response.body, 'JOBS_UNAVAILABLE')
    expect((await kit.call(user, 'GET', '/ai/summaries')).body.summaries).toEqual([])
  } finally {
    await offline.stop()
  }
})
