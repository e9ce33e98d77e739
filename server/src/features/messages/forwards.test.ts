import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { conversations, messages, notifications } from '../../db/schema'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { seedConversation } from '../../../test/fixtures'
import { TestSocket } from '../../../test/socket'

let server: TestServer
let alice: Session
let bob: Session
let carol: Session
const sockets: TestSocket[] = []

beforeAll(async () => {
  server = await startServer()
  ;[alice, bob, carol] = await Promise.all([server.register(), server.register(), server.register()])
})
afterAll(async () => {
  for (const socket of sockets) socket.close()
  await server.stop()
})

function conversation(members: Session[]): string {
  return seedConversation(server, members)
}

const send = async (who: Session, conversationId: string, content: string) =>
  (await server.request('POST', `/conversations/${conversationId}/messages`, { token: who.accessToken, body: { content } })).body
const forward = (who: Session, conversationId: string, messageId: string, conversationIds: string[]) =>
  server.request('POST', `/conversations/${conversationId}/messages/${messageId}/forward`, { token: who.accessToken, body: { conversationIds } })
const countIn = (conversationId: string) => server.ctx.db.select().from(messages).where(eq(messages.conversationId, conversationId)).all().length

describe('forwarding', () => {
  test('copies go to each target with the next seq, a reference to the origin, events and notifications', async () => {
    const source = conversation([alice])
    const first = conversation([alice, bob])
    const second = conversation([alice, carol])
    await send(bob, first, 'already here')
    const original = await send(alice, source, `worth reading @${carol.user.username}`)
    const [b, c] = await Promise.all([TestSocket.ready(server.url, bob.accessToken), TestSocket.ready(server.url, carol.accessToken)])
    sockets.push(b, c)

    const response = await forward(alice, source, original.id, [first, second])
    expect(response.status).toBe(201)
    const [toFirst, toSecond] = response.body.messages
    expect(toFirst).toMatchObject({ conversationId: first, seq: 2, forwardedFromId: original.id, content: original.content, type: 'text', senderId: alice.user.id, parentId: null })
    expect(toSecond).toMatchObject({ conversationId: second, seq: 1, forwardedFromId: original.id })
    expect((await b.next((e) => e.type === 'message.created' && e.message.conversationId === first)).message.id).toBe(toFirst.id)
    expect((await c.next((e) => e.type === 'message.created' && e.message.conversationId === second)).message.id).toBe(toSecond.id)
    // Mentions resolve against the target: carol is in the second conversation only, so she is notified there.
    expect(toSecond.mentions.users).toEqual([carol.user.id])
    expect((await c.next((e) => e.type === 'notification.created')).notification).toMatchObject({ kind: 'mention', messageId: toSecond.id })
    const fetched = await server.request('GET', `/conversations/${first}/messages/${toFirst.id}`, { token: bob.accessToken })
    expect(fetched.body.forwardedFromId).toBe(original.id)
  })

  test('one target you cannot write to refuses the whole request before anything is written', async () => {
    const source = conversation([alice])
    const mine = conversation([alice])
    const notMine = conversation([bob])
    const original = await send(alice, source, 'secret')
    const notificationsBefore = server.ctx.db.select().from(notifications).all().length
    const refused = await forward(alice, source, original.id, [mine, notMine])
    expect(refused.status).toBe(404)
    expectErrorShape(refused.body, 'CONVERSATION_NOT_FOUND')
    expect(countIn(mine)).toBe(0)
    expect(countIn(notMine)).toBe(0)
    expect(server.ctx.db.select().from(conversations).where(eq(conversations.id, mine)).get()?.lastSeq).toBe(0)
    expect(server.ctx.db.select().from(notifications).all().length).toBe(notificationsBefore)
  })

  test('the source must be readable and not deleted; 1–10 targets', async () => {
    const source = conversation([alice])
    const target = conversation([alice, bob])
    const original = await send(alice, source, 'mine')
    const stranger = await forward(bob, source, original.id, [target])
    expect(stranger.status).toBe(404)
    expectErrorShape(stranger.body, 'CONVERSATION_NOT_FOUND')
    expect((await forward(alice, source, original.id, [])).status).toBe(422)
    expect((await forward(alice, source, original.id, Array.from({ length: 11 }, () => target))).status).toBe(422)
    // Repeating a target forwards once.
    expect((await forward(alice, source, original.id, [target, target])).body.messages).toHaveLength(1)
    await server.request('DELETE', `/conversations/${source}/messages/${original.id}`, { token: alice.accessToken })
    const gone = await forward(alice, source, original.id, [target])
    expect(gone.status).toBe(409)
    expectErrorShape(gone.body, 'MESSAGE_DELETED')
  })
})
