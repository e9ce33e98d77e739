import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { and, eq } from 'drizzle-orm'
import { conversationBans, conversationMutes, conversations, messages, participants } from '../../db/schema'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { openLounge } from '../../../test/fixtures'
import { TestSocket } from '../../../test/socket'
import { previousMessageQuery } from './service'

let server: TestServer
let admin: Session
let mod: Session
let alice: Session
let bob: Session
let outsider: Session

beforeAll(async () => {
  server = await startServer()
  admin = await server.register() // the first account is the platform admin
  ;[mod, alice, bob, outsider] = await Promise.all([server.register(), server.register(), server.register(), server.register()])
})
afterAll(() => server.stop())

function call(session: Session, method: string, path: string, body?: unknown) {
  return server.request(method, path, { token: session.accessToken, body })
}

/** A lounge made by the platform admin (its owner), joined over HTTP, with `mod` promoted to moderator. */
const lounge = (members: Session[] = [mod, alice, bob]) => openLounge(server, admin, members, mod)

const send = (who: Session, id: string, content = 'hello') => call(who, 'POST', `/conversations/${id}/messages`, { content })
const moderation = (who: Session, method: string, id: string, path: string, body?: unknown) => call(who, method, `/conversations/${id}/moderation${path}`, body)
const logOf = async (id: string) => (await moderation(admin, 'GET', id, '/log')).body.entries as any[]

describe('mutes', () => {
  test('a muted participant cannot post until unmuted; the refused send takes no seq', async () => {
    const id = await lounge()
    expect((await send(bob, id, 'one')).body.seq).toBe(1)
    const muted = await moderation(mod, 'POST', id, '/mutes', { userId: alice.user.id, minutes: 10, reason: 'spam' })
    expect(muted.status).toBe(201)
    expect(muted.body).toMatchObject({ conversationId: id, userId: alice.user.id, mutedBy: mod.user.id, reason: 'spam' })
    const until = new Date(muted.body.until).getTime()
    expect(until - Date.now()).toBeGreaterThan(9 * 60_000)
    expect(until - Date.now()).toBeLessThanOrEqual(10 * 60_000)

    const refused = await send(alice, id, 'let me talk')
    expect(refused.status).toBe(403)
    expectErrorShape(refused.body, 'MUTED_IN_CONVERSATION')
    expect(refused.body.error.details.until).toBe(muted.body.until)
    // The rolled-back send consumed nothing: the next accepted message takes the next seq.
    expect((await send(bob, id, 'two')).body.seq).toBe(2)
    expect(server.ctx.db.select().from(conversations).where(eq(conversations.id, id)).get()?.lastSeq).toBe(2)
    expect(server.ctx.db.select().from(messages).where(eq(messages.conversationId, id)).all()).toHaveLength(2)

    expect((await moderation(mod, 'DELETE', id, `/mutes/${alice.user.id}`)).status).toBe(204)
    expect((await send(alice, id, 'thanks')).body.seq).toBe(3)
    const again = await moderation(mod, 'DELETE', id, `/mutes/${alice.user.id}`)
    expect(again.status).toBe(404)
    expectErrorShape(again.body, 'MUTE_NOT_FOUND')
  })

  test('a mute ends by itself when its time is up', async () => {
    const id = await lounge()
    expect((await moderation(admin, 'POST', id, '/mutes', { userId: alice.user.id, minutes: 5 })).status).toBe(201)
    expect((await send(alice, id)).status).toBe(403)
    server.ctx.db.update(conversationMutes).set({ until: new Date(Date.now() - 1000) }).where(eq(conversationMutes.conversationId, id)).run()
    expect((await send(alice, id)).status).toBe(201)
    // An expired mute is not there to lift.
    expect((await moderation(admin, 'DELETE', id, `/mutes/${alice.user.id}`)).status).toBe(404)
  })

  test('only moderators mute; nobody mutes themselves, a moderator or the owner', async () => {
    const id = await lounge()
    const cases: Array<[Session, unknown, number, string]> = [
      [alice, { userId: bob.user.id, minutes: 5 }, 403, 'MODERATOR_REQUIRED'],
      [outsider, { userId: bob.user.id, minutes: 5 }, 404, 'CONVERSATION_NOT_FOUND'],
      [mod, { userId: mod.user.id, minutes: 5 }, 403, 'CANNOT_MODERATE_SELF'],
      [mod, { userId: admin.user.id, minutes: 5 }, 403, 'CANNOT_MODERATE_MODERATOR'],
      [admin, { userId: mod.user.id, minutes: 5 }, 403, 'CANNOT_MODERATE_MODERATOR'],
      [mod, { userId: outsider.user.id, minutes: 5 }, 404, 'PARTICIPANT_NOT_FOUND'],
      [mod, { userId: 'no-such-user', minutes: 5 }, 404, 'USER_NOT_FOUND'],
      [mod, { userId: bob.user.id, minutes: 0 }, 422, 'VALIDATION_FAILED'],
      [mod, { userId: bob.user.id, minutes: 43_201 }, 422, 'VALIDATION_FAILED'],
      [mod, { userId: bob.user.id, minutes: 5, extra: true }, 422, 'VALIDATION_FAILED'],
    ]
    for (const [who, body, status, code] of cases) {
      const response = await moderation(who, 'POST', id, '/mutes', body)
      expect(response.status, `${code}`).toBe(status)
      expectErrorShape(response.body, code)
    }
    expect((await moderation(alice, 'DELETE', id, `/mutes/${bob.user.id}`)).status).toBe(403)
    expect((await moderation(outsider, 'DELETE', id, `/mutes/${bob.user.id}`)).status).toBe(404)
    expect((await moderation(mod, 'POST', 'no-such-conversation', '/mutes', { userId: bob.user.id, minutes: 5 })).status).toBe(404)
    expect(await logOf(id)).toEqual([])
    expect((await moderation(mod, 'POST', id, '/mutes', { userId: bob.user.id, minutes: 43_200 })).status).toBe(201)
  })
})

describe('bans', () => {
  test('a ban removes the user, closes their live feed and keeps them out until lifted', async () => {
    const id = await lounge()
    const socket = await TestSocket.ready(server.url, alice.accessToken)
    try {
      const banned = await moderation(mod, 'POST', id, '/bans', { userId: alice.user.id, minutes: 60, reason: 'abuse' })
      expect(banned.status).toBe(201)
      expect(banned.body).toMatchObject({ conversationId: id, userId: alice.user.id, bannedBy: mod.user.id, reason: 'abuse' })
      expect(new Date(banned.body.expiresAt).getTime() - Date.now()).toBeGreaterThan(59 * 60_000)
      expect(await socket.next((e) => e.type === 'conversation.left' && e.conversationId === id)).toBeTruthy()

      // Their sockets no longer get the conversation's messages.
      const after = await send(bob, id, 'after the ban')
      await socket.settle()
      expect(socket.events.some((e) => e.type === 'message.created' && e.message.id === after.body.id)).toBe(false)

      expect((await call(alice, 'GET', `/conversations/${id}`)).status).toBe(404)
      expect((await send(alice, id)).status).toBe(404)
      const rejoin = await call(alice, 'POST', `/conversations/${id}/join`)
      expect(rejoin.status).toBe(403)
      expectErrorShape(rejoin.body, 'BANNED_FROM_CONVERSATION')
      expect(rejoin.body.error.details.until).toBe(banned.body.expiresAt)

      const list = await moderation(mod, 'GET', id, '/bans')
      expect(list.status).toBe(200)
      expect(list.body).toEqual([banned.body])

      expect((await moderation(mod, 'DELETE', id, `/bans/${alice.user.id}`)).status).toBe(204)
      expect((await moderation(mod, 'GET', id, '/bans')).body).toEqual([])
      expect((await call(alice, 'POST', `/conversations/${id}/join`)).status).toBe(200)
      expect((await send(alice, id, 'back')).status).toBe(201)
      const again = await moderation(mod, 'DELETE', id, `/bans/${alice.user.id}`)
      expect(again.status).toBe(404)
      expectErrorShape(again.body, 'BAN_NOT_FOUND')
    } finally {
      socket.close()
    }
  })

  test('a ban without minutes is permanent; a timed ban ends by itself; outsiders can be banned ahead', async () => {
    const id = await lounge()
    const permanent = await moderation(mod, 'POST', id, '/bans', { userId: bob.user.id })
    expect(permanent.status).toBe(201)
    expect(permanent.body.expiresAt).toBeNull()
    const refused = await call(bob, 'POST', `/conversations/${id}/join`)
    expect(refused.status).toBe(403)
    expect(refused.body.error.details.until).toBeNull()

    const ahead = await moderation(mod, 'POST', id, '/bans', { userId: outsider.user.id, minutes: 1 })
    expect(ahead.status).toBe(201)
    expect((await call(outsider, 'POST', `/conversations/${id}/join`)).status).toBe(403)
    server.ctx.db.update(conversationBans).set({ expiresAt: new Date(Date.now() - 1000) }).where(and(eq(conversationBans.conversationId, id), eq(conversationBans.userId, outsider.user.id))).run()
    expect((await moderation(mod, 'GET', id, '/bans')).body.map((b: { userId: string }) => b.userId)).toEqual([bob.user.id])
    expect((await call(outsider, 'POST', `/conversations/${id}/join`)).status).toBe(200)
    expect((await send(outsider, id)).status).toBe(201)
    expect((await call(bob, 'POST', `/conversations/${id}/join`)).status).toBe(403)
  })

  test('only moderators ban or list bans; nobody bans themselves, a moderator or the owner', async () => {
    const id = await lounge()
    const cases: Array<[Session, unknown, number, string]> = [
      [alice, { userId: bob.user.id }, 403, 'MODERATOR_REQUIRED'],
      [outsider, { userId: bob.user.id }, 404, 'CONVERSATION_NOT_FOUND'],
      [mod, { userId: mod.user.id }, 403, 'CANNOT_MODERATE_SELF'],
      [mod, { userId: admin.user.id }, 403, 'CANNOT_MODERATE_MODERATOR'],
      [admin, { userId: mod.user.id }, 403, 'CANNOT_MODERATE_MODERATOR'],
      [mod, { userId: 'no-such-user' }, 404, 'USER_NOT_FOUND'],
      [mod, { userId: bob.user.id, minutes: 0 }, 422, 'VALIDATION_FAILED'],
      [mod, { userId: bob.user.id, minutes: 'forever' }, 422, 'VALIDATION_FAILED'],
    ]
    for (const [who, body, status, code] of cases) {
      const response = await moderation(who, 'POST', id, '/bans', body)
      expect(response.status, `${code}`).toBe(status)
      expectErrorShape(response.body, code)
    }
    expect((await moderation(alice, 'GET', id, '/bans')).status).toBe(403)
    expect((await moderation(outsider, 'GET', id, '/bans')).status).toBe(404)
    expect((await moderation(alice, 'DELETE', id, `/bans/${bob.user.id}`)).status).toBe(403)
    // Nothing happened: everyone is still in, nothing was logged.
    const ids = (await call(admin, 'GET', `/conversations/${id}/participants`)).body.participants.map((p: { user: { id: string } }) => p.user.id)
    expect(ids).toEqual(expect.arrayContaining([admin.user.id, mod.user.id, alice.user.id, bob.user.id]))
    expect(await logOf(id)).toEqual([])
  })
})

describe('slow mode', () => {
  test('one message per N seconds for members; moderators and the owner are exempt', async () => {
    const id = await lounge()
    const set = await moderation(mod, 'PUT', id, '/slow-mode', { seconds: 30 })
    expect(set.status).toBe(200)
    expect(set.body).toEqual({ conversationId: id, seconds: 30 })

    expect((await send(alice, id, 'first')).body.seq).toBe(1)
    const tooSoon = await send(alice, id, 'second')
    expect(tooSoon.status).toBe(429)
    expectErrorShape(tooSoon.body, 'SLOW_MODE')
    const retryAfter = tooSoon.body.error.details.retryAfterSeconds
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(30)
    expect(tooSoon.headers.get('retry-after')).toBe(String(retryAfter))
    // Per user: bob has his own allowance; the refused send consumed no seq.
    expect((await send(bob, id, 'mine')).body.seq).toBe(2)
    for (const exempt of [mod, mod, admin, admin]) expect((await send(exempt, id)).status).toBe(201)

    // Once the interval has passed (the last message made older), alice may post again.
    server.ctx.db.update(messages).set({ createdAt: new Date(Date.now() - 31_000) }).where(and(eq(messages.conversationId, id), eq(messages.senderId, alice.user.id))).run()
    expect((await send(alice, id, 'later')).body.seq).toBe(7)

    expect((await moderation(admin, 'PUT', id, '/slow-mode', { seconds: 0 })).body.seconds).toBe(0)
    expect((await send(alice, id)).status).toBe(201)
    expect((await send(alice, id)).status).toBe(201)
  })

  test("the sender's-last-message lookup is served by the (conversation, sender, created_at) index", async () => {
    const id = await lounge()
    for (let i = 0; i < 30; i++) expect((await send(i % 2 ? alice : bob, id, `m${i}`)).status).toBe(201)
    const plan = () => {
      const query = previousMessageQuery(server.ctx.db, id, alice.user.id, 'none', new Date(Date.now() - 60_000)).toSQL()
      return server.ctx.db.$client.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...(query.params as never[])).map((row: any) => String(row.detail))
    }
    const expectIndexed = (details: string[]) => {
      expect(details.some((detail) => detail.includes('USING INDEX messages_conversation_sender_created_idx'))).toBe(true)
      // The index order serves ORDER BY created_at DESC LIMIT 1: no sort step.
      expect(details.some((detail) => detail.includes('TEMP B-TREE'))).toBe(false)
    }
    expectIndexed(plan())
    // Still chosen once the planner has statistics.
    server.ctx.db.$client.run('ANALYZE messages')
    expectIndexed(plan())
    expect(previousMessageQuery(server.ctx.db, id, alice.user.id, 'none', new Date(Date.now() - 60_000)).get()).toBeDefined()
  })

  test('only moderators set slow mode, within 0–3600 seconds', async () => {
    const id = await lounge()
    const member = await moderation(alice, 'PUT', id, '/slow-mode', { seconds: 10 })
    expect(member.status).toBe(403)
    expectErrorShape(member.body, 'MODERATOR_REQUIRED')
    expect((await moderation(outsider, 'PUT', id, '/slow-mode', { seconds: 10 })).status).toBe(404)
    expect((await moderation(mod, 'PUT', id, '/slow-mode', { seconds: 3601 })).status).toBe(422)
    expect((await moderation(mod, 'PUT', id, '/slow-mode', { seconds: -1 })).status).toBe(422)
    expect((await moderation(mod, 'PUT', id, '/slow-mode', { seconds: 3600 })).status).toBe(200)
    expect(server.ctx.db.select().from(conversations).where(eq(conversations.id, id)).get()?.slowModeSeconds).toBe(3600)
  })
})

describe('moderator deletes', () => {
  test("a moderator deletes someone's message with a reason; members cannot", async () => {
    const id = await lounge()
    const message = (await send(alice, id, 'rude words')).body
    const other = (await send(bob, id, 'fine words')).body

    const refused = await moderation(bob, 'DELETE', id, `/messages/${message.id}`, { reason: 'I dislike it' })
    expect(refused.status).toBe(403)
    expectErrorShape(refused.body, 'MODERATOR_REQUIRED')
    expect((await moderation(outsider, 'DELETE', id, `/messages/${message.id}`)).status).toBe(404)
    const missing = await moderation(mod, 'DELETE', id, '/messages/no-such-message')
    expect(missing.status).toBe(404)
    expectErrorShape(missing.body, 'MESSAGE_NOT_FOUND')

    const deleted = await moderation(mod, 'DELETE', id, `/messages/${message.id}`, { reason: 'rudeness' })
    expect(deleted.status).toBe(200)
    expect(deleted.body).toMatchObject({ id: message.id, seq: message.seq, content: '', senderId: alice.user.id })
    expect(deleted.body.deletedAt).toBeString()
    // Without a body, and again on an already deleted message (no second log row).
    expect((await moderation(mod, 'DELETE', id, `/messages/${other.id}`)).status).toBe(200)
    expect((await moderation(mod, 'DELETE', id, `/messages/${message.id}`)).status).toBe(200)

    const entries = await logOf(id)
    expect(entries.map((e) => [e.action, e.messageId, e.targetUserId, e.details.reason])).toEqual([
      ['delete_message', other.id, bob.user.id, ''],
      ['delete_message', message.id, alice.user.id, 'rudeness'],
    ])
  })
})

describe('the moderation log', () => {
  test('records every action with actor, target and details, newest first, and pages back', async () => {
    const id = await lounge()
    const message = (await send(alice, id)).body
    await moderation(mod, 'POST', id, '/mutes', { userId: alice.user.id, minutes: 15, reason: 'cool down' })
    await moderation(mod, 'DELETE', id, `/mutes/${alice.user.id}`)
    await moderation(mod, 'POST', id, '/bans', { userId: bob.user.id, minutes: 30, reason: 'spam' })
    await moderation(admin, 'DELETE', id, `/bans/${bob.user.id}`)
    await moderation(mod, 'PUT', id, '/slow-mode', { seconds: 20 })
    await moderation(mod, 'DELETE', id, `/messages/${message.id}`, { reason: 'off topic' })

    const response = await moderation(mod, 'GET', id, '/log')
    expect(response.status).toBe(200)
    expect(response.body.hasMore).toBe(false)
    const entries = response.body.entries
    expect(entries.map((e: any) => e.action)).toEqual(['delete_message', 'slow_mode', 'unban', 'ban', 'unmute', 'mute'])
    expect(entries.every((e: any) => e.conversationId === id && typeof e.createdAt === 'string')).toBe(true)
    const byAction = Object.fromEntries(entries.map((e: any) => [e.action, e]))
    expect(byAction.mute).toMatchObject({ actorId: mod.user.id, targetUserId: alice.user.id, messageId: null, details: { minutes: 15, reason: 'cool down' } })
    expect(byAction.mute.details.until).toBeString()
    expect(byAction.unmute).toMatchObject({ actorId: mod.user.id, targetUserId: alice.user.id })
    expect(byAction.ban).toMatchObject({ actorId: mod.user.id, targetUserId: bob.user.id, details: { minutes: 30, reason: 'spam', removed: true } })
    expect(byAction.unban).toMatchObject({ actorId: admin.user.id, targetUserId: bob.user.id })
    expect(byAction.slow_mode).toMatchObject({ actorId: mod.user.id, targetUserId: null, details: { seconds: 20, previousSeconds: 0 } })
    expect(byAction.delete_message).toMatchObject({ actorId: mod.user.id, targetUserId: alice.user.id, messageId: message.id, details: { reason: 'off topic', seq: message.seq } })

    const first = await moderation(mod, 'GET', id, '/log?limit=4')
    expect(first.body.entries.map((e: any) => e.action)).toEqual(['delete_message', 'slow_mode', 'unban', 'ban'])
    expect(first.body.hasMore).toBe(true)
    const second = await moderation(mod, 'GET', id, `/log?limit=4&before=${first.body.entries[3].id}`)
    expect(second.body.entries.map((e: any) => e.action)).toEqual(['unmute', 'mute'])
    expect(second.body.hasMore).toBe(false)
    const badCursor = await moderation(mod, 'GET', id, '/log?before=not-an-entry')
    expect(badCursor.status).toBe(422)
    expectErrorShape(badCursor.body, 'INVALID_CURSOR')
    expect((await moderation(mod, 'GET', id, '/log?limit=0')).status).toBe(422)
  })

  test('moderators and platform admins read it (an admin even outside the lounge); members get 403, others 404', async () => {
    const id = await lounge()
    await moderation(mod, 'PUT', id, '/slow-mode', { seconds: 5 })
    const member = await moderation(alice, 'GET', id, '/log')
    expect(member.status).toBe(403)
    expectErrorShape(member.body, 'MODERATOR_REQUIRED')
    const stranger = await moderation(outsider, 'GET', id, '/log')
    expect(stranger.status).toBe(404)
    expectErrorShape(stranger.body, 'CONVERSATION_NOT_FOUND')

    expect((await call(admin, 'POST', `/conversations/${id}/leave`)).status).toBe(204)
    const adminRead = await moderation(admin, 'GET', id, '/log')
    expect(adminRead.status).toBe(200)
    expect(adminRead.body.entries).toHaveLength(1)
    // Outside the lounge the platform admin still moderates it.
    expect((await moderation(admin, 'POST', id, '/mutes', { userId: bob.user.id, minutes: 1 })).status).toBe(201)
    expect((await moderation(mod, 'GET', id, '/log')).body.entries.map((e: any) => e.action)).toEqual(['mute', 'slow_mode'])
  })
})

describe('admins outside the room and bans that hold', () => {
  test('a platform admin who left the lounge can still delete a message there, and it is logged', async () => {
    const id = await lounge()
    const message = (await send(bob, id, 'rule-breaking')).body
    expect((await call(admin, 'POST', `/conversations/${id}/leave`)).status).toBeLessThan(300)
    const deleted = await moderation(admin, 'DELETE', id, `/messages/${message.id}`, { reason: 'spam' })
    expect(deleted.status).toBe(200)
    expect(deleted.body).toMatchObject({ id: message.id, content: '' })
    expect((await logOf(id)).some((e) => e.action === 'delete_message' && e.messageId === message.id)).toBe(true)
  })

  test('a banned user cannot be added back to a group by another member', async () => {
    const created = await call(alice, 'POST', '/conversations', { kind: 'group', memberIds: [bob.user.id, mod.user.id] })
    expect(created.status).toBe(201)
    const id = created.body.id as string
    server.ctx.db.update(participants).set({ role: 'moderator' }).where(and(eq(participants.conversationId, id), eq(participants.userId, mod.user.id))).run()
    expect((await moderation(mod, 'POST', id, '/bans', { userId: bob.user.id })).status).toBe(201)
    const readd = await call(alice, 'POST', `/conversations/${id}/participants`, { userIds: [bob.user.id] })
    expect(readd.status).toBe(403)
    expectErrorShape(readd.body, 'USER_BANNED')
    expect((await call(bob, 'GET', `/conversations/${id}/messages`)).status).toBe(404)
  })
})
