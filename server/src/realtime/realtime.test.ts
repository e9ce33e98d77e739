import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SignJWT } from 'jose'
import { join } from 'node:path'
import { startServer, type Session, type TestServer } from '../../test/harness'
import { seedConversation } from '../../test/fixtures'
import { TestSocket } from '../../test/socket'
import { CLOSE, MAX_FRAME_BYTES, REPLAY_LIMIT } from './protocol'

let server: TestServer
let alice: Session
let bob: Session
let outsider: Session
const sockets: TestSocket[] = []

beforeAll(async () => {
  server = await startServer()
  ;[alice, bob, outsider] = await Promise.all([server.register(), server.register(), server.register()])
})
afterAll(async () => {
  for (const socket of sockets) socket.close()
  await server.stop()
})

async function connect(who: Session, on: TestServer = server): Promise<TestSocket> {
  const socket = await TestSocket.ready(on.url, who.accessToken)
  sockets.push(socket)
  return socket
}

function conversation(members: Session[], on: TestServer = server): string {
  return seedConversation(on, members)
}

describe('connecting', () => {
  test('?token= signs in at once; ready lists the conversations the user is in', async () => {
    const id = conversation([alice, bob])
    const socket = await connect(alice)
    const ready = await socket.next((e) => e.type === 'ready')
    expect(ready.userId).toBe(alice.user.id)
    expect(ready.sessionId).toBe(alice.sessionId)
    expect(ready.conversations).toContain(id)
  })

  test('without a token only auth and ping are served; an auth frame signs in', async () => {
    const socket = await TestSocket.open(server.url)
    sockets.push(socket)
    expect((await socket.command({ type: 'ping' })).type).toBe('pong')
    const refused = await socket.command({ type: 'typing', conversationId: 'x' })
    expect(refused).toMatchObject({ type: 'error', code: 'UNAUTHENTICATED' })
    socket.send({ type: 'auth', token: bob.accessToken })
    expect((await socket.next((e) => e.type === 'ready')).userId).toBe(bob.user.id)
  })

  test('a forged token closes with 4003, an expired one with 4001 so the client refreshes', async () => {
    const forged = await TestSocket.open(server.url, 'not.a.token')
    expect((await forged.waitClosed()).code).toBe(CLOSE.UNAUTHORIZED)
    const [, payload] = alice.accessToken.split('.') as [string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
    const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 5 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(server.ctx.config.jwtSecret))
    const socket = await TestSocket.open(server.url, expired)
    const closed = await socket.waitClosed()
    expect(closed).toEqual({ code: CLOSE.TOKEN_EXPIRED, reason: 'TOKEN_EXPIRED' })
    expect(socket.events.find((e) => e.type === 'error')?.code).toBe('TOKEN_EXPIRED')
  })

  test('signing out closes that session’s sockets at once; other sessions stay connected', async () => {
    const session = await server.register()
    const socket = await connect(session)
    const other = await TestSocket.ready(server.url, (await server.login(session.user.email, session.password)).body.accessToken)
    sockets.push(other)
    await server.request('POST', '/auth/logout', { token: session.accessToken })
    expect(await socket.waitClosed()).toEqual({ code: CLOSE.SESSION_REVOKED, reason: 'SESSION_REVOKED' })
    expect((await other.command({ type: 'ping' })).type).toBe('pong')
  })

  test('changing the password closes the sockets of every other session, also on another API instance', async () => {
    const session = await server.register()
    const second = await startServer({ DATABASE_PATH: join(server.dataDir, 'parley.db'), REDIS_PREFIX: server.ctx.config.redisPrefix, JWT_SECRET: server.ctx.config.jwtSecret })
    try {
      const elsewhere = await TestSocket.ready(second.url, (await server.login(session.user.email, session.password)).body.accessToken)
      const changed = await server.request('POST', '/users/me/password', { token: session.accessToken, body: { currentPassword: session.password, newPassword: 'a different long password' } })
      expect(changed.status).toBe(200)
      expect((await elsewhere.waitClosed()).code).toBe(CLOSE.SESSION_REVOKED)
    } finally {
      await second.stop()
    }
  })
})

describe('delivery', () => {
  test('a socket send is acked with its seq and reaches the other member, never an outsider', async () => {
    const id = conversation([alice, bob])
    const [a, b, o] = await Promise.all([connect(alice), connect(bob), connect(outsider)])
    const ack = await a.command({ type: 'send', conversationId: id, clientMsgId: 'ws-1', content: 'over the socket' })
    expect(ack).toMatchObject({ type: 'ack', for: 'send', message: { seq: 1, content: 'over the socket', clientMsgId: 'ws-1' } })
    const created = await b.next((e) => e.type === 'message.created' && e.message.conversationId === id)
    expect(created.message.id).toBe(ack.message.id)
    await o.settle()
    expect(o.events.some((e) => e.type === 'message.created' && e.message.conversationId === id)).toBe(false)
    const retried = await a.command({ type: 'send', conversationId: id, clientMsgId: 'ws-1', content: 'over the socket' })
    expect(retried.message.id).toBe(ack.message.id)
  })

  test('REST writes (send, edit, react, delete) arrive as events on member sockets', async () => {
    const id = conversation([alice, bob])
    const b = await connect(bob)
    const sent = await server.request('POST', `/conversations/${id}/messages`, { token: alice.accessToken, body: { content: 'via REST' } })
    await b.next((e) => e.type === 'message.created' && e.message.id === sent.body.id)
    await server.request('PATCH', `/conversations/${id}/messages/${sent.body.id}`, { token: alice.accessToken, body: { content: 'via REST, edited' } })
    expect((await b.next((e) => e.type === 'message.updated' && e.message.id === sent.body.id)).message.content).toBe('via REST, edited')
    await server.request('PUT', `/conversations/${id}/messages/${sent.body.id}/reactions/%F0%9F%8E%89`, { token: alice.accessToken })
    expect((await b.next((e) => e.type === 'reaction.changed')).message.reactions[0]).toMatchObject({ emoji: '🎉', count: 1, userIds: [alice.user.id] })
    await server.request('DELETE', `/conversations/${id}/messages/${sent.body.id}`, { token: alice.accessToken })
    expect((await b.next((e) => e.type === 'message.deleted')).message).toMatchObject({ id: sent.body.id, content: '', seq: sent.body.seq })
  })

  test('commands against a conversation the user is not in get a typed error and change nothing', async () => {
    const id = conversation([alice])
    const o = await connect(outsider)
    const reply = await o.command({ type: 'send', conversationId: id, clientMsgId: 'sneak', content: 'hi' })
    expect(reply).toMatchObject({ type: 'error', code: 'CONVERSATION_NOT_FOUND' })
    expect((await o.command({ type: 'typing', conversationId: id })).code).toBe('CONVERSATION_NOT_FOUND')
    expect((await server.request('GET', `/conversations/${id}/messages`, { token: alice.accessToken })).body.messages).toEqual([])
  })

  test('typing is relayed to members and throttled to one event per interval', async () => {
    const id = conversation([alice, bob])
    const [a, b] = await Promise.all([connect(alice), connect(bob)])
    for (let i = 0; i < 3; i++) expect((await a.command({ type: 'typing', conversationId: id })).type).toBe('ack')
    await b.next((e) => e.type === 'typing' && e.conversationId === id)
    await b.settle()
    expect(b.events.filter((e) => e.type === 'typing' && e.conversationId === id)).toEqual([{ type: 'typing', conversationId: id, userId: alice.user.id }])
  })

  test('leaving a conversation stops its events at once; joining starts them', async () => {
    const id = conversation([alice, bob])
    const b = await connect(bob)
    server.ctx.hub.membershipChanged(bob.user.id, id, false)
    await b.next((e) => e.type === 'conversation.left' && e.conversationId === id)
    await server.request('POST', `/conversations/${id}/messages`, { token: alice.accessToken, body: { content: 'after bob left' } })
    await b.settle()
    expect(b.events.some((e) => e.type === 'message.created' && e.message.conversationId === id)).toBe(false)
    server.ctx.hub.membershipChanged(bob.user.id, id, true)
    await b.next((e) => e.type === 'conversation.joined' && e.conversationId === id)
    await server.request('POST', `/conversations/${id}/messages`, { token: alice.accessToken, body: { content: 'bob is back' } })
    expect((await b.next((e) => e.type === 'message.created' && e.message.conversationId === id)).message.content).toBe('bob is back')
  })
})

describe('membership and read state', () => {
  test('joining through REST subscribes the user’s open sockets at once; leaving unsubscribes them', async () => {
    // The platform admin (whoever registered first) opens a lounge; a fresh account joins it.
    const first = server.ctx.services.admin.listUsers({ limit: 1, offset: 0 }).rows[0]!
    const admin = (await server.login(first.email, 'correct horse battery')).body
    const joiner = await server.register()
    const lounge = await server.request('POST', '/conversations', { token: admin.accessToken, body: { kind: 'lounge', name: 'Town square' } })
    expect(lounge.status).toBe(201)
    const id: string = lounge.body.id
    const socket = await connect(joiner)
    expect((await server.request('POST', `/conversations/${id}/join`, { token: joiner.accessToken })).status).toBe(200)
    await socket.next((e) => e.type === 'conversation.joined' && e.conversationId === id)
    await server.request('POST', `/conversations/${id}/messages`, { token: admin.accessToken, body: { content: 'welcome' } })
    expect((await socket.next((e) => e.type === 'message.created' && e.message.conversationId === id)).message.content).toBe('welcome')
    expect((await server.request('POST', `/conversations/${id}/leave`, { token: joiner.accessToken })).status).toBeLessThan(300)
    await socket.next((e) => e.type === 'conversation.left' && e.conversationId === id)
    await server.request('POST', `/conversations/${id}/messages`, { token: admin.accessToken, body: { content: 'still there?' } })
    await socket.settle()
    expect(socket.events.filter((e) => e.type === 'message.created' && e.message.conversationId === id)).toHaveLength(1)
  })

  test('renaming a group reaches its members as conversation.updated', async () => {
    const created = await server.request('POST', '/conversations', { token: alice.accessToken, body: { kind: 'group', memberIds: [bob.user.id] } })
    const b = await connect(bob)
    const renamed = await server.request('PATCH', `/conversations/${created.body.id}`, { token: alice.accessToken, body: { name: 'Launch crew' } })
    expect(renamed.status).toBe(200)
    const event = await b.next((e) => e.type === 'conversation.updated' && e.conversation.id === created.body.id)
    expect(event.conversation.name).toBe('Launch crew')
  })

  test('reading on one device updates the unread count on the others', async () => {
    const id = conversation([alice, bob])
    for (let i = 0; i < 4; i++) await server.request('POST', `/conversations/${id}/messages`, { token: alice.accessToken, body: { content: `n${i}` } })
    const secondDevice = (await server.login(bob.user.email, bob.password)).body
    const [phone, laptop] = await Promise.all([connect(bob), TestSocket.ready(server.url, secondDevice.accessToken)])
    sockets.push(laptop)
    expect((await phone.command({ type: 'read', conversationId: id, seq: 3 })).type).toBe('ack')
    expect(await laptop.next((e) => e.type === 'read.updated' && e.conversationId === id)).toEqual({ type: 'read.updated', conversationId: id, lastReadSeq: 3, unreadCount: 1 })
    const alicesSocket = await connect(alice)
    await alicesSocket.settle()
    expect(alicesSocket.events.some((e) => e.type === 'read.updated' && e.conversationId === id)).toBe(false)
  })
})

describe('bad frames', () => {
  test('malformed JSON and frames outside the protocol get error frames; the socket stays usable', async () => {
    const socket = await connect(alice)
    socket.send('{not json')
    expect(await socket.next((e) => e.type === 'error' && e.code === 'MALFORMED_FRAME')).toBeTruthy()
    const unknown = await socket.command({ type: 'launch-rockets' })
    expect(unknown).toMatchObject({ type: 'error', code: 'INVALID_FRAME' })
    const wrongTypes = await socket.command({ type: 'send', conversationId: 7, clientMsgId: 'x', content: 'hi' })
    expect(wrongTypes.code).toBe('INVALID_FRAME')
    expect(JSON.stringify(wrongTypes.details)).toContain('conversationId')
    const extra = await socket.command({ type: 'ping', surprise: true })
    expect(extra.code).toBe('INVALID_FRAME')
    socket.send('[1,2,3]')
    expect(await socket.next((e) => e.type === 'error' && e.code === 'INVALID_FRAME' && !e.ref)).toBeTruthy()
    expect((await socket.command({ type: 'ping' })).type).toBe('pong')
  })

  test('an oversize frame closes the socket with 1009', async () => {
    const socket = await connect(alice)
    socket.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(MAX_FRAME_BYTES + 10) }))
    expect((await socket.waitClosed()).code).toBe(CLOSE.TOO_LARGE)
  })
})

describe('resume', () => {
  test('a reconnecting client gets exactly what it missed, in order', async () => {
    const id = conversation([alice, bob])
    for (let i = 1; i <= 3; i++) await server.request('POST', `/conversations/${id}/messages`, { token: alice.accessToken, body: { content: `seen ${i}` } })
    for (let i = 1; i <= 5; i++) await server.request('POST', `/conversations/${id}/messages`, { token: alice.accessToken, body: { content: `missed ${i}` } })
    const b = await connect(bob)
    const ack = await b.command({ type: 'resume', conversations: [{ id, lastSeq: 3 }] })
    expect(ack.type).toBe('ack')
    const replay = b.events.find((e) => e.type === 'replay' && e.conversationId === id)
    expect(replay.messages.map((m: any) => m.seq)).toEqual([4, 5, 6, 7, 8])
    expect(replay.toSeq).toBe(8)
  })

  test('resume with lastVersion also brings the edits, deletions and reactions made while away, in the order they happened', async () => {
    const id = conversation([alice, bob])
    const kept = (await server.request('POST', `/conversations/${id}/messages`, { token: alice.accessToken, body: { content: 'original' } })).body
    const doomed = (await server.request('POST', `/conversations/${id}/messages`, { token: alice.accessToken, body: { content: 'to be deleted' } })).body
    const seen = Math.max(kept.version, doomed.version)
    // Bob goes away; meanwhile one message is edited, one deleted, one reacted to, and one is new.
    await server.request('PATCH', `/conversations/${id}/messages/${kept.id}`, { token: alice.accessToken, body: { content: 'edited while you were away' } })
    await server.request('DELETE', `/conversations/${id}/messages/${doomed.id}`, { token: alice.accessToken })
    await server.request('PUT', `/conversations/${id}/messages/${kept.id}/reactions/%F0%9F%91%8D`, { token: alice.accessToken })
    const fresh = (await server.request('POST', `/conversations/${id}/messages`, { token: alice.accessToken, body: { content: 'new one' } })).body
    const b = await connect(bob)
    await b.command({ type: 'resume', conversations: [{ id, lastSeq: 2, lastVersion: seen }] })
    const changes = b.events.find((e) => e.type === 'changes' && e.conversationId === id)
    const byId = new Map(changes.messages.map((m: any) => [m.id, m]))
    expect([...byId.keys()].sort()).toEqual([kept.id, doomed.id, fresh.id].sort())
    expect((byId.get(kept.id) as any).content).toBe('edited while you were away')
    expect((byId.get(kept.id) as any).reactions[0].emoji).toBe('👍')
    expect((byId.get(doomed.id) as any).deletedAt).toBeString()
    const versions = changes.messages.map((m: any) => m.version)
    expect(versions).toEqual([...versions].sort((x: number, y: number) => x - y))
    expect(changes.toVersion).toBe(versions.at(-1))
    // Up to date: nothing more to send.
    await b.command({ type: 'resume', conversations: [{ id, lastSeq: fresh.seq, lastVersion: changes.toVersion }] })
    expect(b.events.filter((e) => e.type === 'changes' && e.conversationId === id).at(-1).messages).toEqual([])
  })

  test(`more than ${REPLAY_LIMIT} missed messages ask the client to refetch by REST`, async () => {
    const id = conversation([alice, bob])
    for (let i = 0; i < REPLAY_LIMIT + 5; i++) server.ctx.services.messages.send(alice.user.id, id, { content: `bulk ${i}` })
    const b = await connect(bob)
    await b.command({ type: 'resume', conversations: [{ id, lastSeq: 2 }] })
    expect(b.events.find((e) => e.conversationId === id && (e.type === 'resync' || e.type === 'replay'))).toEqual({ type: 'resync', conversationId: id, fromSeq: 3, toSeq: REPLAY_LIMIT + 5, reason: 'too_many_missed' })
  })

  test('resume for a conversation the user is not in tells the client to drop it, and sends no data', async () => {
    const id = conversation([alice])
    const o = await connect(outsider)
    const reply = await o.command({ type: 'resume', conversations: [{ id, lastSeq: 0 }] })
    expect(reply.type).toBe('ack')
    expect(o.events).toContainEqual({ type: 'conversation.left', conversationId: id })
    expect(o.events.some((e) => e.type === 'replay' && e.conversationId === id)).toBe(false)
  })

  test('connections killed at random during a burst still end with exactly the server’s messages, in order, once', async () => {
    const id = conversation([alice, bob])
    const total = 150
    // A client as the PWA will be: dedupe by seq, resume with the last seq it holds after every reconnect.
    const held = new Map<number, string>()
    let socket = await connect(bob)
    const take = (event: any) => {
      if (event.type === 'message.created' && event.message.conversationId === id) held.set(event.message.seq, event.message.id)
      if (event.type === 'replay' && event.conversationId === id) for (const m of event.messages) held.set(m.seq, m.id)
    }
    const attach = (s: TestSocket) => {
      const original = s.ws.onmessage!
      s.ws.onmessage = (message) => {
        original.call(s.ws, message)
        take(JSON.parse(String(message.data)))
      }
    }
    attach(socket)
    const lastSeq = () => {
      let seq = 0
      while (held.has(seq + 1)) seq++
      return seq
    }
    const sender = (async () => {
      for (let i = 0; i < total; i++) await server.request('POST', `/conversations/${id}/messages`, { token: alice.accessToken, body: { content: `burst ${i}`, clientMsgId: `burst-${i}` } })
    })()
    let kills = 0
    while (true) {
      const done = await Promise.race([sender.then(() => true), Bun.sleep(20 + Math.random() * 60).then(() => false)])
      if (done) break
      socket.close()
      kills++
      socket = await connect(bob)
      attach(socket)
      await socket.command({ type: 'resume', conversations: [{ id, lastSeq: lastSeq() }] })
    }
    await socket.command({ type: 'resume', conversations: [{ id, lastSeq: lastSeq() }] })
    const truth = (await server.request('GET', `/conversations/${id}/messages?limit=200`, { token: alice.accessToken })).body.messages
    expect(kills).toBeGreaterThan(0)
    expect(truth).toHaveLength(total)
    expect([...held.keys()].sort((a, b) => a - b)).toEqual(truth.map((m: any) => m.seq))
    expect(truth.every((m: any) => held.get(m.seq) === m.id)).toBe(true)
  })
})

describe('several API instances', () => {
  test('two API servers on one Redis and one SQLite file: a message sent on one reaches sockets on the other', async () => {
    const shared = { DATABASE_PATH: join(server.dataDir, 'parley.db'), REDIS_PREFIX: server.ctx.config.redisPrefix, JWT_SECRET: server.ctx.config.jwtSecret }
    const second = await startServer(shared)
    try {
      const id = conversation([alice, bob])
      const onSecond = await connect(bob, second)
      const sent = await server.request('POST', `/conversations/${id}/messages`, { token: alice.accessToken, body: { content: 'across instances' } })
      const created = await onSecond.next((e) => e.type === 'message.created' && e.message.id === sent.body.id)
      expect(created.message.content).toBe('across instances')
      const viaSecond = await onSecond.command({ type: 'send', conversationId: id, clientMsgId: 'from-second', content: 'back again' })
      const onFirst = await connect(alice)
      await onFirst.command({ type: 'resume', conversations: [{ id, lastSeq: 0 }] })
      expect(onFirst.events.find((e) => e.type === 'replay' && e.conversationId === id).messages.map((m: any) => m.seq)).toEqual([1, viaSecond.message.seq])
      server.ctx.hub.membershipChanged(bob.user.id, id, false)
      await onSecond.next((e) => e.type === 'conversation.left' && e.conversationId === id)
    } finally {
      await second.stop()
    }
  })
})
