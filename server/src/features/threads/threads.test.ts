import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { notifications } from '../../db/schema'
import { newId } from '../../lib/crypto'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { seedConversation } from '../../../test/fixtures'
import { TestSocket } from '../../../test/socket'

let server: TestServer
let alice: Session
let bob: Session
let carol: Session
let outsider: Session
const sockets: TestSocket[] = []

beforeAll(async () => {
  server = await startServer()
  ;[alice, bob, carol, outsider] = await Promise.all([server.register(), server.register(), server.register(), server.register()])
})
afterAll(async () => {
  for (const socket of sockets) socket.close()
  await server.stop()
})

function conversation(members: Session[]): string {
  return seedConversation(server, members)
}

const send = async (who: Session, conversationId: string, content: string, parentId?: string) => {
  const response = await server.request('POST', `/conversations/${conversationId}/messages`, { token: who.accessToken, body: { content, parentId } })
  if (response.status !== 201) throw new Error(`send failed: ${response.status} ${JSON.stringify(response.body)}`)
  return response.body
}
const follow = (who: Session, conversationId: string, messageId: string, on: boolean) =>
  server.request(on ? 'PUT' : 'DELETE', `/conversations/${conversationId}/messages/${messageId}/follow`, { token: who.accessToken })
const inbox = async (who: Session, query = '') => (await server.request('GET', `/threads${query}`, { token: who.accessToken })).body
const kindsFor = (messageId: string) => server.ctx.db.select().from(notifications).where(eq(notifications.messageId, messageId)).all().map((r) => r.userId)

describe('following', () => {
  test('follow and unfollow are idempotent; an unfollowed author hears nothing until they reply again', async () => {
    const id = conversation([alice, bob])
    const root = await send(alice, id, 'root')
    const off = await follow(alice, id, root.id, false)
    expect(off.status).toBe(200)
    expect(off.body).toEqual({ rootId: root.id, conversationId: id, following: false })
    expect((await follow(alice, id, root.id, false)).body.following).toBe(false)
    expect(kindsFor((await send(bob, id, 'reply', root.id)).id)).toEqual([])
    await send(alice, id, 'back in', root.id)
    expect(kindsFor((await send(bob, id, 'again', root.id)).id)).toEqual([alice.user.id])
    await follow(alice, id, root.id, false)
    const on = await follow(alice, id, root.id, true)
    expect(on.body.following).toBe(true)
    expect(kindsFor((await send(bob, id, 'third', root.id)).id)).toEqual([alice.user.id])
  })

  test('anyone in the conversation may follow; replies and outsiders are refused', async () => {
    const id = conversation([alice, bob, carol])
    const root = await send(alice, id, 'root')
    expect((await follow(carol, id, root.id, true)).status).toBe(200)
    const reply = await send(bob, id, 'reply', root.id)
    expect(kindsFor(reply.id).sort()).toEqual([alice.user.id, carol.user.id].sort())
    const notRoot = await follow(carol, id, reply.id, true)
    expect(notRoot.status).toBe(400)
    expectErrorShape(notRoot.body, 'NOT_A_THREAD_ROOT')
    const stranger = await follow(outsider, id, root.id, true)
    expect(stranger.status).toBe(404)
    expectErrorShape(stranger.body, 'CONVERSATION_NOT_FOUND')
    expectErrorShape((await follow(carol, id, newId(), true)).body, 'MESSAGE_NOT_FOUND')
  })

  test('users named in a reply follow the thread', async () => {
    const id = conversation([alice, bob, carol])
    const root = await send(alice, id, 'root')
    await send(bob, id, `@${carol.user.username} have a look`, root.id)
    expect(kindsFor((await send(alice, id, 'later', root.id)).id).sort()).toEqual([bob.user.id, carol.user.id].sort())
  })
})

describe('threads inbox', () => {
  test('newest reply first, with unread replies counted from the read pointer; reads move it', async () => {
    const reader = await server.register()
    const id = conversation([reader, bob])
    const older = await send(reader, id, 'thread A')
    const newer = await send(reader, id, 'thread B')
    await send(reader, id, 'no replies, not listed')
    const a1 = await send(bob, id, 'a1', older.id)
    await send(bob, id, 'b1', newer.id)
    const a2 = await send(bob, id, 'a2', older.id)

    const listed = await inbox(reader)
    expect(listed.threads.map((t: any) => t.root.id)).toEqual([older.id, newer.id])
    expect(listed.threads[0]).toMatchObject({ conversationId: id, replyCount: 2, lastReadSeq: 0, unreadReplies: 2, root: { content: 'thread A' } })
    expect(listed.threads[0].lastReplyAt).toBe(a2.createdAt)
    expect(listed.threads[1]).toMatchObject({ replyCount: 1, unreadReplies: 1 })

    const socket = await TestSocket.ready(server.url, reader.accessToken)
    sockets.push(socket)
    const read = await server.request('POST', `/threads/${older.id}/read`, { token: reader.accessToken, body: { seq: a1.seq } })
    expect(read.body).toEqual({ rootId: older.id, lastReadSeq: a1.seq, unreadReplies: 1 })
    expect(await socket.next((e) => e.type === 'thread.read')).toMatchObject({ rootId: older.id, unreadReplies: 1 })
    // Forward only, and never past the newest reply.
    expect((await server.request('POST', `/threads/${older.id}/read`, { token: reader.accessToken, body: { seq: 0 } })).body.lastReadSeq).toBe(a1.seq)
    expect((await server.request('POST', `/threads/${older.id}/read`, { token: reader.accessToken, body: { seq: 1_000_000 } })).body).toEqual({ rootId: older.id, lastReadSeq: a2.seq, unreadReplies: 0 })

    // Your own reply is read, and moves the thread up.
    await send(reader, id, 'b2', newer.id)
    const after = await inbox(reader)
    expect(after.threads.map((t: any) => [t.root.id, t.unreadReplies])).toEqual([[newer.id, 0], [older.id, 0]])

    const paged = await inbox(reader, '?limit=1')
    expect(paged.hasMore).toBe(true)
    const rest = await inbox(reader, `?limit=1&before=${encodeURIComponent(paged.threads[0].lastReplyAt)}`)
    expect(rest.threads.map((t: any) => t.root.id)).toEqual([older.id])
    expect(rest.hasMore).toBe(false)
  })

  test('unfollowed threads and threads in conversations you left drop out; strangers cannot mark them read', async () => {
    const reader = await server.register()
    const kept = conversation([reader, bob])
    const left = conversation([reader, bob])
    const keptRoot = await send(reader, kept, 'kept')
    const leftRoot = await send(reader, left, 'left')
    const muted = await send(reader, kept, 'unfollowed')
    for (const [conversationId, rootId] of [[kept, keptRoot.id], [left, leftRoot.id], [kept, muted.id]] as const) await send(bob, conversationId, 'reply', rootId)
    await follow(reader, kept, muted.id, false)
    expect((await inbox(reader)).threads.map((t: any) => t.root.id).sort()).toEqual([keptRoot.id, leftRoot.id].sort())
    await server.request('POST', `/conversations/${left}/leave`, { token: reader.accessToken })
    expect((await inbox(reader)).threads.map((t: any) => t.root.id)).toEqual([keptRoot.id])
    const refused = await server.request('POST', `/threads/${keptRoot.id}/read`, { token: outsider.accessToken, body: { seq: 1 } })
    expect(refused.status).toBe(404)
    expectErrorShape(refused.body, 'THREAD_NOT_FOUND')
  })
})
