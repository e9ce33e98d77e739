import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { and, eq, isNull, sql } from 'drizzle-orm'
import { QUEUES } from '../../contracts/jobs'
import { conversations, files, messages } from '../../db/schema'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { conversationKit } from '../../../test/conversation-kit'
import { freePort } from '../../../test/redis'
import { TestSocket } from '../../../test/socket'
import { waitFor } from '../../../test/wait'
import { startWorker, type TestWorker } from '../../../../worker/test/harness'
import { waitForWorkers } from '../../../../worker/test/fleet'
import { UrlSigner } from '../files/signing'

let worker: TestWorker
let server: TestServer
let alice: Session
let bob: Session
let carol: Session
let channelId: string
let kit: ReturnType<typeof conversationKit>
const ids: Record<'edited' | 'deleted' | 'reacted' | 'threadRoot' | 'attached' | 'file', string> = {} as never
const DAY = 86_400_000
const BASE = Date.parse('2026-01-01T00:00:00.000Z')

async function finished(session: Session, id: string) {
  return waitFor(async () => {
    const row = (await server.request('GET', `/exports/${id}`, { token: session.accessToken })).body
    return row.status === 'completed' || row.status === 'failed' ? row : undefined
  }, `export ${id} to finish`, 90_000)
}

async function exportText(session: Session, id: string): Promise<{ type: string | null; text: string }> {
  const link = await server.request('GET', `/exports/${id}/download`, { token: session.accessToken })
  expect(link.status).toBe(200)
  const response = await fetch(server.url + link.body.url)
  expect(response.status).toBe(200)
  return { type: response.headers.get('content-type'), text: await response.text() }
}

beforeAll(async () => {
  worker = await startWorker(QUEUES.reports, { WORKER_QUEUES: QUEUES.reports })
  await waitForWorkers(worker.queue, 1)
  // The API shares the worker's database, storage directory and Redis prefix, as in production.
  server = await startServer({ REDIS_PREFIX: worker.prefix, DATA_DIR: worker.dataDir })
  kit = conversationKit(server)
  alice = await server.register({ displayName: 'Alice' })
  bob = await server.register({ displayName: 'Bob' })
  carol = await server.register({ displayName: 'Carol' })
  const workspaceId = kit.createWorkspace(alice, [[bob, 'member'], [carol, 'member']])
  channelId = (await kit.createChannel(alice, workspaceId, { name: 'history' })).id
  expect((await kit.call(alice, 'POST', `/conversations/${channelId}/participants`, { userIds: [bob.user.id] })).status).toBe(200)

  const upload = await server.request('POST', '/files?name=notes.txt', { token: alice.accessToken, raw: 'meeting notes', headers: { 'content-type': 'application/octet-stream' } })
  expect(upload.status).toBe(201)
  ids.file = upload.body.id
  // 1,198 top-level messages and 2 thread replies, seeded through the messages service (HTTP would add minutes, not coverage).
  const { messages: service } = server.ctx.services
  const sent: string[] = []
  for (let i = 1; i <= 1197; i++) sent.push(service.send(i % 3 === 0 ? bob.user.id : alice.user.id, channelId, { content: `message ${i}` }).message.id)
  ids.attached = service.send(alice.user.id, channelId, { content: 'see attached', attachments: [ids.file] }).message.id
  ids.edited = sent[9]!
  ids.deleted = sent[19]!
  ids.reacted = sent[29]!
  ids.threadRoot = sent[39]!
  service.edit(alice.user.id, channelId, ids.edited, 'message 10 fixed')
  service.delete(alice.user.id, channelId, ids.deleted)
  service.react(bob.user.id, channelId, ids.reacted, '👍', true)
  service.react(alice.user.id, channelId, ids.reacted, '👍', true)
  service.react(alice.user.id, channelId, ids.reacted, '🎉', true)
  service.send(bob.user.id, channelId, { content: 'reply one', parentId: ids.threadRoot })
  service.send(alice.user.id, channelId, { content: 'reply two', parentId: ids.threadRoot })
  // Three minutes apart from 2026-01-01: the history spans three UTC days.
  server.ctx.db.update(messages).set({ createdAt: sql`${BASE} + ${messages.seq} * 180000` }).where(eq(messages.conversationId, channelId)).run()
}, 120_000)

afterAll(async () => {
  await server?.stop()
  await worker?.stop()
})

function roots(from = 0, to = Number.MAX_SAFE_INTEGER): number {
  return server.ctx.db.select({ count: sql<number>`count(*)` }).from(messages)
    .where(and(eq(messages.conversationId, channelId), isNull(messages.parentId), sql`${messages.createdAt} >= ${from} and ${messages.createdAt} < ${to}`)).get()!.count
}

describe('conversation export through a real worker process', () => {
  test('Markdown with threads: day headings, every message once, edits, reactions, attachments, tombstones; progress reaches the requester', async () => {
    const socket = await TestSocket.ready(server.url, alice.accessToken)
    const created = await server.request('POST', `/conversations/${channelId}/exports`, { token: alice.accessToken, body: { format: 'markdown', includeThreads: true } })
    expect(created.status).toBe(202)
    expect(created.body).toMatchObject({ status: 'queued', format: 'markdown', includeThreads: true, fileId: null })
    const done = await finished(alice, created.body.id)
    const total = roots()
    expect(total).toBeGreaterThanOrEqual(1198)
    expect(done).toMatchObject({ status: 'completed', percent: 100, stage: 'done', messageCount: total + 2, fileId: created.body.id, error: null })

    const { type, text } = await exportText(alice, done.id)
    expect(type).toStartWith('text/markdown')
    const lines = text.split('\n')
    expect(lines[0]).toBe('# history')
    expect(lines.filter((line) => /^\*\*(Alice|Bob|System)\*\* \d\d:\d\d$/.test(line))).toHaveLength(total)
    expect(lines.filter((line) => /^> \*\*(Alice|Bob)\*\* \d\d:\d\d$/.test(line))).toHaveLength(2)
    expect(lines.filter((line) => line.startsWith('## '))).toEqual(['## 2026-01-01', '## 2026-01-02', '## 2026-01-03'])
    expect(lines).toContain('message 10 fixed (edited)')
    expect(lines.filter((line) => line.endsWith('(edited)'))).toHaveLength(1)
    expect(lines).toContain('Reactions: 👍 2 · 🎉 1')
    expect(lines).toContain(`Attachments: notes.txt (${ids.file})`)
    expect(lines.filter((line) => line === '_(message deleted)_')).toHaveLength(1)
    expect(lines).not.toContain('message 20')
    // Replies sit right under their root, quoted.
    const root = lines.indexOf('message 40')
    const thread = lines.slice(root + 1, root + 8)
    expect(thread[0]).toBe('')
    expect(thread[1]).toMatch(/^> \*\*Bob\*\* \d\d:\d\d$/)
    expect(thread.slice(2, 4)).toEqual(['> reply one', ''])
    expect(thread[4]).toMatch(/^> \*\*Alice\*\* \d\d:\d\d$/)
    expect(thread.slice(5, 7)).toEqual(['> reply two', ''])
    // Messages in seq order.
    const numbers = lines.map((line) => /^message (\d+)$/.exec(line)?.[1]).filter(Boolean).map(Number)
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b))

    const pages = Math.ceil(total / 200)
    await socket.next((e) => e.type === 'job.progress' && e.jobId === done.id && e.state === 'completed')
    const items = socket.events.filter((e) => e.type === 'job.progress' && e.jobId === done.id && e.stage === 'messages').map((e) => e.item)
    expect(items).toEqual(Array.from({ length: pages }, (_, i) => ({ index: i + 1, total: pages })))
    expect(socket.events.filter((e) => e.type === 'job.progress' && e.jobId === done.id).every((e) => e.queue === 'reports')).toBe(true)
    socket.close()
  }, 120_000)

  test('JSON lines without threads: a header, then one message view per top-level message in range; tombstones carry no content', async () => {
    const from = new Date(BASE + DAY).toISOString()
    const to = new Date(BASE + 2 * DAY).toISOString()
    const created = await server.request('POST', `/conversations/${channelId}/exports`, { token: bob.accessToken, body: { format: 'json', from, to } })
    expect(created.status).toBe(202)
    expect((await finished(bob, created.body.id)).status).toBe('completed')
    const { type, text } = await exportText(bob, created.body.id)
    expect(type).toStartWith('application/jsonl')
    const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line))
    expect(lines[0]).toMatchObject({ type: 'header', conversation: { id: channelId, kind: 'channel', name: 'history' }, from, to, includeThreads: false })
    const views = lines.slice(1).map((line) => line.message)
    expect(lines.slice(1).every((line) => line.type === 'message')).toBe(true)
    expect(views).toHaveLength(roots(BASE + DAY, BASE + 2 * DAY))
    expect(views.every((view) => view.parentId === null && view.createdAt >= from && view.createdAt < to)).toBe(true)
    expect(views.map((v) => v.seq)).toEqual([...views.map((v) => v.seq)].sort((a, b) => a - b))

    const all = await server.request('POST', `/conversations/${channelId}/exports`, { token: bob.accessToken, body: { format: 'json' } })
    await finished(bob, all.body.id)
    const everything = (await exportText(bob, all.body.id)).text.trimEnd().split('\n').map((line) => JSON.parse(line))
    expect(everything).toHaveLength(roots() + 1)
    const byId = new Map(everything.slice(1).map((line) => [line.message.id, line.message]))
    expect(byId.get(ids.deleted)).toMatchObject({ content: '', reactions: [], attachments: [] })
    expect(byId.get(ids.deleted).deletedAt).not.toBeNull()
    expect(byId.get(ids.edited)).toMatchObject({ content: 'message 10 fixed' })
    expect(byId.get(ids.edited).editedAt).not.toBeNull()
    expect(byId.get(ids.reacted).reactions.map((r: any) => [r.emoji, r.count])).toEqual([['👍', 2], ['🎉', 1]])
    expect(byId.get(ids.attached).attachments).toEqual([ids.file])
    expect(byId.get(ids.threadRoot).replyCount).toBe(2)
    expect(text).not.toContain('reply one')
  }, 120_000)

  test('my exports are listed newest first; someone else\'s export is 404 everywhere', async () => {
    const mine = await server.request('GET', '/exports', { token: bob.accessToken })
    expect(mine.status).toBe(200)
    expect(mine.body.exports).toHaveLength(2)
    expect(mine.body.exports[0].createdAt >= mine.body.exports[1].createdAt).toBe(true)
    expect(mine.body.exports[0].from).toBeNull()
    const aliceExport = (await server.request('GET', '/exports', { token: alice.accessToken })).body.exports[0].id
    for (const path of [`/exports/${aliceExport}`, `/exports/${aliceExport}/download`]) {
      const refused = await server.request('GET', path, { token: bob.accessToken })
      expect(refused.status).toBe(404)
      expectErrorShape(refused.body, 'EXPORT_NOT_FOUND')
    }
    // The stored file is Alice's: Bob cannot get a link to it through the files feature either.
    expect((await server.request('GET', `/files/${aliceExport}/url`, { token: bob.accessToken })).status).toBe(404)
    expect((await server.request('GET', '/exports')).status).toBe(401)
  })

  test('the signed URL works without a token, is bound to its signature and expires', async () => {
    const id = (await server.request('GET', '/exports', { token: alice.accessToken })).body.exports[0].id
    const link = await server.request('GET', `/exports/${id}/download`, { token: alice.accessToken })
    expect(Date.parse(link.body.expiresAt)).toBeGreaterThan(Date.now())
    const redirected = await server.request('GET', `/exports/${id}/download?redirect=true`, { token: alice.accessToken })
    expect(redirected.status).toBe(302)
    expect(redirected.headers.get('location')).toStartWith(`/files/${id}/content?`)
    expect((await fetch(server.url + redirected.headers.get('location'))).status).toBe(200)
    expect((await server.request('GET', `/exports/${id}/download?redirect=maybe`, { token: alice.accessToken })).status).toBe(422)
    const tampered = await fetch(server.url + link.body.url.replace(/sig=[^&]+/, 'sig=AAAA'))
    expect(tampered.status).toBe(403)
    const signer = new UrlSigner(server.ctx.config.files.urlSecret, 300)
    const expired = signer.sign({ fileId: id, variant: 'original', userId: alice.user.id }, Date.now() - 3600_000)
    const gone = await fetch(server.url + expired.path)
    expect(gone.status).toBe(410)
    expectErrorShape(await gone.json(), 'URL_EXPIRED')
  })

  test('non-participants get 404, lounge members who are not moderators 403, bad input 422', async () => {
    const outsider = await server.request('POST', `/conversations/${channelId}/exports`, { token: carol.accessToken, body: { format: 'markdown' } })
    expect(outsider.status).toBe(404)
    expectErrorShape(outsider.body, 'CONVERSATION_NOT_FOUND')
    const unknown = await server.request('POST', '/conversations/nope/exports', { token: alice.accessToken, body: { format: 'markdown' } })
    expect(unknown.status).toBe(404)

    const lounge = (await kit.createChannel(alice, kit.createWorkspace(alice, [[bob, 'member']]))).id
    await kit.call(alice, 'POST', `/conversations/${lounge}/participants`, { userIds: [bob.user.id] })
    server.ctx.db.update(conversations).set({ kind: 'lounge' }).where(eq(conversations.id, lounge)).run()
    const member = await server.request('POST', `/conversations/${lounge}/exports`, { token: bob.accessToken, body: { format: 'json' } })
    expect(member.status).toBe(403)
    expectErrorShape(member.body, 'NOT_LOUNGE_MODERATOR')
    const owner = await server.request('POST', `/conversations/${lounge}/exports`, { token: alice.accessToken, body: { format: 'json' } })
    expect(owner.status).toBe(202)
    expect((await finished(alice, owner.body.id)).status).toBe('completed')

    const bad = [
      { format: 'pdf' },
      {},
      { format: 'json', from: 'yesterday' },
      { format: 'json', includeThreads: 'yes' },
      { format: 'json', extra: 1 },
      { format: 'json', from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' },
    ]
    for (const body of bad) {
      const refused = await server.request('POST', `/conversations/${channelId}/exports`, { token: alice.accessToken, body })
      expect(refused.status).toBe(422)
      expectErrorShape(refused.body)
    }
  }, 60_000)

  test('at most 3 running exports per user (429); one removed from the conversation before the job runs gets failed exports, not the data', async () => {
    await worker.queue.pause()
    const started: string[] = []
    let unaffected = ''
    try {
      for (let i = 0; i < 3; i++) {
        const created = await server.request('POST', `/conversations/${channelId}/exports`, { token: bob.accessToken, body: { format: 'markdown' } })
        expect(created.status).toBe(202)
        started.push(created.body.id)
      }
      const fourth = await server.request('POST', `/conversations/${channelId}/exports`, { token: bob.accessToken, body: { format: 'markdown' } })
      expect(fourth.status).toBe(429)
      expectErrorShape(fourth.body, 'TOO_MANY_EXPORTS')
      // Alice's own limit is separate.
      const other = await server.request('POST', `/conversations/${channelId}/exports`, { token: alice.accessToken, body: { format: 'json', from: '2026-01-03T00:00:00Z' } })
      expect(other.status).toBe(202)
      unaffected = other.body.id
      expect((await kit.call(alice, 'DELETE', `/conversations/${channelId}/participants/${bob.user.id}`)).status).toBe(204)
    } finally {
      await worker.queue.resume()
    }
    for (const id of started) {
      const failed = await finished(bob, id)
      expect(failed).toMatchObject({ status: 'failed', fileId: null, error: 'You can no longer read this conversation' })
      const link = await server.request('GET', `/exports/${id}/download`, { token: bob.accessToken })
      expect(link.status).toBe(409)
      expectErrorShape(link.body, 'EXPORT_NOT_READY')
    }
    expect(server.ctx.db.select().from(files).where(eq(files.ownerId, bob.user.id)).all().filter((f) => started.includes(f.id))).toEqual([])
    expect((await finished(alice, unaffected)).status).toBe('completed')
  }, 120_000)
})

describe('without Redis', () => {
  test('an export answers 503 JOBS_UNAVAILABLE and keeps nothing, while reads keep working', async () => {
    const offline = await startServer({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` })
    try {
      const user = await offline.register()
      const okit = conversationKit(offline)
      const channel = (await okit.createChannel(user, okit.createWorkspace(user))).id
      const response = await offline.request('POST', `/conversations/${channel}/exports`, { token: user.accessToken, body: { format: 'markdown' } })
      expect(response.status).toBe(503)
      expectErrorShape(response.body, 'JOBS_UNAVAILABLE')
      const listed = await offline.request('GET', '/exports', { token: user.accessToken })
      expect(listed.body.exports).toEqual([])
    } finally {
      await offline.stop()
    }
  }, 30_000)
})
