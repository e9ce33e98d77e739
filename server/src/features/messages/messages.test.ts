import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { and, eq } from 'drizzle-orm'
import { conversations, participants } from '../../db/schema'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { seedConversation } from '../../../test/fixtures'

let server: TestServer
let alice: Session
let bob: Session
let carol: Session
let outsider: Session

beforeAll(async () => {
  server = await startServer()
  ;[alice, bob, carol, outsider] = await Promise.all([server.register(), server.register(), server.register(), server.register()])
})
afterAll(() => server.stop())

/** A group conversation made directly in the database, so these tests depend only on messaging. */
function conversation(members: Session[], roles: Record<string, 'owner' | 'moderator' | 'member'> = {}): string {
  return seedConversation(server, members, { roles })
}

const send = (who: Session, conversationId: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
  server.request('POST', `/conversations/${conversationId}/messages`, { token: who.accessToken, body, headers })
const list = (who: Session, conversationId: string, query = '') => server.request('GET', `/conversations/${conversationId}/messages${query}`, { token: who.accessToken })

describe('sending', () => {
  test('messages get consecutive seqs; the sender has read its own message', async () => {
    const id = conversation([alice, bob])
    const first = await send(alice, id, { content: 'hello' })
    const second = await send(bob, id, { content: 'hi there' })
    expect(first.status).toBe(201)
    expect(first.body).toMatchObject({ seq: 1, content: 'hello', senderId: alice.user.id, type: 'text', conversationId: id, deletedAt: null })
    expect(second.body.seq).toBe(2)
    const row = server.ctx.db.select().from(participants).where(and(eq(participants.conversationId, id), eq(participants.userId, bob.user.id))).get()
    expect(row?.lastReadSeq).toBe(2)
    expect(server.ctx.db.select().from(conversations).where(eq(conversations.id, id)).get()?.lastSeq).toBe(2)
  })

  test('concurrent senders never share or skip a seq', async () => {
    const id = conversation([alice, bob, carol])
    const burst = await Promise.all([alice, bob, carol].flatMap((who) => Array.from({ length: 30 }, (_, i) => send(who, id, { content: `m${i}`, clientMsgId: `burst-${who.user.id}-${i}` }))))
    expect(burst.every((r) => r.status === 201)).toBe(true)
    const seqs = burst.map((r) => r.body.seq).sort((a, b) => a - b)
    expect(seqs).toEqual(Array.from({ length: 90 }, (_, i) => i + 1))
  })

  test('a retried send with the same clientMsgId (or Idempotency-Key) returns the original, never a duplicate', async () => {
    const id = conversation([alice, bob])
    const original = await send(alice, id, { content: 'once', clientMsgId: 'retry-1' })
    const retry = await send(alice, id, { content: 'once', clientMsgId: 'retry-1' })
    expect(original.status).toBe(201)
    expect(retry.status).toBe(200)
    expect(retry.body.id).toBe(original.body.id)
    const viaHeader = await send(alice, id, { content: 'twice' }, { 'idempotency-key': 'retry-2' })
    const viaHeaderAgain = await send(alice, id, { content: 'twice' }, { 'idempotency-key': 'retry-2' })
    expect(viaHeaderAgain.status).toBe(200)
    expect(viaHeaderAgain.body.id).toBe(viaHeader.body.id)
    // Another sender may use the same client id: it is unique per sender.
    expect((await send(bob, id, { content: 'mine', clientMsgId: 'retry-1' })).status).toBe(201)
    expect((await list(alice, id)).body.messages).toHaveLength(3)
    const elsewhere = await send(alice, conversation([alice]), { content: 'once', clientMsgId: 'retry-1' })
    expect(elsewhere.status).toBe(409)
    expectErrorShape(elsewhere.body, 'CLIENT_MSG_ID_REUSED')
  })

  test('outsiders get 404 for every message route, and nothing is written', async () => {
    const id = conversation([alice, bob])
    const message = (await send(alice, id, { content: 'private' })).body
    for (const response of [
      await send(outsider, id, { content: 'let me in' }),
      await list(outsider, id),
      await server.request('GET', `/conversations/${id}/messages/${message.id}`, { token: outsider.accessToken }),
      await server.request('PATCH', `/conversations/${id}/messages/${message.id}`, { token: outsider.accessToken, body: { content: 'x' } }),
      await server.request('DELETE', `/conversations/${id}/messages/${message.id}`, { token: outsider.accessToken }),
      await server.request('PUT', `/conversations/${id}/messages/${message.id}/reactions/%F0%9F%91%8D`, { token: outsider.accessToken }),
      await server.request('GET', `/conversations/${id}/pins`, { token: outsider.accessToken }),
    ]) {
      expect(response.status).toBe(404)
      expectErrorShape(response.body, 'CONVERSATION_NOT_FOUND')
    }
    expect((await list(alice, id)).body.messages).toHaveLength(1)
  })

  test('blank, oversize and archived sends are refused with typed errors', async () => {
    const id = conversation([alice])
    const blank = await send(alice, id, { content: '   \n ' })
    expect(blank.status).toBe(400)
    expectErrorShape(blank.body, 'EMPTY_MESSAGE')
    expect((await send(alice, id, { content: '' })).status).toBe(422)
    expect((await send(alice, id, { content: 'x'.repeat(10_001) })).status).toBe(422)
    expect((await send(alice, id, { content: 'x'.repeat(10_000) })).status).toBe(201)
    server.ctx.db.update(conversations).set({ archivedAt: new Date() }).where(eq(conversations.id, id)).run()
    const archived = await send(alice, id, { content: 'too late' })
    expect(archived.status).toBe(403)
    expectErrorShape(archived.body, 'CONVERSATION_ARCHIVED')
    expect((await list(alice, id)).status).toBe(200)
  })
})

describe('history', () => {
  let id: string
  beforeAll(async () => {
    id = conversation([alice, bob])
    for (let i = 1; i <= 120; i++) await send(i % 2 ? alice : bob, id, { content: `message ${i}` })
  })

  const seqs = (body: any) => body.messages.map((m: any) => m.seq)
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

  test('the default page is the newest 50, oldest first', async () => {
    const page = await list(bob, id)
    expect(seqs(page.body)).toEqual(range(71, 120))
    expect(page.body).toMatchObject({ hasMoreBefore: true, hasMoreAfter: false })
  })

  test('before, after and around walk the seq space without gaps or overlaps', async () => {
    const before = await list(bob, id, '?before=71')
    expect(seqs(before.body)).toEqual(range(21, 70))
    expect(before.body).toMatchObject({ hasMoreBefore: true, hasMoreAfter: true })
    const start = await list(bob, id, '?before=21')
    expect(seqs(start.body)).toEqual(range(1, 20))
    expect(start.body.hasMoreBefore).toBe(false)
    const after = await list(bob, id, '?after=100&limit=10')
    expect(seqs(after.body)).toEqual(range(101, 110))
    expect(after.body).toMatchObject({ hasMoreBefore: true, hasMoreAfter: true })
    const end = await list(bob, id, '?after=110&limit=10')
    expect(seqs(end.body)).toEqual(range(111, 120))
    expect(end.body.hasMoreAfter).toBe(false)
    const around = await list(bob, id, '?around=60&limit=10')
    expect(seqs(around.body)).toEqual(range(55, 64))
    expect(around.body).toMatchObject({ hasMoreBefore: true, hasMoreAfter: true })
  })

  test('limits are bounded: 0 and 201 are 422, 200 works', async () => {
    expect((await list(bob, id, '?limit=0')).status).toBe(422)
    expect((await list(bob, id, '?limit=201')).status).toBe(422)
    expect(seqs((await list(bob, id, '?limit=200')).body)).toEqual(range(1, 120))
  })
})

describe('edits, deletes, reactions, pins', () => {
  test('only the author edits; the previous text goes to the edit history', async () => {
    const id = conversation([alice, bob])
    const message = (await send(alice, id, { content: 'frist' })).body
    const edited = await server.request('PATCH', `/conversations/${id}/messages/${message.id}`, { token: alice.accessToken, body: { content: 'first' } })
    expect(edited.status).toBe(200)
    expect(edited.body.content).toBe('first')
    expect(edited.body.editedAt).toBeString()
    expect(edited.body.seq).toBe(message.seq)
    const history = await server.request('GET', `/conversations/${id}/messages/${message.id}/edits`, { token: bob.accessToken })
    expect(history.body.map((e: any) => e.previousContent)).toEqual(['frist'])
    const notMine = await server.request('PATCH', `/conversations/${id}/messages/${message.id}`, { token: bob.accessToken, body: { content: 'hacked' } })
    expect(notMine.status).toBe(403)
    expectErrorShape(notMine.body, 'NOT_AUTHOR')
  })

  test('delete leaves a tombstone with its seq; text, history and reactions go; moderators may delete others', async () => {
    const id = conversation([alice, bob, carol], { [carol.user.id]: 'moderator' })
    const mine = (await send(alice, id, { content: 'oops' })).body
    await server.request('PATCH', `/conversations/${id}/messages/${mine.id}`, { token: alice.accessToken, body: { content: 'oops!' } })
    await server.request('PUT', `/conversations/${id}/messages/${mine.id}/reactions/%F0%9F%91%8D`, { token: bob.accessToken })
    expect((await server.request('DELETE', `/conversations/${id}/messages/${mine.id}`, { token: bob.accessToken })).status).toBe(403)
    const deleted = await server.request('DELETE', `/conversations/${id}/messages/${mine.id}`, { token: alice.accessToken })
    expect(deleted.status).toBe(200)
    expect(deleted.body).toMatchObject({ seq: mine.seq, content: '', reactions: [] })
    expect(deleted.body.deletedAt).toBeString()
    expect((await server.request('GET', `/conversations/${id}/messages/${mine.id}/edits`, { token: alice.accessToken })).body).toEqual([])
    const page = await list(bob, id)
    expect(page.body.messages.map((m: any) => m.seq)).toEqual([mine.seq])
    const editDeleted = await server.request('PATCH', `/conversations/${id}/messages/${mine.id}`, { token: alice.accessToken, body: { content: 'back' } })
    expect(editDeleted.status).toBe(409)
    expectErrorShape(editDeleted.body, 'MESSAGE_DELETED')

    const bobs = (await send(bob, id, { content: 'rude' })).body
    expect((await server.request('DELETE', `/conversations/${id}/messages/${bobs.id}`, { token: carol.accessToken })).status).toBe(200)
  })

  test('reactions are unique per user and emoji, counted, and marked as mine', async () => {
    const id = conversation([alice, bob])
    const message = (await send(alice, id, { content: 'ship it?' })).body
    const thumbs = encodeURIComponent('👍')
    await server.request('PUT', `/conversations/${id}/messages/${message.id}/reactions/${thumbs}`, { token: alice.accessToken })
    await server.request('PUT', `/conversations/${id}/messages/${message.id}/reactions/${thumbs}`, { token: alice.accessToken })
    const both = await server.request('PUT', `/conversations/${id}/messages/${message.id}/reactions/${thumbs}`, { token: bob.accessToken })
    expect(both.body.reactions).toEqual([{ emoji: '👍', count: 2, userIds: [alice.user.id, bob.user.id], me: true }])
    await server.request('PUT', `/conversations/${id}/messages/${message.id}/reactions/${encodeURIComponent(':tada:')}`, { token: bob.accessToken })
    const removed = await server.request('DELETE', `/conversations/${id}/messages/${message.id}/reactions/${thumbs}`, { token: alice.accessToken })
    expect(removed.body.reactions).toEqual([
      { emoji: '👍', count: 1, userIds: [bob.user.id], me: false },
      { emoji: ':tada:', count: 1, userIds: [bob.user.id], me: false },
    ])
  })

  test('pins: pin, list, unpin', async () => {
    const id = conversation([alice, bob])
    const message = (await send(alice, id, { content: 'the plan' })).body
    const pinned = await server.request('PUT', `/conversations/${id}/messages/${message.id}/pin`, { token: bob.accessToken })
    expect(pinned.body.pinned).toBe(true)
    expect((await server.request('GET', `/conversations/${id}/pins`, { token: alice.accessToken })).body.map((m: any) => m.id)).toEqual([message.id])
    await server.request('DELETE', `/conversations/${id}/messages/${message.id}/pin`, { token: alice.accessToken })
    expect((await server.request('GET', `/conversations/${id}/pins`, { token: alice.accessToken })).body).toEqual([])
  })

  test('an unknown message is 404 MESSAGE_NOT_FOUND, also when it lives in another conversation', async () => {
    const id = conversation([alice])
    const other = conversation([alice])
    const message = (await send(alice, other, { content: 'elsewhere' })).body
    const response = await server.request('GET', `/conversations/${id}/messages/${message.id}`, { token: alice.accessToken })
    expect(response.status).toBe(404)
    expectErrorShape(response.body, 'MESSAGE_NOT_FOUND')
  })
})

describe('threads and mentions', () => {
  test('replies count on the root; a reply to a reply joins the root thread; rootsOnly hides replies', async () => {
    const id = conversation([alice, bob])
    const root = (await send(alice, id, { content: 'root' })).body
    const reply = (await send(bob, id, { content: 'reply', parentId: root.id })).body
    const nested = (await send(alice, id, { content: 'nested', parentId: reply.id })).body
    expect(reply.parentId).toBe(root.id)
    expect(nested.parentId).toBe(root.id)
    const thread = await server.request('GET', `/conversations/${id}/messages/${root.id}/thread`, { token: bob.accessToken })
    expect(thread.body.root).toMatchObject({ id: root.id, replyCount: 2 })
    expect(thread.body.root.lastReplyAt).toBeString()
    expect(thread.body.replies.map((m: any) => m.content)).toEqual(['reply', 'nested'])
    expect((await list(alice, id, '?rootsOnly=true')).body.messages.map((m: any) => m.id)).toEqual([root.id])
    expect((await list(alice, id)).body.messages).toHaveLength(3)
    const notRoot = await server.request('GET', `/conversations/${id}/messages/${reply.id}/thread`, { token: bob.accessToken })
    expect(notRoot.status).toBe(400)
    expectErrorShape(notRoot.body, 'NOT_A_THREAD_ROOT')
    const missing = await send(alice, id, { content: 'to nowhere', parentId: '01890000-0000-7000-8000-000000000000' })
    expect(missing.status).toBe(404)
    expectErrorShape(missing.body, 'PARENT_NOT_FOUND')
  })

  test('@username resolves to participants only; @channel and @here are flags; code is not a mention', async () => {
    const id = conversation([alice, bob])
    const message = await send(alice, id, { content: `hey @${bob.user.username} and @${outsider.user.username}, @here please; \`@${alice.user.username}\`` })
    expect(message.body.mentions).toEqual({ users: [bob.user.id], channel: false, here: true })
    const everyone = await send(alice, id, { content: '@everyone lunch' })
    expect(everyone.body.mentions).toEqual({ users: [], channel: true, here: false })
    const edited = await server.request('PATCH', `/conversations/${id}/messages/${everyone.body.id}`, { token: alice.accessToken, body: { content: `only @${bob.user.username}` } })
    expect(edited.body.mentions).toEqual({ users: [bob.user.id], channel: false, here: false })
  })
})
