import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { messages, messageTranscripts } from '../../db/schema'
import { newId } from '../../lib/crypto'
import { startServer, type Session, type TestServer } from '../../../test/harness'
import { seedConversation } from '../../../test/fixtures'

let server: TestServer
let alice: Session
let bob: Session
let outsider: Session

beforeAll(async () => {
  server = await startServer()
  ;[alice, bob, outsider] = await Promise.all([server.register(), server.register(), server.register()])
})
afterAll(() => server.stop())

async function send(who: Session, conversationId: string, content: string) {
  const response = await server.request('POST', `/conversations/${conversationId}/messages`, { token: who.accessToken, body: { content } })
  if (response.status !== 201) throw new Error(`send failed: ${response.status} ${JSON.stringify(response.body)}`)
  return response.body as { id: string }
}

/** A voice message with a transcript row written straight to the database, as the transcription job would. */
async function voice(who: Session, conversationId: string, transcript: string, options: { content?: string; status?: 'done' | 'pending' | 'failed' } = {}) {
  const message = await send(who, conversationId, options.content ?? '🎤 Voice message')
  const { db } = server.ctx
  db.update(messages).set({ type: 'voice' }).where(eq(messages.id, message.id)).run()
  const now = new Date()
  db.insert(messageTranscripts)
    .values({ messageId: message.id, conversationId, fileId: newId(), status: options.status ?? 'done', text: transcript, words: [], method: 'pocketsphinx', requestedBy: who.user.id, createdAt: now, updatedAt: now })
    .run()
  return message
}

const search = (who: Session, q: string, extra = '') => server.request('GET', `/search/messages?q=${encodeURIComponent(q)}${extra}`, { token: who.accessToken })
const ids = (response: { body: any }) => (response.body.results as Array<{ message: { id: string } }>).map((r) => r.message.id)
/** A word no other test uses, so each test sees only its own messages. */
const word = () => `v${crypto.randomUUID().replace(/[^a-f]/g, '').slice(0, 10)}q`

describe('message search over voice transcripts', () => {
  test('a member finds a voice message by a word of its transcript, marked as matched in the transcript; an outsider does not', async () => {
    const key = word()
    const id = seedConversation(server, [alice, bob])
    const message = await voice(alice, id, `please bring the ${key} <notes> to the meeting`)
    const found = await search(bob, key)
    expect(found.status).toBe(200)
    expect(ids(found)).toEqual([message.id])
    const [hit] = found.body.results
    expect(hit.matchedIn).toBe('transcript')
    expect(hit.snippet).toBe(`please bring the <mark>${key}</mark> &lt;notes&gt; to the meeting`)
    expect(hit.rank).toBeGreaterThan(0)
    expect(hit.message).toMatchObject({ id: message.id, conversationId: id, content: '🎤 Voice message' })
    expect(hit.conversation).toMatchObject({ id, kind: 'group' })
    // A phrase and a short term are checked against the transcript text too.
    expect(ids(await search(bob, `"the ${key} <notes>"`))).toEqual([message.id])
    expect(ids(await search(bob, `"the ${key} notes"`))).toEqual([])
    expect(ids(await search(bob, `${key} to`))).toEqual([message.id])

    for (const q of [key, `${key} in:${id}`, `"${key}"`]) {
      const response = await search(outsider, q)
      expect(response.status).toBe(200)
      expect(ids(response)).toEqual([])
    }
  })

  test('a transcript that is not finished is not searched', async () => {
    const pending = word()
    const failed = word()
    const id = seedConversation(server, [alice])
    await voice(alice, id, `${pending} spoken words`, { status: 'pending' })
    await voice(alice, id, `${failed} spoken words`, { status: 'failed' })
    const done = await voice(alice, id, `${pending} ${failed} finished`)
    expect(ids(await search(alice, pending))).toEqual([done.id])
    expect(ids(await search(alice, failed))).toEqual([done.id])
    expect(ids(await search(alice, `${pending} spoken`))).toEqual([])
  })

  test('filters in:, from: and before: apply to transcript hits', async () => {
    const key = word()
    const one = seedConversation(server, [alice, bob])
    const two = seedConversation(server, [alice, bob])
    const fromAlice = await voice(alice, one, `${key} from alice`)
    const fromBob = await voice(bob, two, `${key} from bob`)
    const old = await voice(bob, one, `${key} said long ago`)
    server.ctx.db.update(messages).set({ createdAt: new Date('2020-01-02T12:00:00Z') }).where(eq(messages.id, old.id)).run()

    expect(new Set(ids(await search(alice, key)))).toEqual(new Set([fromAlice.id, fromBob.id, old.id]))
    expect(new Set(ids(await search(alice, `${key} in:${one}`)))).toEqual(new Set([fromAlice.id, old.id]))
    expect(ids(await search(alice, `${key} in:${two}`))).toEqual([fromBob.id])
    expect(new Set(ids(await search(alice, `${key} from:${bob.user.username}`)))).toEqual(new Set([fromBob.id, old.id]))
    expect(ids(await search(alice, `${key} from:${alice.user.username}`))).toEqual([fromAlice.id])
    expect(ids(await search(alice, `${key} before:2021-01-01`))).toEqual([old.id])
    expect(ids(await search(alice, `${key} after:2021-01-01 from:${bob.user.username}`))).toEqual([fromBob.id])
    const filtered = await search(alice, `${key} in:${one} before:2021-01-01`)
    expect(filtered.body.results).toHaveLength(1)
    expect(filtered.body.results[0]).toMatchObject({ matchedIn: 'transcript', message: { id: old.id } })
  })

  test('a deleted voice message is not found by its transcript', async () => {
    const key = word()
    const id = seedConversation(server, [alice, bob])
    const message = await voice(alice, id, `${key} to be deleted`)
    expect(ids(await search(bob, key))).toEqual([message.id])
    const deleted = await server.request('DELETE', `/conversations/${id}/messages/${message.id}`, { token: alice.accessToken })
    expect(deleted.status).toBe(200)
    expect(ids(await search(bob, key))).toEqual([])
    expect(ids(await search(alice, `${key} in:${id}`))).toEqual([])
  })

  test('a message whose text and transcript both match is listed once; plain messages say content', async () => {
    const key = word()
    const id = seedConversation(server, [alice])
    const both = await voice(alice, id, `${key} in the recording`, { content: `${key} in the caption` })
    const plain = await send(alice, id, `${key} typed`)
    const response = await search(alice, key)
    expect(response.status).toBe(200)
    expect(ids(response).sort()).toEqual([both.id, plain.id].sort())
    const byId = new Map(response.body.results.map((r: any) => [r.message.id, r]))
    expect(byId.get(plain.id)).toMatchObject({ matchedIn: 'content', snippet: `<mark>${key}</mark> typed` })
    expect((byId.get(both.id) as any).snippet).toContain(`<mark>${key}</mark>`)
    // Only the transcript has "recording": then the hit comes from it.
    const recording = await search(alice, `${key} recording`)
    expect(ids(recording)).toEqual([both.id])
    expect(recording.body.results[0]).toMatchObject({ matchedIn: 'transcript', snippet: `<mark>${key}</mark> in the <mark>recording</mark>` })
    // Unranked (a short term only) and matching both: the message's own text wins the tie.
    const unranked = await search(alice, `in:${id} in`)
    expect(ids(unranked)).toEqual([both.id])
    expect(unranked.body.results[0]).toMatchObject({ matchedIn: 'content', rank: 0, snippet: `${key} <mark>in</mark> the caption` })
    // A term only in the caption and a term only in the transcript do not combine.
    expect(ids(await search(alice, `${key} caption recording`))).toEqual([])
  })

  test('pages over text and transcript hits together without overlaps or gaps, in rank order', async () => {
    const key = word()
    const id = seedConversation(server, [alice])
    const expected = new Set<string>()
    for (let i = 0; i < 4; i++) expected.add((await send(alice, id, `${key} typed ${i}`)).id)
    for (let i = 0; i < 3; i++) expected.add((await voice(alice, id, `${key} spoken ${i}`)).id)
    expected.add((await voice(alice, id, `${key} spoken twice`, { content: `${key} caption` })).id)
    const seen: string[] = []
    const sources = new Set<string>()
    let cursor = ''
    for (let page = 0; page < 10; page++) {
      const response = await search(alice, key, `&limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      expect(response.status).toBe(200)
      const ranks = response.body.results.map((r: any) => r.rank)
      expect(ranks).toEqual([...ranks].sort((a: number, b: number) => b - a))
      for (const r of response.body.results) sources.add(r.matchedIn)
      seen.push(...ids(response))
      if (!response.body.nextCursor) break
      cursor = response.body.nextCursor
    }
    expect(seen).toHaveLength(expected.size)
    expect(new Set(seen)).toEqual(expected)
    expect(sources).toEqual(new Set(['content', 'transcript']))
  })

  test('with many transcript hits elsewhere, a member still gets exactly their own, and pages go on', async () => {
    const key = word()
    const mine = seedConversation(server, [alice])
    const own = await voice(alice, mine, `${key} the one alice said`)
    const busy = seedConversation(server, [bob])
    const now = new Date()
    for (let i = 0; i < 260; i++) {
      const { message: sent } = server.ctx.services.messages.send(bob.user.id, busy, { content: '🎤 Voice message' })
      server.ctx.db.insert(messageTranscripts).values({ messageId: sent.id, conversationId: busy, fileId: newId(), status: 'done', text: `${key} number ${i}`, createdAt: now, updatedAt: now }).run()
    }
    const found = await search(alice, key)
    expect(ids(found)).toEqual([own.id])
    expect(found.body.results[0].matchedIn).toBe('transcript')
    const bobs = await search(bob, key, '&limit=50')
    expect(bobs.body.results).toHaveLength(50)
    expect(bobs.body.results.every((r: any) => r.conversation.id === busy && r.matchedIn === 'transcript')).toBe(true)
    const next = await search(bob, key, `&limit=50&cursor=${bobs.body.nextCursor}`)
    expect(next.body.results).toHaveLength(50)
    expect(new Set([...ids(bobs), ...ids(next)]).size).toBe(100)
  })
})
