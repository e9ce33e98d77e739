import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { t } from 'elysia'
import { loadConfig } from '../config'
import { openDatabase, type Db } from '../db/client'
import { aiUsage, users, workspaces } from '../db/schema'
import { AppError } from '../errors'
import type { Logger } from '../logger'
import { startFakeOpenAI, type FakeOpenAI } from '../../test/fake-openai'
import { AiProvider, type CallOptions } from './provider'
import { UsageLedger } from './usage'

const SECRET = 'purple-elephant-7731'
let fake: FakeOpenAI
let dataDir: string
let db: Db
const lines: string[] = []

/** Records every log line as the JSON the real logger would write. */
function captureLogger(base: Record<string, unknown> = {}): Logger {
  const write = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push(JSON.stringify({ level, msg, ...base, ...fields }))
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), child: (fields) => captureLogger({ ...base, ...fields }), enabled: () => true }
}

function provider(env: Record<string, string> = {}) {
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'test-key', AI_RETRY_BASE_DELAY_MS: '1', ...env })
  return new AiProvider(config.ai, new UsageLedger(db, config.ai), captureLogger())
}

let userCounter = 0
function newUser(): string {
  const id = `u${++userCounter}-${crypto.randomUUID().slice(0, 8)}`
  const now = new Date()
  db.insert(users).values({ id, email: `${id}@example.com`, username: id.replace(/-/g, '_'), displayName: id, createdAt: now, updatedAt: now }).run()
  return id
}

const call = (userId: string | null, extra: Partial<CallOptions> = {}): CallOptions => ({ feature: 'Test', userId, ...extra })
const ask = (content: string) => ({ messages: [{ role: 'user' as const, content }] })

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof AppError) return error
    throw error
  }
  throw new Error('expected a failure')
}

beforeAll(() => {
  fake = startFakeOpenAI()
  dataDir = mkdtempSync(join(tmpdir(), 'parley-ai-test-'))
  db = openDatabase(join(dataDir, 'parley.db'))
})
afterAll(() => {
  fake.stop()
  db.$client.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('chat', () => {
  test('non-streaming: the reply, the request shape and a usage row with cost', async () => {
    const userId = newUser()
    fake.reply = () => 'Four, as always.'
    const before = fake.requests.length
    const result = await provider({ AI_COST_INPUT_PER_MILLION: '1000', AI_COST_OUTPUT_PER_MILLION: '2000', OPENAI_CHAT_MODEL: 'tiny-model' }).chat(ask('What is two plus two?'), call(userId))
    expect(result.text).toBe('Four, as always.')
    expect(result.model).toBe('tiny-model')
    const request = fake.requests[before]!
    expect(request.authorization).toBe('Bearer test-key')
    expect((request.body as any).model).toBe('tiny-model')
    expect((request.body as any).messages).toEqual([{ role: 'user', content: 'What is two plus two?' }])
    const rows = db.select().from(aiUsage).all().filter((r) => r.userId === userId)
    expect(rows).toHaveLength(1)
    expect(rows[0]!.inputTokens).toBe(5)
    expect(rows[0]!.outputTokens).toBe(3)
    expect(rows[0]!.costMicros).toBe(5 * 1000 + 3 * 2000)
    expect(fake.problems).toEqual([])
  })

  test('streaming: SSE chunks arrive as deltas and assemble into the whole reply with usage', async () => {
    fake.reply = () => 'One two three four five six'
    const stream = provider().chatStream(ask('Count to six'), call(newUser()))
    const deltas: string[] = []
    let next = await stream.next()
    while (!next.done) {
      deltas.push(next.value)
      next = await stream.next()
    }
    expect(deltas.length).toBeGreaterThan(1)
    expect(deltas.join('')).toBe('One two three four five six')
    expect(next.value.text).toBe('One two three four five six')
    expect(next.value.usage).toEqual({ inputTokens: 3, outputTokens: 6 })
    const body = fake.requests.at(-1)!.body as any
    expect(body.stream).toBe(true)
    expect(body.stream_options).toEqual({ include_usage: true })
  })

  test('without a provider, LLM calls answer 503 AI_PROVIDER_NOT_CONFIGURED saying how to configure one', async () => {
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir })
    const offline = new AiProvider(config.ai, new UsageLedger(db, config.ai), captureLogger())
    expect(offline.configured).toBe(false)
    const error = await failure(offline.chat(ask('hi'), call(null, { feature: 'Translation' })))
    expect(error.status).toBe(503)
    expect(error.code).toBe('AI_PROVIDER_NOT_CONFIGURED')
    expect(error.message).toContain('Translation')
    expect(error.message).toContain('OPENAI_BASE_URL')
  })
})

describe('structured output', () => {
  const Answer = t.Object({ answer: t.Integer() })

  test('an invalid JSON reply is retried once with the problem, then validated', async () => {
    fake.script({ text: 'Sure! The answer is 42.' }, { text: '```json\n{"answer": 42}\n```' })
    const before = fake.requests.length
    const { value, usage } = await provider().structured(ask('What is six times seven?'), Answer, call(newUser()))
    expect(value).toEqual({ answer: 42 })
    expect(fake.requests.length - before).toBe(2)
    const retry = fake.requests.at(-1)!.body as any
    expect(retry.response_format).toEqual({ type: 'json_object' })
    expect(retry.messages.at(-1).content).toContain('not valid JSON')
    expect(usage.outputTokens).toBeGreaterThan(0)
  })

  test('a reply that breaks the schema twice is 502 AI_INVALID_OUTPUT', async () => {
    fake.script({ text: '{"answer": "many"}' }, { text: '{"answer": "still many"}' })
    const error = await failure(provider().structured(ask('How many?'), Answer, call(newUser())))
    expect(error.status).toBe(502)
    expect(error.code).toBe('AI_INVALID_OUTPUT')
    expect((fake.requests.at(-1)!.body as any).messages.at(-1).content).toContain('/answer')
  })
})

describe('retries, timeouts and cancellation', () => {
  test('429 and 500 are retried with backoff, then the call succeeds', async () => {
    fake.script({ status: 429, retryAfter: 0 }, { status: 500 }, { text: 'finally' })
    const before = fake.requests.length
    const result = await provider({ AI_MAX_RETRIES: '2' }).chat(ask('hello'), call(newUser()))
    expect(result.text).toBe('finally')
    expect(fake.requests.length - before).toBe(3)
  })

  test('a 429 that outlasts the retries is 502 AI_PROVIDER_RATE_LIMITED; a 400 is not retried', async () => {
    fake.script({ status: 429 }, { status: 429 })
    const limited = await failure(provider({ AI_MAX_RETRIES: '1' }).chat(ask('hello'), call(newUser())))
    expect(limited.code).toBe('AI_PROVIDER_RATE_LIMITED')
    fake.script({ status: 400 })
    const before = fake.requests.length
    const bad = await failure(provider({ AI_MAX_RETRIES: '3' }).chat(ask('hello'), call(newUser())))
    expect(bad.code).toBe('AI_PROVIDER_FAILED')
    expect(fake.requests.length - before).toBe(1)
  })

  test('a provider slower than AI_TIMEOUT_MS is 504 AI_TIMEOUT', async () => {
    fake.script({ delayMs: 3000 })
    const error = await failure(provider({ AI_TIMEOUT_MS: '300' }).chat(ask('slow please'), call(newUser())))
    expect(error.status).toBe(504)
    expect(error.code).toBe('AI_TIMEOUT')
  })

  test('aborting the signal (the user went away) cancels the call', async () => {
    fake.script({ delayMs: 3000 })
    const controller = new AbortController()
    const before = fake.requests.length
    const pending = failure(provider().chat(ask('never mind'), call(newUser(), { signal: controller.signal })))
    while (fake.requests.length === before) await Bun.sleep(5)
    controller.abort()
    const error = await pending
    expect(error.code).toBe('AI_CANCELLED')
  })
})

describe('quotas', () => {
  test('beyond the daily user budget: 429 AI_QUOTA_EXCEEDED, and the provider is not called', async () => {
    const userId = newUser()
    fake.reply = () => 'a reply of several words that costs tokens'
    const ai = provider({ AI_DAILY_TOKENS_PER_USER: '20' })
    await ai.chat(ask('one two three four five six seven eight nine ten eleven twelve'), call(userId))
    const before = fake.requests.length
    const error = await failure(ai.chat(ask('again'), call(userId)))
    expect(error.status).toBe(429)
    expect(error.code).toBe('AI_QUOTA_EXCEEDED')
    expect((error.details as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0)
    expect(fake.requests.length).toBe(before)
    // Another user still has budget.
    expect((await ai.chat(ask('hi'), call(newUser()))).text).toContain('reply')
  })

  test('the workspace budget counts every member', async () => {
    const owner = newUser()
    const now = new Date()
    const workspaceId = `w-${crypto.randomUUID()}`
    db.insert(workspaces).values({ id: workspaceId, slug: workspaceId, name: 'W', ownerId: owner, createdAt: now, updatedAt: now }).run()
    const ai = provider({ AI_DAILY_TOKENS_PER_WORKSPACE: '20' })
    await ai.chat(ask('one two three four five six seven eight nine ten eleven twelve'), call(owner, { workspaceId }))
    const error = await failure(ai.chat(ask('hi'), call(newUser(), { workspaceId })))
    expect(error.code).toBe('AI_QUOTA_EXCEEDED')
    expect(error.message).toContain('workspace')
  })
})

describe('speech through the provider', () => {
  test('transcription uploads the file and returns words; speech returns audio', async () => {
    fake.transcript = 'provider heard this'
    const path = join(dataDir, 'clip.wav')
    await Bun.write(path, (await import('../../test/fake-openai')).silentWav(500))
    const ai = provider({ OPENAI_TRANSCRIPTION_MODEL: 'whisper-test' })
    const heard = await ai.transcribe(path, call(newUser()))
    expect(heard).toMatchObject({ text: 'provider heard this', method: 'whisper-test' })
    expect(heard.words.map((w) => w.word)).toEqual(['provider', 'heard', 'this'])
    const spoken = await ai.speak('Say this', call(newUser()))
    expect(spoken.contentType).toBe('audio/wav')
    expect(new TextDecoder().decode(spoken.audio.slice(0, 4))).toBe('RIFF')
    expect(fake.problems).toEqual([])
  })
})

test('no user content reaches the logs, on success or failure', async () => {
  lines.length = 0
  const ai = provider({ AI_MAX_RETRIES: '1' })
  fake.reply = () => `echo ${SECRET}`
  await ai.chat(ask(`my secret is ${SECRET}`), call(newUser()))
  fake.script({ text: `not json ${SECRET}` }, { text: `still not ${SECRET}` })
  await failure(ai.structured(ask(`secret ${SECRET}`), t.Object({ a: t.String() }), call(newUser())))
  fake.script({ status: 500 }, { status: 500 })
  await failure(ai.chat(ask(`secret ${SECRET}`), call(newUser())))
  expect(lines.length).toBeGreaterThan(3)
  expect(lines.some((line) => line.includes('retrying'))).toBe(true)
  expect(lines.some((line) => line.includes('invalid output'))).toBe(true)
  expect(lines.filter((line) => line.includes(SECRET))).toEqual([])
})
