import { afterAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { conversations, participants, workspaceMembers } from '../../db/schema'
import { newId } from '../../lib/crypto'
import { expectErrorShape, startServer } from '../../../test/harness'
import { conversationKit } from '../../../test/conversation-kit'

const server = await startServer()
const admin = await server.register() // the first account is the platform admin
const { createWorkspace, insertUser, call, createChannel, participantIds } = conversationKit(server)
afterAll(() => server.stop())

describe('channels', () => {
  test('a workspace member creates a channel and becomes its owner; the sidebar shows it', async () => {
    const owner = await server.register()
    const member = await server.register()
    const workspaceId = createWorkspace(owner, [[member, 'member']])
    const response = await call(member, 'POST', '/conversations', { kind: 'channel', workspaceId, name: 'general', topic: 'Hello', memberIds: [owner.user.id, member.user.id] })
    expect(response.status).toBe(201)
    expect(response.body).toMatchObject({ kind: 'channel', name: 'general', topic: 'Hello', isPrivate: false, archived: false, workspaceId, lastSeq: 0, dmPeer: null, me: { role: 'owner', muted: false, pinned: false, notificationLevel: 'all', lastReadSeq: 0, unreadCount: 0 } })
    expect((await participantIds(member, response.body.id)).sort()).toEqual([owner.user.id, member.user.id].sort())

    const list = await call(owner, 'GET', `/conversations?workspaceId=${workspaceId}&kind=channel`)
    expect(list.status).toBe(200)
    expect(list.body.map((c: { id: string }) => c.id)).toEqual([response.body.id])
    expect(list.body[0].me.role).toBe('member')
    expect((await call(owner, 'GET', '/conversations?kind=dm')).body).toEqual([])
  })

  test('names are lower-case [a-z0-9_-]{1,80} and unique per workspace (409 CHANNEL_NAME_TAKEN); another workspace may reuse one', async () => {
    const owner = await server.register()
    const workspaceId = createWorkspace(owner)
    for (const name of ['General', 'has space', '', 'x'.repeat(81), 'émoji']) {
      const bad = await call(owner, 'POST', '/conversations', { kind: 'channel', workspaceId, name })
      expect(bad.status).toBe(422)
      expectErrorShape(bad.body, 'VALIDATION_FAILED')
    }
    expect((await call(owner, 'POST', '/conversations', { kind: 'channel', workspaceId, name: 'dev_ops-2' })).status).toBe(201)
    const taken = await call(owner, 'POST', '/conversations', { kind: 'channel', workspaceId, name: 'dev_ops-2' })
    expect(taken.status).toBe(409)
    expectErrorShape(taken.body, 'CHANNEL_NAME_TAKEN')
    expect((await call(owner, 'POST', '/conversations', { kind: 'channel', workspaceId: createWorkspace(owner), name: 'dev_ops-2' })).status).toBe(201)
  })

  test('non-members get 404 WORKSPACE_NOT_FOUND, guests 403, members that are not in the workspace 422', async () => {
    const owner = await server.register()
    const guest = await server.register()
    const outsider = await server.register()
    const workspaceId = createWorkspace(owner, [[guest, 'guest']])
    const notMember = await call(outsider, 'POST', '/conversations', { kind: 'channel', workspaceId, name: 'secret' })
    expect(notMember.status).toBe(404)
    expectErrorShape(notMember.body, 'WORKSPACE_NOT_FOUND')
    const asGuest = await call(guest, 'POST', '/conversations', { kind: 'channel', workspaceId, name: 'guests' })
    expect(asGuest.status).toBe(403)
    expectErrorShape(asGuest.body, 'GUEST_NOT_ALLOWED')
    const withOutsider = await call(owner, 'POST', '/conversations', { kind: 'channel', workspaceId, name: 'mixed', memberIds: [outsider.user.id] })
    expect(withOutsider.status).toBe(422)
    expectErrorShape(withOutsider.body, 'NOT_WORKSPACE_MEMBERS')
    expect(withOutsider.body.error.details.userIds).toEqual([outsider.user.id])
    expect((await call(null, 'POST', '/conversations', { kind: 'channel', workspaceId, name: 'anon' })).status).toBe(401)
  })

  test('a union body still rejects unknown fields and mixed kinds', async () => {
    const owner = await server.register()
    const workspaceId = createWorkspace(owner)
    for (const body of [{ kind: 'channel', workspaceId, name: 'extra', zzz: 1 }, { kind: 'dm', userId: owner.user.id, name: 'x' }, { kind: 'space', name: 'x' }]) {
      const response = await call(owner, 'POST', '/conversations', body)
      expect(response.status).toBe(422)
      expectErrorShape(response.body, 'VALIDATION_FAILED')
    }
  })

  test('browse lists public channels with a joined flag; private channels are invisible and 404 on join and GET', async () => {
    const owner = await server.register()
    const member = await server.register()
    const guest = await server.register()
    const outsider = await server.register()
    const workspaceId = createWorkspace(owner, [[member, 'member'], [guest, 'guest']])
    const open = await createChannel(owner, workspaceId, { name: 'open', description: 'for all' })
    const closed = await createChannel(owner, workspaceId, { name: 'closed', isPrivate: true })

    const browse = await call(member, 'GET', `/conversations/browse?workspaceId=${workspaceId}`)
    expect(browse.status).toBe(200)
    expect(browse.body).toEqual([{ id: open.id, kind: 'channel', name: 'open', topic: '', description: 'for all', workspaceId, archived: false, memberCount: 1, joined: false }])
    const privateJoin = await call(member, 'POST', `/conversations/${closed.id}/join`)
    expect(privateJoin.status).toBe(404)
    expectErrorShape(privateJoin.body, 'CONVERSATION_NOT_FOUND')
    expect((await call(member, 'GET', `/conversations/${closed.id}`)).status).toBe(404)
    expect((await call(member, 'GET', `/conversations/${open.id}`)).status).toBe(404)

    const joined = await call(member, 'POST', `/conversations/${open.id}/join`)
    expect(joined.status).toBe(200)
    expect(joined.body).toMatchObject({ id: open.id, me: { role: 'member' } })
    expect((await call(member, 'POST', `/conversations/${open.id}/join`)).status).toBe(200) // idempotent
    expect((await call(member, 'GET', `/conversations/browse?workspaceId=${workspaceId}`)).body[0]).toMatchObject({ joined: true, memberCount: 2 })
    expect((await call(member, 'GET', `/conversations/${open.id}`)).status).toBe(200)

    const guestJoin = await call(guest, 'POST', `/conversations/${open.id}/join`)
    expect(guestJoin.status).toBe(403)
    expectErrorShape(guestJoin.body, 'GUEST_NOT_ALLOWED')
    expect((await call(guest, 'GET', `/conversations/browse?workspaceId=${workspaceId}`)).status).toBe(403)
    const outsiderJoin = await call(outsider, 'POST', `/conversations/${open.id}/join`)
    expect(outsiderJoin.status).toBe(404)
    expectErrorShape(outsiderJoin.body, 'CONVERSATION_NOT_FOUND')
    const outsiderBrowse = await call(outsider, 'GET', `/conversations/browse?workspaceId=${workspaceId}`)
    expect(outsiderBrowse.status).toBe(404)
    expectErrorShape(outsiderBrowse.body, 'WORKSPACE_NOT_FOUND')
    expect((await call(member, 'GET', '/conversations/browse')).status).toBe(422)
  })

  test('PATCH: channel owners, moderators and workspace admins may change a channel; plain members may not', async () => {
    const owner = await server.register()
    const wsAdmin = await server.register()
    const member = await server.register()
    const workspaceId = createWorkspace(owner, [[wsAdmin, 'admin'], [member, 'member']])
    const channel = await createChannel(member, workspaceId, { name: 'team' })
    const other = await createChannel(member, workspaceId, { name: 'other' })

    const byWorkspaceOwner = await call(owner, 'PATCH', `/conversations/${channel.id}`, { topic: 'set by the owner' })
    expect(byWorkspaceOwner.status).toBe(200)
    expect(byWorkspaceOwner.body.topic).toBe('set by the owner')
    const plain = await server.register()
    server.ctx.db.insert(workspaceMembers).values({ workspaceId, userId: plain.user.id, role: 'member', joinedAt: new Date() }).run()
    await call(plain, 'POST', `/conversations/${channel.id}/join`)
    const forbidden = await call(plain, 'PATCH', `/conversations/${channel.id}`, { topic: 'mine now' })
    expect(forbidden.status).toBe(403)
    expectErrorShape(forbidden.body, 'NOT_CHANNEL_MANAGER')

    // A workspace admin who is not in the (private) channel may still manage it.
    const secret = await createChannel(member, workspaceId, { name: 'secret', isPrivate: true })
    const byAdmin = await call(wsAdmin, 'PATCH', `/conversations/${secret.id}`, { name: 'renamed', topic: 'T', description: 'D', isPrivate: false })
    expect(byAdmin.status).toBe(200)
    expect(byAdmin.body).toMatchObject({ id: secret.id, name: 'renamed', topic: 'T', description: 'D', isPrivate: false })
    expect((await call(member, 'GET', `/conversations/${secret.id}`)).body).toMatchObject({ name: 'renamed', isPrivate: false })

    const clash = await call(member, 'PATCH', `/conversations/${channel.id}`, { name: 'other' })
    expect(clash.status).toBe(409)
    expectErrorShape(clash.body, 'CHANNEL_NAME_TAKEN')
    expect(other.name).toBe('other')
    expect((await call(member, 'PATCH', `/conversations/${channel.id}`, { name: 'Not Valid' })).status).toBe(422)
    expect((await call(member, 'PATCH', `/conversations/${channel.id}`, { name: null })).status).toBe(422)
    expect((await call(member, 'PATCH', `/conversations/${channel.id}`, { name: 'team' })).status).toBe(200) // keeping its own name
    const outsider = await server.register()
    expect((await call(outsider, 'PATCH', `/conversations/${channel.id}`, { topic: 'x' })).status).toBe(404)
  })

  test('archive and unarchive: owner or workspace owner/admin; GET shows it; only channels', async () => {
    const owner = await server.register()
    const member = await server.register()
    const workspaceId = createWorkspace(owner, [[member, 'member']])
    const channel = await createChannel(member, workspaceId)
    const joiner = await server.register()
    server.ctx.db.insert(workspaceMembers).values({ workspaceId, userId: joiner.user.id, role: 'member', joinedAt: new Date() }).run()
    await call(joiner, 'POST', `/conversations/${channel.id}/join`)

    const forbidden = await call(joiner, 'POST', `/conversations/${channel.id}/archive`)
    expect(forbidden.status).toBe(403)
    expectErrorShape(forbidden.body, 'NOT_CHANNEL_OWNER')

    const archived = await call(member, 'POST', `/conversations/${channel.id}/archive`)
    expect(archived.status).toBe(200)
    expect(archived.body).toMatchObject({ id: channel.id, archived: true })
    expect(archived.body.archivedAt).toBeString()
    expect((await call(joiner, 'GET', `/conversations/${channel.id}`)).body).toMatchObject({ archived: true })
    expect((await call(joiner, 'GET', '/conversations')).body.find((c: { id: string }) => c.id === channel.id).archived).toBe(true)
    expect((await call(member, 'POST', `/conversations/${channel.id}/archive`)).status).toBe(200) // idempotent
    expect(() => server.ctx.services.access.assertWritable(channel.id, joiner.user.id)).toThrow('archived')

    const unarchived = await call(owner, 'POST', `/conversations/${channel.id}/unarchive`)
    expect(unarchived.status).toBe(200)
    expect(unarchived.body).toMatchObject({ archived: false, archivedAt: null })

    const group = (await call(member, 'POST', '/conversations', { kind: 'group', memberIds: [joiner.user.id] })).body
    const notChannel = await call(member, 'POST', `/conversations/${group.id}/archive`)
    expect(notChannel.status).toBe(409)
    expectErrorShape(notChannel.body, 'NOT_A_CHANNEL')
    expect((await call(member, 'POST', `/conversations/${newId()}/unarchive`)).status).toBe(404)
  })
})

describe('direct messages', () => {
  test('idempotent: 201 then 200 with the same id from both sides, exactly one row; the name is the other person', async () => {
    const alice = await server.register({ displayName: 'Alice A' })
    const bob = await server.register({ displayName: 'Bob B' })
    const first = await call(alice, 'POST', '/conversations', { kind: 'dm', userId: bob.user.id })
    expect(first.status).toBe(201)
    expect(first.body).toMatchObject({ kind: 'dm', name: 'Bob B', dmPeer: { id: bob.user.id, displayName: 'Bob B' }, workspaceId: null, me: { role: 'member' } })
    const again = await call(alice, 'POST', '/conversations', { kind: 'dm', userId: bob.user.id })
    expect(again.status).toBe(200)
    const reverse = await call(bob, 'POST', '/conversations', { kind: 'dm', userId: alice.user.id })
    expect(reverse.status).toBe(200)
    expect(new Set([first.body.id, again.body.id, reverse.body.id]).size).toBe(1)
    expect(reverse.body).toMatchObject({ name: 'Alice A', dmPeer: { id: alice.user.id } })
    const rows = server.ctx.db.select().from(conversations).where(eq(conversations.dmKey, [alice.user.id, bob.user.id].sort().join(':'))).all()
    expect(rows).toHaveLength(1)
    expect((await call(bob, 'GET', '/conversations?kind=dm')).body.map((c: { id: string }) => c.id)).toEqual([first.body.id])
  })

  test('a DM with yourself is a notes-to-self with one participant; unknown users are 404', async () => {
    const me = await server.register({ displayName: 'Solo' })
    const notes = await call(me, 'POST', '/conversations', { kind: 'dm', userId: me.user.id })
    expect(notes.status).toBe(201)
    expect(notes.body).toMatchObject({ kind: 'dm', name: 'Solo', dmPeer: { id: me.user.id } })
    expect(await participantIds(me, notes.body.id)).toEqual([me.user.id])
    expect((await call(me, 'POST', '/conversations', { kind: 'dm', userId: me.user.id })).status).toBe(200)
    const unknown = await call(me, 'POST', '/conversations', { kind: 'dm', userId: newId() })
    expect(unknown.status).toBe(404)
    expectErrorShape(unknown.body, 'USER_NOT_FOUND')
  })

  test('DMs cannot be left, edited, joined, or have people added or removed', async () => {
    const alice = await server.register()
    const bob = await server.register()
    const carol = await server.register()
    const dm = (await call(alice, 'POST', '/conversations', { kind: 'dm', userId: bob.user.id })).body
    const leave = await call(alice, 'POST', `/conversations/${dm.id}/leave`)
    expect(leave.status).toBe(409)
    expectErrorShape(leave.body, 'CANNOT_LEAVE_DM')
    const selfRemove = await call(alice, 'DELETE', `/conversations/${dm.id}/participants/${alice.user.id}`)
    expect(selfRemove.status).toBe(409)
    const remove = await call(alice, 'DELETE', `/conversations/${dm.id}/participants/${bob.user.id}`)
    expect(remove.status).toBe(409)
    expectErrorShape(remove.body, 'CANNOT_REMOVE_FROM_DM')
    const add = await call(alice, 'POST', `/conversations/${dm.id}/participants`, { userIds: [carol.user.id] })
    expect(add.status).toBe(409)
    expectErrorShape(add.body, 'CANNOT_ADD_PARTICIPANTS')
    expect((await call(alice, 'PATCH', `/conversations/${dm.id}`, { topic: 'x' })).status).toBe(409)
    expect((await call(carol, 'POST', `/conversations/${dm.id}/join`)).status).toBe(404)
    expect((await call(carol, 'GET', `/conversations/${dm.id}`)).status).toBe(404)
  })
})

describe('groups', () => {
  test('1–49 others; the creator owns it; any member renames it and adds people up to 50', async () => {
    const creator = await server.register()
    const others = await Promise.all(Array.from({ length: 3 }, () => server.register()))
    const ids = others.map((o) => o.user.id)
    const tooFew = await call(creator, 'POST', '/conversations', { kind: 'group', memberIds: [] })
    expect(tooFew.status).toBe(422)
    const onlyMe = await call(creator, 'POST', '/conversations', { kind: 'group', memberIds: [creator.user.id] })
    expect(onlyMe.status).toBe(422)
    expectErrorShape(onlyMe.body, 'GROUP_TOO_SMALL')
    expect((await call(creator, 'POST', '/conversations', { kind: 'group', memberIds: Array.from({ length: 50 }, () => newId()) })).status).toBe(422)
    const unknown = await call(creator, 'POST', '/conversations', { kind: 'group', memberIds: [ids[0], newId()] })
    expect(unknown.status).toBe(404)
    expectErrorShape(unknown.body, 'USER_NOT_FOUND')

    const group = await call(creator, 'POST', '/conversations', { kind: 'group', memberIds: ids.slice(0, 2), name: 'Trio' })
    expect(group.status).toBe(201)
    expect(group.body).toMatchObject({ kind: 'group', name: 'Trio', workspaceId: null, me: { role: 'owner' } })
    const renamed = await call(others[0]!, 'PATCH', `/conversations/${group.body.id}`, { name: '  Quartet  ' })
    expect(renamed.status).toBe(200)
    expect(renamed.body.name).toBe('Quartet')
    expect((await call(others[0]!, 'PATCH', `/conversations/${group.body.id}`, { isPrivate: true })).status).toBe(422)

    const added = await call(others[1]!, 'POST', `/conversations/${group.body.id}/participants`, { userIds: [ids[2], ids[0]] })
    expect(added.status).toBe(200)
    expect(added.body.added.map((p: { user: { id: string } }) => p.user.id)).toEqual([ids[2]])
    expect(added.body.added[0]).toMatchObject({ role: 'member' })
    expect(await participantIds(creator, group.body.id)).toHaveLength(4)

    // Fill the group to 50 directly, then one more is refused.
    const filler = Array.from({ length: 46 }, () => insertUser())
    server.ctx.db.insert(participants).values(filler.map((userId) => ({ conversationId: group.body.id, userId, joinedAt: new Date() }))).run()
    const late = await server.register()
    const full = await call(creator, 'POST', `/conversations/${group.body.id}/participants`, { userIds: [late.user.id] })
    expect(full.status).toBe(409)
    expectErrorShape(full.body, 'GROUP_FULL')
    const page = await call(creator, 'GET', `/conversations/${group.body.id}/participants?limit=10&offset=45`)
    expect(page.body.total).toBe(50)
    expect(page.body.participants).toHaveLength(5)
  })

  test('a group in a workspace needs workspace members', async () => {
    const owner = await server.register()
    const member = await server.register()
    const outsider = await server.register()
    const workspaceId = createWorkspace(owner, [[member, 'member']])
    expect((await call(owner, 'POST', '/conversations', { kind: 'group', workspaceId, memberIds: [member.user.id] })).status).toBe(201)
    const mixed = await call(owner, 'POST', '/conversations', { kind: 'group', workspaceId, memberIds: [outsider.user.id] })
    expect(mixed.status).toBe(422)
    expectErrorShape(mixed.body, 'NOT_WORKSPACE_MEMBERS')
    expect((await call(outsider, 'POST', '/conversations', { kind: 'group', workspaceId, memberIds: [member.user.id] })).status).toBe(404)
  })

  test('only the creator removes people; leaving hands ownership on; groups cannot be joined', async () => {
    const creator = await server.register()
    const [b, c, d] = await Promise.all([server.register(), server.register(), server.register()])
    const group = (await call(creator, 'POST', '/conversations', { kind: 'group', memberIds: [b.user.id, c.user.id] })).body
    const byMember = await call(b, 'DELETE', `/conversations/${group.id}/participants/${c.user.id}`)
    expect(byMember.status).toBe(403)
    expectErrorShape(byMember.body, 'NOT_ALLOWED_TO_REMOVE')
    expect((await call(d, 'DELETE', `/conversations/${group.id}/participants/${c.user.id}`)).status).toBe(404)
    expect((await call(d, 'POST', `/conversations/${group.id}/join`)).status).toBe(404)
    expect((await call(creator, 'DELETE', `/conversations/${group.id}/participants/${c.user.id}`)).status).toBe(204)
    const absent = await call(creator, 'DELETE', `/conversations/${group.id}/participants/${c.user.id}`)
    expect(absent.status).toBe(404)
    expectErrorShape(absent.body, 'PARTICIPANT_NOT_FOUND')
    expect(await participantIds(b, group.id)).toEqual([creator.user.id, b.user.id])

    expect((await call(creator, 'POST', `/conversations/${group.id}/leave`)).status).toBe(204)
    expect((await call(creator, 'GET', `/conversations/${group.id}`)).status).toBe(404)
    expect((await call(b, 'GET', `/conversations/${group.id}`)).body.me.role).toBe('owner')
    expect((await call(creator, 'POST', `/conversations/${group.id}/leave`)).status).toBe(404)
  })
})

describe('lounges', () => {
  test('only platform admins create lounges; anyone lists and joins them, and can leave', async () => {
    const user = await server.register()
    const refused = await call(user, 'POST', '/conversations', { kind: 'lounge', name: 'Watercooler' })
    expect(refused.status).toBe(403)
    expectErrorShape(refused.body, 'ADMIN_REQUIRED')
    const created = await call(admin, 'POST', '/conversations', { kind: 'lounge', name: 'Watercooler', topic: 'Chat' })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ kind: 'lounge', name: 'Watercooler', topic: 'Chat', workspaceId: null, me: { role: 'owner' } })

    const listed = await call(user, 'GET', '/conversations/lounges')
    expect(listed.status).toBe(200)
    expect(listed.body.find((l: { id: string }) => l.id === created.body.id)).toMatchObject({ joined: false, memberCount: 1 })
    expect((await call(user, 'GET', `/conversations/${created.body.id}`)).status).toBe(404)
    const joined = await call(user, 'POST', `/conversations/${created.body.id}/join`)
    expect(joined.status).toBe(200)
    expect(joined.body.me.role).toBe('member')
    expect((await call(user, 'GET', '/conversations/lounges')).body.find((l: { id: string }) => l.id === created.body.id)).toMatchObject({ joined: true, memberCount: 2 })

    const add = await call(user, 'POST', `/conversations/${created.body.id}/participants`, { userIds: [admin.user.id] })
    expect(add.status).toBe(409)
    expect((await call(user, 'PATCH', `/conversations/${created.body.id}`, { topic: 'mine' })).status).toBe(403)
    expect((await call(user, 'DELETE', `/conversations/${created.body.id}/participants/${admin.user.id}`)).status).toBe(403)

    expect((await call(user, 'POST', `/conversations/${created.body.id}/leave`)).status).toBe(204)
    expect((await call(user, 'GET', '/conversations?kind=lounge')).body).toEqual([])
  })

  test('the platform admin moderates a lounge without being in it', async () => {
    const host = await server.register()
    const guest = await server.register()
    const lounge = (await call(admin, 'POST', '/conversations', { kind: 'lounge', name: 'Moderated' })).body
    await call(host, 'POST', `/conversations/${lounge.id}/join`)
    await call(guest, 'POST', `/conversations/${lounge.id}/join`)
    expect((await call(admin, 'POST', `/conversations/${lounge.id}/leave`)).status).toBe(204)
    const renamed = await call(admin, 'PATCH', `/conversations/${lounge.id}`, { name: 'Renamed lounge' })
    expect(renamed.status).toBe(200)
    expect(renamed.body.name).toBe('Renamed lounge')
    expect((await call(admin, 'DELETE', `/conversations/${lounge.id}/participants/${guest.user.id}`)).status).toBe(204)
    expect((await call(guest, 'GET', `/conversations/${lounge.id}`)).status).toBe(404)
  })
})
