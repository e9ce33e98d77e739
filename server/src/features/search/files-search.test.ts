import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { files } from '../../db/schema'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { seedConversation } from '../../../test/fixtures'
import { png, uploadSimple } from '../files/file-kit'

let server: TestServer
let alice: Session
let bob: Session
let outsider: Session
const zip = new Uint8Array(2_000)
zip.set([0x50, 0x4b, 0x03, 0x04], 0)

beforeAll(async () => {
  server = await startServer()
  alice = await server.register()
  bob = await server.register()
  outsider = await server.register()
})
afterAll(() => server.stop())

/** A word no other test uses, so each test sees only its own files. */
const word = () => `f${crypto.randomUUID().replace(/[^a-f]/g, '').slice(0, 10)}x`

async function upload(who: Session, name: string, bytes: Uint8Array = zip): Promise<{ id: string; name: string }> {
  const response = await uploadSimple(server, who, bytes, { name })
  if (response.status !== 201) throw new Error(`upload failed: ${response.status} ${JSON.stringify(response.body)}`)
  return response.body
}

async function attach(who: Session, conversationId: string, fileIds: string[]): Promise<{ id: string; seq: number }> {
  const response = await server.request('POST', `/conversations/${conversationId}/messages`, { token: who.accessToken, body: { content: 'see attached', attachments: fileIds } })
  if (response.status !== 201) throw new Error(`send failed: ${response.status} ${JSON.stringify(response.body)}`)
  return response.body
}

const search = (who: Session, q: string, extra = '') => server.request('GET', `/search/files?q=${encodeURIComponent(q)}${extra}`, { token: who.accessToken })
async function found(who: Session, q: string, extra = ''): Promise<string[]> {
  const response = await search(who, q, extra)
  if (response.status !== 200) throw new Error(`search failed: ${response.status} ${JSON.stringify(response.body)}`)
  return (response.body.results as Array<{ file: { id: string } }>).map((hit) => hit.file.id)
}

describe('file search', () => {
  test('finds your own files by a substring of the name, ranked, with an HTML-safe snippet', async () => {
    const key = word()
    const weak = await upload(alice, `Q3 ${key} & budget plan for the year.zip`)
    const strong = await upload(alice, `${key}-${key}.zip`)
    const response = await search(alice, key.slice(1, -1))
    expect(response.status).toBe(200)
    expect(response.body.results.map((hit: any) => hit.file.id)).toEqual([strong.id, weak.id])
    const [first, second] = response.body.results
    expect(first.rank).toBeGreaterThan(second.rank)
    expect(first.file).toMatchObject({ id: strong.id, name: `${key}-${key}.zip`, kind: 'other', mime: 'application/zip', size: 2_000, status: 'ready' })
    expect(first.attachedTo).toBeNull()
    expect(second.snippet).toBe(`Q3 ${key.slice(0, 1)}<mark>${key.slice(1, -1)}</mark>${key.slice(-1)} &amp; budget plan for the year.zip`)
    expect(await found(alice, `"${key} & budget"`)).toEqual([weak.id])
    expect(await found(alice, `"budget ${key}"`)).toEqual([])
  })

  test('finds Chinese and Japanese names, including two-character words', async () => {
    const key = word()
    const japanese = await upload(alice, `会議資料-${key}.zip`)
    const chinese = await upload(alice, `数据库迁移-${key}.zip`)
    expect(await found(alice, `会議資料 ${key}`)).toEqual([japanese.id])
    expect(await found(alice, `資料 ${key}`)).toEqual([japanese.id])
    expect(await found(alice, `迁移 ${key}`)).toEqual([chinese.id])
    const response = await search(alice, `数据库 ${key}`)
    expect(response.body.results[0].snippet).toBe(`<mark>数据库</mark>迁移-<mark>${key}</mark>.zip`)
  })

  test('members of a conversation where it is attached find it with where to jump; outsiders never do', async () => {
    const key = word()
    const conversationId = seedConversation(server, [alice, bob], { kind: 'channel', name: `c-${key}` })
    const file = await upload(alice, `contract-${key}.zip`)
    expect(await found(bob, key)).toEqual([])
    const message = await attach(alice, conversationId, [file.id])
    const response = await search(bob, key)
    expect(response.body.results.map((hit: any) => hit.file.id)).toEqual([file.id])
    expect(response.body.results[0].attachedTo).toEqual({ messageId: message.id, seq: message.seq, parentId: null, conversation: { id: conversationId, kind: 'channel', name: `c-${key}` } })
    expect(await found(bob, `${key} in:${conversationId}`)).toEqual([file.id])
    expect(await found(bob, `${key} in:#c-${key}`)).toEqual([file.id])
    expect(await found(outsider, key)).toEqual([])
    expect(await found(outsider, `contract-${key}.zip`)).toEqual([])
    expect(await found(outsider, `in:${conversationId}`)).toEqual([])
    expect(await found(outsider, `${key} from:${alice.user.username}`)).toEqual([])
    // Leaving the conversation takes its files out of your results at once.
    expect((await server.request('POST', `/conversations/${conversationId}/leave`, { token: bob.accessToken })).status).toBeLessThan(300)
    expect(await found(bob, key)).toEqual([])
  })

  test("a deleted message stops sharing its files: members lose them, the owner keeps finding them", async () => {
    const key = word()
    const conversationId = seedConversation(server, [alice, bob])
    const file = await upload(alice, `minutes-${key}.zip`)
    const message = await attach(alice, conversationId, [file.id])
    expect(await found(bob, key)).toEqual([file.id])
    expect((await server.request('DELETE', `/conversations/${conversationId}/messages/${message.id}`, { token: alice.accessToken })).status).toBe(200)
    expect(await found(bob, key)).toEqual([])
    const own = await search(alice, key)
    expect(own.body.results.map((hit: any) => hit.file.id)).toEqual([file.id])
    expect(own.body.results[0].attachedTo).toBeNull()
    // Shared again elsewhere: the live message is where the result points.
    const again = await attach(alice, conversationId, [file.id])
    expect((await search(bob, key)).body.results[0].attachedTo.messageId).toBe(again.id)
    // A thread reply carrying it says which thread to open.
    const reply = await server.request('POST', `/conversations/${conversationId}/messages`, { token: alice.accessToken, body: { content: 'again, in the thread', parentId: again.id, attachments: [file.id] } })
    expect(reply.status).toBe(201)
    expect((await search(bob, key)).body.results[0].attachedTo).toMatchObject({ messageId: reply.body.id, parentId: again.id })
  })

  test('filters: from:, kind, before:/after:, has:file; filter-only queries come newest first', async () => {
    const key = word()
    const conversationId = seedConversation(server, [alice, bob])
    const archive = await upload(alice, `${key}-archive.zip`)
    const picture = await upload(bob, `${key}-picture.png`, await png())
    await attach(alice, conversationId, [archive.id])
    await attach(bob, conversationId, [picture.id])
    expect(await found(alice, `${key} from:${bob.user.username}`)).toEqual([picture.id])
    expect(await found(alice, `${key} from:@${alice.user.username.toUpperCase()}`)).toEqual([archive.id])
    expect(await found(alice, key, '&kind=image')).toEqual([picture.id])
    expect(await found(alice, `${key} has:file`, '&kind=other')).toEqual([archive.id])
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10)
    expect(await found(alice, `${key} before:${day(0)}`)).toEqual([])
    expect(await found(alice, `${key} before:${day(1)} after:${day(-1)}`)).toHaveLength(2)
    const filterOnly = await search(alice, `in:${conversationId}`)
    expect(filterOnly.status).toBe(200)
    expect(filterOnly.body.results.map((hit: any) => hit.file.id)).toEqual([picture.id, archive.id])
    expect(filterOnly.body.results[0].rank).toBe(0)
  })

  test('an upload still in progress and an expired file (a past export) are not found', async () => {
    const key = word()
    const created = await server.request('POST', '/files/uploads', { token: alice.accessToken, body: { name: `${key}-pending.zip`, size: 5_000 } })
    expect(created.status).toBe(201)
    expect(await found(alice, key)).toEqual([])
    const exported = await upload(alice, `${key}-export.zip`)
    expect(await found(alice, key)).toEqual([exported.id])
    server.ctx.db.update(files).set({ expiresAt: new Date(Date.now() - 1_000) }).where(eq(files.id, exported.id)).run()
    expect(await found(alice, key)).toEqual([])
  })

  test('pages with limit and nextCursor, without overlaps', async () => {
    const key = word()
    for (let i = 0; i < 5; i++) await upload(alice, `${key}-${i}.zip`)
    const first = await search(alice, key, '&limit=2')
    expect(first.body.results).toHaveLength(2)
    const second = await search(alice, key, `&limit=2&cursor=${first.body.nextCursor}`)
    const third = await search(alice, key, `&limit=2&cursor=${second.body.nextCursor}`)
    expect(third.body.nextCursor).toBeUndefined()
    expect(new Set([...first.body.results, ...second.body.results, ...third.body.results].map((hit: any) => hit.file.id)).size).toBe(5)
  })

  test('bad input answers a typed error, never a 5xx', async () => {
    for (const q of ['', '   ', '"', '*']) {
      const empty = await search(alice, q)
      expect(empty.status).toBe(422)
      expectErrorShape(empty.body, 'QUERY_EMPTY')
    }
    const thread = await search(alice, 'report is:thread')
    expect(thread.status).toBe(422)
    expectErrorShape(thread.body, 'QUERY_INVALID')
    const badDate = await search(alice, 'report after:2024-02-30')
    expect(badDate.status).toBe(422)
    expectErrorShape(badDate.body, 'QUERY_INVALID')
    const badCursor = await search(alice, 'report', '&cursor=bm9wZQ')
    expect(badCursor.status).toBe(422)
    expectErrorShape(badCursor.body, 'CURSOR_INVALID')
    for (const extra of ['&kind=pdf', '&limit=0', '&limit=51', '&limit=x']) {
      const response = await search(alice, 'report', extra)
      expect(response.status).toBe(422)
      expectErrorShape(response.body)
    }
    for (const q of ['NEAR(', 'AND OR NOT', '"*"', '%', '_', '\\', '🎉', 'x'.repeat(600), '\u0000abc', 'a"b"c']) {
      const response = await search(alice, q)
      expect(response.status).toBeLessThan(500)
      if (response.status !== 200) expectErrorShape(response.body)
    }
    const anonymous = await server.request('GET', '/search/files?q=report')
    expect(anonymous.status).toBe(401)
    expectErrorShape(anonymous.body, 'UNAUTHORIZED')
    const noQuery = await server.request('GET', '/search/files', { token: alice.accessToken })
    expect(noQuery.status).toBe(422)
    expectErrorShape(noQuery.body)
  })

  test('is documented in Swagger under the search tag', async () => {
    const doc = (await server.request('GET', '/swagger/json')).body
    const operation = doc.paths['/search/files'].get
    expect(operation.tags).toEqual(['search'])
    expect(operation.summary).toContain('files by name')
    expect(operation.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['cursor', 'kind', 'limit', 'q'])
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '401', '422']))
  })
})
