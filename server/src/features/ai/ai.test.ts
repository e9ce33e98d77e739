import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { aiUsage } from '../../db/schema'
import { utcDay } from '../../ai/usage'
import { newId } from '../../lib/crypto'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { seedConversation } from '../../../test/fixtures'
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/fake-openai'

let fake: FakeOpenAI
let online: TestServer
let offline: TestServer

beforeAll(async () => {
  fake = startFakeOpenAI()
  ;[online, offline] = await Promise.all([
    startServer({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'k', AI_RETRY_BASE_DELAY_MS: '1', AI_MAX_RETRIES: '1', AI_DAILY_TOKENS_PER_USER: '5000' }),
    startServer(),
  ])
})
afterAll(async () => {
  await Promise.all([online.stop(), offline.stop()])
  fake.stop()
})

interface Room {
  alice: Session
  bob: Session
  outsider: Session
  conversationId: string
  ids: string[]
}

/** Alice and Bob in a group with a few messages; an outsider who is not in it. */
async function room(server: TestServer, texts: string[]): Promise<Room> {
  const [alice, bob, outsider] = await Promise.all([server.register(), server.register(), server.register()])
  const conversationId = seedConversation(server, [alice, bob])
  const ids: string[] = []
  for (const [i, content] of texts.entries()) {
    const sent = await server.request('POST', `/conversations/${conversationId}/messages`, { token: (i % 2 ? bob : alice).accessToken, body: { content } })
    expect(sent.status).toBe(201)
    ids.push(sent.body.id)
  }
  return { alice, bob, outsider, conversationId, ids }
}

const CHAT = [
  'The release of version two is planned for Friday.',
  'Great, lunch was nice today by the way.',
  'Version two release needs the database migration tested before Friday.',
  'Who tests the migration for the version two release?',
  'I will test the migration on Thursday so the release can go out Friday.',
]

describe('with a provider configured', () => {
  let r: Room
  beforeAll(async () => {
    r = await room(online, CHAT)
  })

  test('smart replies: suggestions from the LLM, built from the message and its context', async () => {
    fake.script({ text: JSON.stringify({ replies: ['Thanks!', 'Sounds good', 'Can I help?'] }) })
    const response = await online.request('POST', `/conversations/${r.conversationId}/messages/${r.ids[4]}/ai/replies`, { token: r.alice.accessToken, body: { count: 2 } })
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ suggestions: ['Thanks!', 'Sounds good'], method: 'llm' })
    const prompt = JSON.stringify(fake.requests.at(-1)!.body)
    expect(prompt).toContain('I will test the migration on Thursday')
    expect(prompt).toContain(r.ids[3]!)
    expect(fake.problems).toEqual([])
  })

  test('translate and rewrite answer with the LLM text', async () => {
    fake.script({ text: '{"text": "La sortie de la version deux est prévue vendredi."}' })
    const translated = await online.request('POST', `/conversations/${r.conversationId}/messages/${r.ids[0]}/ai/translate`, { token: r.bob.accessToken, body: { targetLanguage: 'French' } })
    expect(translated.status).toBe(200)
    expect(translated.body).toEqual({ messageId: r.ids[0], targetLanguage: 'French', text: 'La sortie de la version deux est prévue vendredi.', method: 'llm' })
    expect(JSON.stringify(fake.requests.at(-1)!.body)).toContain('French')

    fake.script({ text: '{"text": "Could you please review this?"}' })
    const rewritten = await online.request('POST', '/ai/rewrite', { token: r.alice.accessToken, body: { text: 'review this pls', tone: 'formal', conversationId: r.conversationId } })
    expect(rewritten.status).toBe(200)
    expect(rewritten.body).toEqual({ text: 'Could you please review this?', tone: 'formal', method: 'llm' })
  })

  test('summary by the LLM cites only message ids it was shown', async () => {
    fake.script({ text: JSON.stringify({ summary: 'Version two ships Friday after a migration test on Thursday.', citedMessageIds: [r.ids[4], r.ids[0], 'made-up-id'] }) })
    const response = await online.request('POST', `/conversations/${r.conversationId}/ai/summary`, { token: r.bob.accessToken, body: {} })
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ summary: 'Version two ships Friday after a migration test on Thursday.', method: 'llm', citedMessageIds: [r.ids[0], r.ids[4]], messageCount: 5 })
  })

  test('a provider that keeps failing is 502 in the error shape, never a 500', async () => {
    fake.script({ status: 500 }, { status: 500 })
    const response = await online.request('POST', `/conversations/${r.conversationId}/messages/${r.ids[0]}/ai/translate`, { token: r.bob.accessToken, body: { targetLanguage: 'German' } })
    expect(response.status).toBe(502)
    expectErrorShape(response.body, 'AI_PROVIDER_FAILED')
  })

  test('beyond the daily budget: 429 AI_QUOTA_EXCEEDED with Retry-After; usage shows it', async () => {
    const user = await online.register()
    online.ctx.db.insert(aiUsage).values({ id: newId(), userId: user.user.id, capability: 'chat', model: 'm', inputTokens: 4000, outputTokens: 1000, day: utcDay(), createdAt: new Date() }).run()
    const response = await online.request('POST', '/ai/rewrite', { token: user.accessToken, body: { text: 'hi', tone: 'friendly' } })
    expect(response.status).toBe(429)
    expectErrorShape(response.body, 'AI_QUOTA_EXCEEDED')
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0)
    const usage = await online.request('GET', '/ai/usage', { token: user.accessToken })
    expect(usage.body).toMatchObject({ day: utcDay(), tokens: 5000, limit: 5000, configured: true })
  })

  test('a client that goes away cancels the provider request', async () => {
    fake.script({ delayMs: 5000, text: '{"text": "too late"}' })
    const before = fake.requests.length
    const controller = new AbortController()
    const pending = fetch(`${online.url}/ai/rewrite`, {
      method: 'POST',
      headers: { authorization: `Bearer ${r.alice.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'make it nice', tone: 'friendly' }),
      signal: controller.signal,
    }).catch((error) => error)
    while (fake.requests.length === before) await Bun.sleep(5)
    controller.abort()
    expect((await pending).name).toBe('AbortError')
    const upstream = fake.requests[before]!
    for (let i = 0; i < 200 && !upstream.aborted; i++) await Bun.sleep(10)
    expect(upstream.aborted).toBe(true)
  })

  test('the caller must be able to read the conversation: outsiders get 404, strangers 401', async () => {
    const base = `/conversations/${r.conversationId}`
    const calls: Array<[string, string, unknown]> = [
      ['POST', `${base}/messages/${r.ids[0]}/ai/replies`, {}],
      ['POST', `${base}/messages/${r.ids[0]}/ai/translate`, { targetLanguage: 'German' }],
      ['POST', `${base}/ai/summary`, {}],
      ['POST', '/ai/rewrite', { text: 'hi', tone: 'formal', conversationId: r.conversationId }],
      ['POST', `${base}/messages/${r.ids[0]}/transcript`, undefined],
      ['GET', `${base}/messages/${r.ids[0]}/transcript`, undefined],
    ]
    const before = fake.requests.length
    for (const [method, path, body] of calls) {
      const forbidden = await online.request(method, path, { token: r.outsider.accessToken, body })
      expect(forbidden.status, path).toBe(404)
      expectErrorShape(forbidden.body, 'CONVERSATION_NOT_FOUND')
      const anonymous = await online.request(method, path, { body })
      expect(anonymous.status, path).toBe(401)
    }
    expect(fake.requests.length).toBe(before)
  })

  test('bad input is 422 in the error shape; a message of another conversation is 404', async () => {
    const badTone = await online.request('POST', '/ai/rewrite', { token: r.alice.accessToken, body: { text: 'hi', tone: 'angry' } })
    expect(badTone.status).toBe(422)
    expectErrorShape(badTone.body, 'VALIDATION_FAILED')
    const noLanguage = await online.request('POST', `/conversations/${r.conversationId}/messages/${r.ids[0]}/ai/translate`, { token: r.alice.accessToken, body: { targetLanguage: '' } })
    expect(noLanguage.status).toBe(422)
    const tooMany = await online.request('POST', `/conversations/${r.conversationId}/messages/${r.ids[0]}/ai/replies`, { token: r.alice.accessToken, body: { count: 50 } })
    expect(tooMany.status).toBe(422)
    const other = await room(online, ['elsewhere'])
    const wrongPlace = await online.request('POST', `/conversations/${r.conversationId}/messages/${other.ids[0]}/ai/translate`, { token: r.alice.accessToken, body: { targetLanguage: 'German' } })
    expect(wrongPlace.status).toBe(404)
    expectErrorShape(wrongPlace.body, 'MESSAGE_NOT_FOUND')
  })
})

describe('without a provider', () => {
  let r: Room
  beforeAll(async () => {
    r = await room(offline, CHAT)
  })

  test('LLM-only features answer 503 AI_PROVIDER_NOT_CONFIGURED saying how to configure one', async () => {
    const calls: Array<[string, unknown]> = [
      [`/conversations/${r.conversationId}/messages/${r.ids[0]}/ai/replies`, {}],
      [`/conversations/${r.conversationId}/messages/${r.ids[0]}/ai/translate`, { targetLanguage: 'German' }],
      ['/ai/rewrite', { text: 'hi', tone: 'concise' }],
    ]
    for (const [path, body] of calls) {
      const response = await offline.request('POST', path, { token: r.alice.accessToken, body })
      expect(response.status, path).toBe(503)
      expectErrorShape(response.body, 'AI_PROVIDER_NOT_CONFIGURED')
      expect(response.body.error.message).toContain('OPENAI_BASE_URL')
    }
  })

  test('summary is extractive (TextRank) and cites the messages its sentences came from', async () => {
    const response = await offline.request('POST', `/conversations/${r.conversationId}/ai/summary`, { token: r.bob.accessToken, body: {} })
    expect(response.status).toBe(200)
    expect(response.body.method).toBe('extractive')
    expect(response.body.messageCount).toBe(5)
    expect(response.body.citedMessageIds.length).toBeGreaterThan(0)
    expect(response.body.citedMessageIds).not.toContain(r.ids[1])
    for (const id of response.body.citedMessageIds) expect(response.body.summary).toContain(CHAT[r.ids.indexOf(id)]!)
  })

  test('a thread summary reads only the thread', async () => {
    const root = r.ids[0]!
    const reply = await offline.request('POST', `/conversations/${r.conversationId}/messages`, { token: r.bob.accessToken, body: { content: 'Friday works for the version two release party.', parentId: root } })
    const thread = await offline.request('POST', `/conversations/${r.conversationId}/ai/summary`, { token: r.alice.accessToken, body: { rootId: root } })
    expect(thread.status).toBe(200)
    expect(thread.body.messageCount).toBe(2)
    expect(thread.body.citedMessageIds.every((id: string) => [root, reply.body.id].includes(id))).toBe(true)
    const notRoot = await offline.request('POST', `/conversations/${r.conversationId}/ai/summary`, { token: r.alice.accessToken, body: { rootId: reply.body.id } })
    expect(notRoot.status).toBe(400)
    expectErrorShape(notRoot.body, 'NOT_A_THREAD_ROOT')
  })

  test('usage reports no provider', async () => {
    const usage = await offline.request('GET', '/ai/usage', { token: r.alice.accessToken })
    expect(usage.status).toBe(200)
    expect(usage.body.configured).toBe(false)
  })
})
