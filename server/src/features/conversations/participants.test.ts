import { afterAll, describe, expect, test } from 'bun:test'
import { and, eq } from 'drizzle-orm'
import { participants } from '../../db/schema'
import { expectErrorShape, startServer } from '../../../test/harness'
import { conversationKit } from '../../../test/conversation-kit'
import { TestSocket } from '../../../test/socket'

const server = await startServer()
await server.register() // the first account is the platform admin; these tests use others
const { createWorkspace, setLastSeq, call, createChannel, participantIds } = conversationKit(server)
afterAll(() => server.stop())

describe('channel participants', () => {
  test('members add workspace members only; owners, moderators and workspace admins remove; moderators not owners', async () => {
    const wsOwner = await server.register()
    const [creator, mod, member, other, outsider] = await Promise.all(Array.from({ length: 5 }, () => server.register()))
    const workspaceId = createWorkspace(wsOwner, [[creator!, 'member'], [mod!, 'member'], [member!, 'member'], [other!, 'guest']])
    const channel = await createChannel(creator!, workspaceId, { isPrivate: true, memberIds: [mod!.user.id] })
    server.ctx.db.update(participants).set({ role: 'moderator' }).where(and(eq(participants.conversationId, channel.id), eq(participants.userId, mod!.user.id))).run()

    const notInWorkspace = await call(mod!, 'POST', `/conversations/${channel.id}/participants`, { userIds: [outsider!.user.id] })
    expect(notInWorkspace.status).toBe(422)
    expectErrorShape(notInWorkspace.body, 'NOT_WORKSPACE_MEMBERS')
    const added = await call(mod!, 'POST', `/conversations/${channel.id}/participants`, { userIds: [member!.user.id, other!.user.id] })
    expect(added.status).toBe(200)
    expect(added.body.added).toHaveLength(2)
    expect((await call(outsider!, 'POST', `/conversations/${channel.id}/participants`, { userIds: [outsider!.user.id] })).status).toBe(404)
    expect((await call(member!, 'GET', `/conversations/${channel.id}`)).status).toBe(200) // added guests and members see the private channel

    const byMember = await call(member!, 'DELETE', `/conversations/${channel.id}/participants/${other!.user.id}`)
    expect(byMember.status).toBe(403)
    const modVsOwner = await call(mod!, 'DELETE', `/conversations/${channel.id}/participants/${creator!.user.id}`)
    expect(modVsOwner.status).toBe(403)
    expect((await call(mod!, 'DELETE', `/conversations/${channel.id}/participants/${other!.user.id}`)).status).toBe(204)
    expect((await call(other!, 'GET', `/conversations/${channel.id}`)).status).toBe(404)
    // The workspace owner is not in the private channel but manages it.
    expect((await call(wsOwner, 'DELETE', `/conversations/${channel.id}/participants/${member!.user.id}`)).status).toBe(204)
    expect((await call(wsOwner, 'GET', `/conversations/${channel.id}/participants`)).status).toBe(404)
    expect((await participantIds(creator!, channel.id)).sort()).toEqual([creator!.user.id, mod!.user.id].sort())

    // Removing yourself is leaving; the last owner leaving hands the channel to the moderator.
    expect((await call(creator!, 'DELETE', `/conversations/${channel.id}/participants/${creator!.user.id}`)).status).toBe(204)
    expect((await call(mod!, 'GET', `/conversations/${channel.id}`)).body.me.role).toBe('owner')
  })

  test('participants listing is for participants only and validates its page', async () => {
    const owner = await server.register()
    const workspaceId = createWorkspace(owner)
    const channel = await createChannel(owner, workspaceId)
    const listing = await call(owner, 'GET', `/conversations/${channel.id}/participants`)
    expect(listing.status).toBe(200)
    expect(listing.body).toMatchObject({ total: 1, participants: [{ user: { id: owner.user.id, username: owner.user.username }, role: 'owner' }] })
    expect(listing.body.participants[0].joinedAt).toBeString()
    expect((await call(owner, 'GET', `/conversations/${channel.id}/participants?limit=0`)).status).toBe(422)
    const stranger = await server.register()
    const hidden = await call(stranger, 'GET', `/conversations/${channel.id}/participants`)
    expect(hidden.status).toBe(404)
    expectErrorShape(hidden.body, 'CONVERSATION_NOT_FOUND')
  })
})

describe('read receipts', () => {
  test('in a DM the other person sees how far I read (socket and participants); channels keep reading private', async () => {
    const alice = await server.register()
    const bob = await server.register()
    const dm = (await call(alice, 'POST', '/conversations', { kind: 'dm', userId: bob.user.id })).body
    setLastSeq(dm.id, 5)
    const bobSocket = await TestSocket.ready(server.url, bob.accessToken)
    try {
      const receipt = bobSocket.next((e) => e.type === 'read.receipt' && e.conversationId === dm.id)
      expect((await call(alice, 'POST', `/conversations/${dm.id}/read`, { seq: 3 })).status).toBe(200)
      expect(await receipt).toEqual({ type: 'read.receipt', conversationId: dm.id, userId: alice.user.id, lastReadSeq: 3 })
      const listed = (await call(bob, 'GET', `/conversations/${dm.id}/participants`)).body.participants
      expect(listed.find((p: { user: { id: string } }) => p.user.id === alice.user.id).lastReadSeq).toBe(3)
      expect(listed.find((p: { user: { id: string } }) => p.user.id === bob.user.id).lastReadSeq).toBe(0)

      const wsOwner = await server.register()
      const workspaceId = createWorkspace(wsOwner, [[alice, 'member'], [bob, 'member']])
      const channel = await createChannel(alice, workspaceId, { memberIds: [bob.user.id] })
      setLastSeq(channel.id, 4)
      expect((await call(alice, 'POST', `/conversations/${channel.id}/read`, { seq: 4 })).status).toBe(200)
      await bobSocket.settle()
      expect(bobSocket.events.some((e: { type: string; conversationId?: string }) => e.type === 'read.receipt' && e.conversationId === channel.id)).toBe(false)
      const inChannel = (await call(bob, 'GET', `/conversations/${channel.id}/participants`)).body.participants
      expect(inChannel.every((p: Record<string, unknown>) => !('lastReadSeq' in p))).toBe(true)
    } finally {
      bobSocket.close()
    }
  })
})

describe('my settings and read state', () => {
  test('PATCH /me updates muted, pinned and notification level; pinned sorts first; others are unaffected', async () => {
    const alice = await server.register()
    const bob = await server.register()
    const workspaceId = createWorkspace(alice, [[bob, 'member']])
    const first = await createChannel(alice, workspaceId, { memberIds: [bob.user.id] })
    const second = await createChannel(alice, workspaceId)
    const response = await call(alice, 'PATCH', `/conversations/${first.id}/me`, { muted: true, pinned: true, notificationLevel: 'mentions' })
    expect(response.status).toBe(200)
    expect(response.body.me).toMatchObject({ muted: true, pinned: true, notificationLevel: 'mentions' })
    expect((await call(alice, 'PATCH', `/conversations/${first.id}/me`, {})).body.me).toMatchObject({ muted: true, pinned: true })
    const sidebar = await call(alice, 'GET', `/conversations?workspaceId=${workspaceId}`)
    expect(sidebar.body.map((c: { id: string }) => c.id)).toEqual([first.id, second.id])
    expect((await call(bob, 'GET', `/conversations/${first.id}`)).body.me).toMatchObject({ muted: false, pinned: false, notificationLevel: 'all' })

    const bad = await call(alice, 'PATCH', `/conversations/${first.id}/me`, { notificationLevel: 'loud' })
    expect(bad.status).toBe(422)
    expect((await call(alice, 'PATCH', `/conversations/${first.id}/me`, { muted: true, role: 'owner' })).status).toBe(422)
    expect((await call(await server.register(), 'PATCH', `/conversations/${first.id}/me`, { muted: true })).status).toBe(404)
  })

  test('the read pointer moves forward only and never past lastSeq; unreadCount follows', async () => {
    const alice = await server.register()
    const bob = await server.register()
    const dm = (await call(alice, 'POST', '/conversations', { kind: 'dm', userId: bob.user.id })).body
    setLastSeq(dm.id, 10)
    const listed = (await call(alice, 'GET', '/conversations?kind=dm')).body[0]
    expect(listed).toMatchObject({ lastSeq: 10, me: { lastReadSeq: 0, unreadCount: 10 } })
    expect(listed.lastMessageAt).toBeString()

    const read = async (seq: number) => {
      const response = await call(alice, 'POST', `/conversations/${dm.id}/read`, { seq })
      expect(response.status).toBe(200)
      return response.body
    }
    expect(await read(4)).toEqual({ lastReadSeq: 4, unreadCount: 6 })
    expect(await read(2)).toEqual({ lastReadSeq: 4, unreadCount: 6 })
    expect(await read(99)).toEqual({ lastReadSeq: 10, unreadCount: 0 })
    setLastSeq(dm.id, 15)
    expect((await call(alice, 'GET', `/conversations/${dm.id}`)).body.me).toMatchObject({ lastReadSeq: 10, unreadCount: 5 })
    expect(await read(12)).toEqual({ lastReadSeq: 12, unreadCount: 3 })
    expect((await call(bob, 'GET', `/conversations/${dm.id}`)).body.me).toMatchObject({ lastReadSeq: 0, unreadCount: 15 })

    // @NOTE: Elysia coerces a numeric string such as "3" to a number, as on every other route.
    for (const body of [{ seq: -1 }, { seq: 1.5 }, { seq: 'three' }, {}]) expect((await call(alice, 'POST', `/conversations/${dm.id}/read`, body)).status).toBe(422)
    const stranger = await call(await server.register(), 'POST', `/conversations/${dm.id}/read`, { seq: 1 })
    expect(stranger.status).toBe(404)
    expectErrorShape(stranger.body, 'CONVERSATION_NOT_FOUND')
  })

  test('the list filters validate and refuse unknown parameters', async () => {
    const user = await server.register()
    expect((await call(user, 'GET', '/conversations?kind=space')).status).toBe(422)
    expect((await call(user, 'GET', '/conversations?limit=5')).status).toBe(422)
    expect((await call(user, 'GET', '/conversations')).body).toEqual([])
    expect((await call(null, 'GET', '/conversations')).status).toBe(401)
  })
})
