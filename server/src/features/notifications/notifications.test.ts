import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { transaction } from '../../db/client'
import { notifications } from '../../db/schema'
import { newId } from '../../lib/crypto'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { seedConversation } from '../../../test/fixtures'
import { SocketPool, TestSocket } from '../../../test/socket'

let server: TestServer
let alice: Session
let bob: Session
let carol: Session
let dave: Session
const sockets = new SocketPool(() => server)

beforeAll(async () => {
  server = await startServer()
  ;[alice, bob, carol, dave] = await Promise.all([server.register(), server.register(), server.register(), server.register()])
})
afterAll(async () => {
  sockets.closeAll()
  await server.stop()
})

const connect = (who: Session) => sockets.connect(who)

/** Conversations made directly in the database, so these tests depend only on messaging; DMs need their pair key. */
function conversation(members: Session[], kind: 'group' | 'dm' = 'group'): string {
  return seedConversation(server, members, { kind })
}

const send = async (who: Session, conversationId: string, content: string, parentId?: string) => {
  const response = await server.request('POST', `/conversations/${conversationId}/messages`, { token: who.accessToken, body: { content, parentId } })
  if (response.status !== 201) throw new Error(`send failed: ${response.status} ${JSON.stringify(response.body)}`)
  return response.body
}
const list = (who: Session, query = '') => server.request('GET', `/notifications${query}`, { token: who.accessToken })
const rowsFor = (messageId: string) => server.ctx.db.select().from(notifications).where(eq(notifications.messageId, messageId)).all()
const settings = (who: Session, conversationId: string, body: Record<string, unknown>) => server.request('PATCH', `/conversations/${conversationId}/me`, { token: who.accessToken, body })
const notified = (socket: TestSocket, messageId: string) => socket.events.some((e) => e.type === 'notification.created' && e.notification.messageId === messageId)

describe('who is notified', () => {
  test('a mention stores one row and reaches only the mentioned user, with a preview', async () => {
    const id = conversation([alice, bob, carol])
    const [a, b, c] = await Promise.all([connect(alice), connect(bob), connect(carol)])
    const message = await send(alice, id, `hey @${bob.user.username}, ${'long '.repeat(40)}`)
    const event = await b.next((e) => e.type === 'notification.created' && e.notification.messageId === message.id)
    expect(event.notification).toMatchObject({ kind: 'mention', actorId: alice.user.id, conversationId: id, silent: false, readAt: null, threadRootId: null })
    expect(event.notification.preview.senderName).toMatch(/^User /)
    expect(event.notification.preview.conversationName).toBe(`g-${id.slice(-6)}`)
    expect([...event.notification.preview.text]).toHaveLength(140)
    expect(rowsFor(message.id).map((r) => [r.userId, r.kind])).toEqual([[bob.user.id, 'mention']])
    await Promise.all([a.settle(), c.settle()])
    expect(notified(a, message.id) || notified(c, message.id)).toBe(false)
  })

  test('@channel and @here notify every participant but the sender', async () => {
    const id = conversation([alice, bob, carol])
    const channel = await send(alice, id, '@channel standup')
    expect(rowsFor(channel.id).map((r) => r.userId).sort()).toEqual([bob.user.id, carol.user.id].sort())
    const here = await send(bob, id, '@here lunch')
    expect(rowsFor(here.id).map((r) => [r.userId, r.kind]).sort()).toEqual([[alice.user.id, 'mention'], [carol.user.id, 'mention']].sort())
  })

  test('a plain group message notifies nobody; in a DM the other person gets a dm', async () => {
    expect(rowsFor((await send(alice, conversation([alice, bob]), 'just chatting')).id)).toEqual([])
    const dm = conversation([alice, bob], 'dm')
    const b = await connect(bob)
    const message = await send(alice, dm, 'psst')
    const event = await b.next((e) => e.type === 'notification.created' && e.notification.messageId === message.id)
    expect(event.notification).toMatchObject({ kind: 'dm', preview: { conversationName: null, text: 'psst' } })
    expect(rowsFor(message.id).map((r) => r.userId)).toEqual([bob.user.id])
  })

  test('thread replies notify followers (root author, earlier repliers), never the sender', async () => {
    const id = conversation([alice, bob, carol, dave])
    const root = await send(alice, id, 'root')
    const first = await send(bob, id, 'first reply', root.id)
    expect(rowsFor(first.id).map((r) => [r.userId, r.kind])).toEqual([[alice.user.id, 'thread_reply']])
    const second = await send(carol, id, 'second reply', root.id)
    expect(rowsFor(second.id).map((r) => r.userId).sort()).toEqual([alice.user.id, bob.user.id].sort())
    const listed = (await list(alice, '?limit=1')).body.notifications[0]
    expect(listed).toMatchObject({ kind: 'thread_reply', messageId: second.id, threadRootId: root.id })
  })

  test('a mention in a followed thread is one notification, the mention', async () => {
    const id = conversation([alice, bob])
    const root = await send(alice, id, 'root')
    await send(bob, id, 'following now', root.id)
    const reply = await send(alice, id, `@${bob.user.username} look`, root.id)
    expect(rowsFor(reply.id).map((r) => [r.userId, r.kind])).toEqual([[bob.user.id, 'mention']])
  })
})

describe('settings', () => {
  test('level none silences a conversation; mentions lets only mentions (and DMs) through', async () => {
    const id = conversation([alice, bob, carol])
    expect((await settings(bob, id, { notificationLevel: 'none' })).status).toBe(200)
    await settings(carol, id, { notificationLevel: 'mentions' })
    const everyone = await send(alice, id, '@channel hi')
    expect(rowsFor(everyone.id).map((r) => r.userId)).toEqual([carol.user.id])
    const root = await send(carol, id, 'root')
    const reply = await send(alice, id, 'a reply carol follows', root.id)
    expect(rowsFor(reply.id)).toEqual([])
    const dm = conversation([alice, carol], 'dm')
    await settings(carol, dm, { notificationLevel: 'mentions' })
    expect(rowsFor((await send(alice, dm, 'still reaches you')).id).map((r) => r.kind)).toEqual(['dm'])
  })

  test('muted conversations store notifications marked silent', async () => {
    const id = conversation([alice, bob])
    await settings(bob, id, { muted: true })
    const b = await connect(bob)
    const message = await send(alice, id, `@${bob.user.username} quietly`)
    expect((await b.next((e) => e.type === 'notification.created' && e.notification.messageId === message.id)).notification.silent).toBe(true)
    expect(rowsFor(message.id)[0]?.data).toEqual({ silent: true })
  })

  test('do-not-disturb stores notifications without pushing them; GET reflects the setting', async () => {
    const id = conversation([alice, bob])
    const until = new Date(Date.now() + 3_600_000).toISOString()
    const set = await server.request('PUT', '/users/me/dnd', { token: bob.accessToken, body: { until } })
    expect(set.body).toEqual({ until, active: true })
    expect((await server.request('GET', '/users/me/dnd', { token: bob.accessToken })).body).toEqual({ until, active: true })
    const b = await connect(bob)
    const quiet = await send(alice, id, `@${bob.user.username} while away`)
    expect(rowsFor(quiet.id)).toHaveLength(1)
    expect((await server.request('PUT', '/users/me/dnd', { token: bob.accessToken, body: { until: null } })).body).toEqual({ until: null, active: false })
    const loud = await send(alice, id, `@${bob.user.username} back?`)
    // Pushes go out in commit order, so once the later one arrived the earlier one would have too.
    await b.next((e) => e.type === 'notification.created' && e.notification.messageId === loud.id)
    expect(notified(b, quiet.id)).toBe(false)
    expect((await list(bob, '?limit=2')).body.notifications.map((n: any) => n.messageId)).toEqual([loud.id, quiet.id])
    const past = await server.request('PUT', '/users/me/dnd', { token: bob.accessToken, body: { until: new Date(Date.now() - 1000).toISOString() } })
    expect(past.body).toEqual({ until: null, active: false })
    expect((await server.request('PUT', '/users/me/dnd', { token: bob.accessToken, body: { until: 'tomorrow' } })).status).toBe(422)
  })
})

describe('reading and counting', () => {
  test('list, unread filter, paging, read, read-all per conversation, delete, unread-count', async () => {
    const reader = await server.register()
    const first = conversation([alice, reader])
    const second = conversation([alice, reader])
    const mention = `@${reader.user.username}`
    const m1 = await send(alice, first, `${mention} one`)
    const m2 = await send(alice, first, `${mention} two`)
    const m3 = await send(alice, second, `@here three`)
    const root = await send(reader, second, 'root')
    const m4 = await send(alice, second, 'reply', root.id)

    const all = await list(reader)
    expect(all.body.notifications.map((n: any) => n.messageId)).toEqual([m4.id, m3.id, m2.id, m1.id])
    expect(all.body.hasMore).toBe(false)
    const page1 = await list(reader, '?limit=3')
    expect(page1.body.hasMore).toBe(true)
    const page2 = await list(reader, `?limit=3&before=${page1.body.notifications[2].id}`)
    expect(page2.body.notifications.map((n: any) => n.messageId)).toEqual([m1.id])

    const count = async () => (await server.request('GET', '/notifications/unread-count', { token: reader.accessToken })).body
    const before = await count()
    expect(before.total).toBe(4)
    expect(before.byConversation.sort((x: any, y: any) => (x.conversationId === first ? -1 : y.conversationId === first ? 1 : 0))).toEqual([
      { conversationId: first, unread: 2, mentions: 2 },
      { conversationId: second, unread: 2, mentions: 1 },
    ])

    const idOf = (messageId: string) => all.body.notifications.find((n: any) => n.messageId === messageId).id
    const read = await server.request('POST', `/notifications/${idOf(m1.id)}/read`, { token: reader.accessToken })
    expect(read.status).toBe(200)
    expect(read.body.readAt).toBeString()
    expect((await server.request('POST', `/notifications/${idOf(m1.id)}/read`, { token: reader.accessToken })).body.readAt).toBe(read.body.readAt)
    expect((await list(reader, '?unread=true')).body.notifications.map((n: any) => n.messageId)).toEqual([m4.id, m3.id, m2.id])

    const perConversation = await server.request('POST', '/notifications/read-all', { token: reader.accessToken, body: { conversationId: second } })
    expect(perConversation.body).toEqual({ updated: 2 })
    expect(await count()).toEqual({ total: 1, byConversation: [{ conversationId: first, unread: 1, mentions: 1 }] })
    expect((await server.request('POST', '/notifications/read-all', { token: reader.accessToken, body: {} })).body).toEqual({ updated: 1 })
    expect(await count()).toEqual({ total: 0, byConversation: [] })

    const removed = await server.request('DELETE', `/notifications/${idOf(m2.id)}`, { token: reader.accessToken })
    expect(removed.status).toBe(204)
    expect((await list(reader)).body.notifications).toHaveLength(3)
    const again = await server.request('DELETE', `/notifications/${idOf(m2.id)}`, { token: reader.accessToken })
    expect(again.status).toBe(404)
    expectErrorShape(again.body, 'NOTIFICATION_NOT_FOUND')
    // Someone else's notification does not exist for you.
    expect((await server.request('POST', `/notifications/${idOf(m3.id)}/read`, { token: alice.accessToken })).status).toBe(404)
    expect((await server.request('DELETE', `/notifications/${idOf(m3.id)}`, { token: alice.accessToken })).status).toBe(404)
  })

  test('a user who left a conversation no longer sees its notifications, previews or counts', async () => {
    const leaver = await server.register()
    const id = conversation([alice, leaver])
    const secret = await send(alice, id, `@${leaver.user.username} the secret plan`)
    const listed = (await list(leaver)).body.notifications
    expect(listed.map((n: any) => n.preview.text)).toEqual([`@${leaver.user.username} the secret plan`])
    expect((await server.request('POST', `/conversations/${id}/leave`, { token: leaver.accessToken })).status).toBe(204)
    const after = await list(leaver)
    expect(after.body.notifications).toEqual([])
    expect(JSON.stringify(after.body)).not.toContain('secret')
    expect((await server.request('GET', '/notifications/unread-count', { token: leaver.accessToken })).body).toEqual({ total: 0, byConversation: [] })
    expect((await server.request('POST', `/notifications/${listed[0].id}/read`, { token: leaver.accessToken })).status).toBe(404)
    expect(rowsFor(secret.id)).toHaveLength(1)
  })

  test('edits and deletes show in the preview, which is built when read', async () => {
    const id = conversation([alice, bob])
    const message = await send(alice, id, `@${bob.user.username} draft`)
    await server.request('PATCH', `/conversations/${id}/messages/${message.id}`, { token: alice.accessToken, body: { content: `@${bob.user.username} final` } })
    const find = async () => (await list(bob, '?limit=200')).body.notifications.find((n: any) => n.messageId === message.id)
    expect((await find()).preview.text).toBe(`@${bob.user.username} final`)
    await server.request('DELETE', `/conversations/${id}/messages/${message.id}`, { token: alice.accessToken })
    expect((await find()).preview.text).toBe('')
  })

  test('reads reach the reader\'s other devices', async () => {
    const id = conversation([alice, bob])
    const message = await send(alice, id, `@${bob.user.username} sync`)
    const notification = (await list(bob, '?limit=1')).body.notifications[0]
    expect(notification.messageId).toBe(message.id)
    const other = await connect(bob)
    await server.request('POST', `/notifications/${notification.id}/read`, { token: bob.accessToken })
    expect((await other.next((e) => e.type === 'notification.read')).ids).toEqual([notification.id])
  })
})

describe('invites', () => {
  test('an email invite to an existing account becomes an invite notification', async () => {
    const invitee = await server.register()
    const socket = await connect(invitee)
    const workspaceId = newId()
    transaction(server.ctx.db, (tx, afterCommit) =>
      server.ctx.services.notifications.invite(tx, afterCommit, { email: invitee.user.email, inviteId: newId(), workspaceId, workspaceName: 'Acme', role: 'member', actorId: alice.user.id }),
    )
    const event = await socket.next((e) => e.type === 'notification.created')
    expect(event.notification).toMatchObject({ kind: 'invite', workspaceId, conversationId: null, actorId: alice.user.id, preview: { workspaceName: 'Acme', text: 'Invited you to Acme as member' } })
    expect((await server.request('GET', '/notifications/unread-count', { token: invitee.accessToken })).body).toEqual({ total: 1, byConversation: [] })
  })
})

describe('reading a conversation', () => {
  test('moving the read pointer reads the notifications of the messages it passed, and only those', async () => {
    const id = conversation([alice, bob])
    const first = await send(alice, id, `@${bob.user.username} first`)
    const second = await send(alice, id, `@${bob.user.username} second`)
    const b = await connect(bob)
    const read = await server.request('POST', `/conversations/${id}/read`, { token: bob.accessToken, body: { seq: first.seq } })
    expect(read.status).toBe(200)
    const event = await b.next((e) => e.type === 'notification.read')
    expect(event.ids).toHaveLength(1)
    expect(rowsFor(first.id)[0]?.readAt).toBeInstanceOf(Date)
    expect(rowsFor(second.id)[0]?.readAt).toBeNull()
    const counts = (await server.request('GET', '/notifications/unread-count', { token: bob.accessToken })).body
    expect(counts.byConversation.find((c: any) => c.conversationId === id)).toMatchObject({ unread: 1, mentions: 1 })
  })
})
