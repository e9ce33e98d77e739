import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { and, eq } from 'drizzle-orm'
import { messages, participants } from '../../db/schema'
import { newId } from '../../lib/crypto'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { seedConversation } from '../../../test/fixtures'
import { ftsMatch, parseQuery, snippet } from './query'

let server: TestServer
let alice: Session
let bob: Session
let outsider: Session

beforeAll(async () => {
  server = await startServer()
  ;[alice, bob, outsider] = await Promise.all([server.register(), server.register(), server.register()])
})
afterAll(() => server.stop())

function conversation(members: Session[], options: { kind?: 'group' | 'channel'; name?: string } = {}): string {
  return seedConversation(server, members, options)
}

async function send(who: Session, conversationId: string, content: string, parentId?: string) {
  const response = await server.request('POST', `/conversations/${conversationId}/messages`, { token: who.accessToken, body: { content, parentId } })
  if (response.status !== 201) throw new Error(`send failed: ${response.status} ${JSON.stringify(response.body)}`)
  return response.body as { id: string; seq: number }
}

const search = (who: Session, q: string, extra = '') => server.request('GET', `/search/messages?q=${encodeURIComponent(q)}${extra}`, { token: who.accessToken })
const ids = (response: { body: any }) => (response.body.results as Array<{ message: { id: string } }>).map((r) => r.message.id)
/** A word no other test uses, so each test sees only its own messages. */
const word = () => `w${crypto.randomUUID().replace(/[^a-f]/g, '').slice(0, 10)}x`

describe('message search', () => {
  test('ranks by bm25, marks hits in an HTML-safe snippet, and returns the message and its conversation', async () => {
    const key = word()
    const id = conversation([alice, bob])
    const weak = await send(alice, id, `a long note that mentions ${key} once among many other unrelated words about lunch and <b>tags</b>`)
    const strong = await send(bob, id, `${key} ${key} ${key}`)
    const response = await search(alice, key)
    expect(response.status).toBe(200)
    expect(ids(response)).toEqual([strong.id, weak.id])
    const [first, second] = response.body.results
    expect(first.rank).toBeGreaterThan(second.rank)
    expect(first.conversation).toEqual({ id, kind: 'group', name: expect.any(String) })
    expect(first.message).toMatchObject({ id: strong.id, conversationId: id, content: `${key} ${key} ${key}`, reactions: [], pinned: false })
    expect(first.snippet).toBe(`<mark>${key}</mark> <mark>${key}</mark> <mark>${key}</mark>`)
    expect(second.snippet).toContain(`<mark>${key}</mark>`)
    expect(second.snippet).toContain('&lt;b&gt;tags&lt;/b&gt;')
    expect(second.snippet).not.toContain('<b>')
  })

  test('matches a substring inside a word, a prefix with *, and a quoted phrase', async () => {
    const key = word()
    const id = conversation([alice])
    const deploy = await send(alice, id, `${key} deployment finished`)
    const phrase = await send(alice, id, `${key} the quick brown fox`)
    const scrambled = await send(alice, id, `${key} brown the quick fox`)
    expect(ids(await search(alice, `${key} loymen`))).toEqual([deploy.id])
    expect(ids(await search(alice, `${key} deplo*`))).toEqual([deploy.id])
    expect(ids(await search(alice, `${key} "quick brown"`))).toEqual([phrase.id])
    expect(new Set(ids(await search(alice, `${key} quick brown`)))).toEqual(new Set([phrase.id, scrambled.id]))
    // The key is a substring of itself inside a longer token too.
    expect(ids(await search(alice, key.slice(2, -2))).sort()).toEqual([deploy.id, phrase.id, scrambled.id].sort())
  })

  test('finds Chinese and Japanese text, including two-character words', async () => {
    const id = conversation([alice])
    const japanese = await send(alice, id, '今日は会議があります')
    const chinese = await send(alice, id, '数据库迁移完成')
    await send(alice, id, 'nothing to see here')
    const meeting = await search(alice, `会議 in:${id}`)
    expect(ids(meeting)).toEqual([japanese.id])
    expect(meeting.body.results[0].snippet).toBe('今日は<mark>会議</mark>があります')
    const database = await search(alice, `数据库 in:${id}`)
    expect(ids(database)).toEqual([chinese.id])
    expect(database.body.results[0].snippet).toBe('<mark>数据库</mark>迁移完成')
    expect(ids(await search(alice, `迁移完成 in:${id}`))).toEqual([chinese.id])
    expect(ids(await search(alice, `会議があり in:${id}`))).toEqual([japanese.id])
  })

  test('filters: in:, from:, has:file, before:/after:, is:thread', async () => {
    const key = word()
    const channelName = `c-${key}`
    const one = conversation([alice, bob], { kind: 'channel', name: channelName })
    const two = conversation([alice, bob])
    const inOne = await send(alice, one, `${key} alpha`)
    const fromBob = await send(bob, two, `${key} beta`)
    const root = await send(alice, two, `${key} root`)
    const reply = await send(bob, two, `${key} reply`, root.id)
    const fileId = newId()
    const now = new Date()
    server.ctx.db.insert(messages).values({ id: fileId, conversationId: two, seq: 100, senderId: alice.user.id, type: 'file', content: `${key}-report.pdf`, createdAt: now }).run()
    const voiceId = newId()
    server.ctx.db.insert(messages).values({ id: voiceId, conversationId: two, seq: 101, senderId: alice.user.id, type: 'voice', content: `${key} voice note`, createdAt: now }).run()

    expect(ids(await search(alice, `${key} in:${one}`))).toEqual([inOne.id])
    expect(ids(await search(alice, `${key} in:#${channelName}`))).toEqual([inOne.id])
    expect(new Set(ids(await search(alice, `${key} from:${bob.user.username}`)))).toEqual(new Set([fromBob.id, reply.id]))
    expect(new Set(ids(await search(alice, `${key} from:@${bob.user.username.toUpperCase()}`)))).toEqual(new Set([fromBob.id, reply.id]))
    expect(new Set(ids(await search(alice, `${key} has:file`)))).toEqual(new Set([fileId, voiceId]))
    expect(new Set(ids(await search(alice, `${key} is:thread`)))).toEqual(new Set([root.id, reply.id]))

    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10)
    expect(ids(await search(alice, `${key} before:${day(0)}`))).toEqual([])
    expect(ids(await search(alice, `${key} after:${day(0)}`))).toEqual([])
    expect(ids(await search(alice, `${key} before:${day(1)} after:${day(-1)}`))).toHaveLength(6)

    // Filter-only queries are allowed and come newest first.
    const filterOnly = await search(bob, `in:${two} from:${bob.user.username}`)
    expect(filterOnly.status).toBe(200)
    expect(ids(filterOnly)).toEqual([reply.id, fromBob.id])
    expect(filterOnly.body.results[0].rank).toBe(0)
  })

  test('pages with limit and nextCursor, without overlaps', async () => {
    const key = word()
    const id = conversation([alice])
    for (let i = 0; i < 5; i++) await send(alice, id, `${key} number ${i}`)
    const first = await search(alice, key, '&limit=2')
    expect(ids(first)).toHaveLength(2)
    expect(first.body.nextCursor).toBeString()
    const second = await search(alice, key, `&limit=2&cursor=${first.body.nextCursor}`)
    const third = await search(alice, key, `&limit=2&cursor=${second.body.nextCursor}`)
    expect(third.body.nextCursor).toBeUndefined()
    expect(new Set([...ids(first), ...ids(second), ...ids(third)]).size).toBe(5)
    expect((await search(alice, key, '&limit=51')).status).toBe(422)
    const badCursor = await search(alice, key, '&cursor=bm9wZQ')
    expect(badCursor.status).toBe(422)
    expectErrorShape(badCursor.body, 'CURSOR_INVALID')
  })

  test('outsiders never find a conversation, and leaving it stops its results', async () => {
    const key = word()
    const id = conversation([alice, bob])
    const secret = await send(alice, id, `${key} secret plans`)
    await send(alice, id, 'ok')
    expect(ids(await search(outsider, key))).toEqual([])
    expect(ids(await search(outsider, `${key} in:${id}`))).toEqual([])
    expect(ids(await search(outsider, `in:${id}`))).toEqual([])
    expect(ids(await search(outsider, 'ok'))).not.toContain(secret.id)
    expect(ids(await search(bob, key))).toEqual([secret.id])
    server.ctx.db.delete(participants).where(and(eq(participants.conversationId, id), eq(participants.userId, bob.user.id))).run()
    expect(ids(await search(bob, key))).toEqual([])
    expect(ids(await search(bob, `in:${id}`))).toEqual([])
  })

  test('an edit replaces the indexed text; a delete removes the message', async () => {
    const oldWord = word()
    const newWord = word()
    const id = conversation([alice])
    const message = await send(alice, id, `${oldWord} draft`)
    const edited = await server.request('PATCH', `/conversations/${id}/messages/${message.id}`, { token: alice.accessToken, body: { content: `${newWord} final` } })
    expect(edited.status).toBe(200)
    expect(ids(await search(alice, oldWord))).toEqual([])
    expect(ids(await search(alice, newWord))).toEqual([message.id])
    expect((await server.request('DELETE', `/conversations/${id}/messages/${message.id}`, { token: alice.accessToken })).status).toBe(200)
    expect(ids(await search(alice, newWord))).toEqual([])
    expect(ids(await search(alice, `in:${id}`))).toEqual([])
  })

  test('hostile and empty queries never fail with a 5xx', async () => {
    const id = conversation([alice])
    await send(alice, id, 'NEAR( "quoted" AND OR NOT ) it\'s 🎉 a 100% match_here \\ back say"hi"now')
    const hostile = ['"', '*', '""', '"*"', 'AND OR NOT', 'NEAR(', 'NEAR(a b, 2)', ')', "'", "it's", '100%', '_', '\\', '🎉', 'x'.repeat(600), '\u0000abc', 'col:value', '-foo', '^abc', '{a b}', 'a"b"c', 'in: from:', 'before:2024-13-45', 'has:pdf']
    for (const q of hostile) {
      const response = await search(alice, q)
      expect(response.status).toBeLessThan(500)
      if (response.status !== 200) expectErrorShape(response.body)
    }
    expect(ids(await search(alice, `🎉 in:${id}`))).toHaveLength(1)
    expect(ids(await search(alice, `100% in:${id}`))).toHaveLength(1)
    expect(ids(await search(alice, `"\\" in:${id}`))).toHaveLength(1)
    expect(ids(await search(alice, `say"hi" in:${id}`))).toHaveLength(1)
    expect(ids(await search(alice, `say"ho" in:${id}`))).toHaveLength(0)
    for (const q of ['', '   ', '"', '*']) {
      const empty = await search(alice, q)
      expect(empty.status).toBe(422)
      expectErrorShape(empty.body, 'QUERY_EMPTY')
    }
    const badDate = await search(alice, 'hello before:2024-02-30')
    expect(badDate.status).toBe(422)
    expectErrorShape(badDate.body, 'QUERY_INVALID')
    expect((await server.request('GET', '/search/messages?q=hello')).status).toBe(401)
  })
})

describe('query parsing', () => {
  test('splits text and filters; quoted filters are text', () => {
    const parsed = parseQuery('"in:nowhere" deplo* from:@Bob has:file is:thread in:#general')
    expect(parsed.terms).toEqual([{ text: 'in:nowhere', phrase: true }, { text: 'deplo', phrase: false }])
    expect(parsed.filters).toMatchObject({ from: ['bob'], hasFile: true, isThread: true, in: [{ name: 'general' }] })
  })

  test('a phrase can be narrowed to one of its indexed words; plain words never are', () => {
    const { terms } = parseQuery('"release notes of" deploy "ab cd" "x y zed"')
    expect(ftsMatch(terms)).toBe('"release" "notes" "deploy" "zed"')
    const offered: string[][] = []
    expect(ftsMatch(terms, (words) => (offered.push(words), words.at(-1)!))).toBe('"notes" "deploy" "zed"')
    expect(offered).toEqual([['release', 'notes']])
  })

  test('snippets escape everything but the marks and stay short around the first hit', () => {
    expect(snippet('<script>alert(1)</script> hit', [{ text: 'hit', phrase: false }])).toBe('&lt;script&gt;alert(1)&lt;/script&gt; <mark>hit</mark>')
    const long = `${'a'.repeat(300)} needle ${'b'.repeat(300)}`
    const cut = snippet(long, [{ text: 'needle', phrase: false }])
    expect(cut.startsWith('…')).toBe(true)
    expect(cut.endsWith('…')).toBe(true)
    expect(cut).toContain('<mark>needle</mark>')
    expect(cut.length).toBeLessThan(260)
  })
})

describe('very common words', () => {
  test('ranking looks at the newest readable hits, so hits in other people’s conversations never crowd out your own', async () => {
    const mine = conversation([alice])
    const old = await send(alice, mine, 'the walrus report from last year')
    const busy = conversation([bob])
    for (let i = 0; i < 2100; i++) server.ctx.services.messages.send(bob.user.id, busy, { content: `walrus sighting ${i}` })
    const found = await server.request('GET', `/search/messages?q=walrus`, { token: alice.accessToken })
    expect(found.status).toBe(200)
    expect(found.body.results.map((r: any) => r.message.id)).toEqual([old.id])
    const bobs = await server.request('GET', `/search/messages?q=walrus&limit=50`, { token: bob.accessToken })
    expect(bobs.body.results).toHaveLength(50)
    expect(bobs.body.results.every((r: any) => r.conversation.id === busy)).toBe(true)
    expect(bobs.body.nextCursor).toBeString()
    // Quoted phrases: matched by their rarest word in the index, then checked exactly.
    expect(ids(await search(alice, '"walrus report"'))).toEqual([old.id])
    expect(ids(await search(alice, '"report walrus"'))).toEqual([])
    expect(ids(await search(alice, '"walrus sighting"'))).toEqual([])
    const phrase = await search(bob, '"walrus sighting 1999"', '&limit=50')
    expect(phrase.body.results.map((r: any) => r.message.content)).toEqual(['walrus sighting 1999'])
    const common = await search(bob, '"walrus sighting"', '&limit=50')
    expect(common.body.results).toHaveLength(50)
    expect(common.body.nextCursor).toBeString()
  })
})
