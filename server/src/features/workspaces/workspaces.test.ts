import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'

let server: TestServer
let platformAdmin: Session

beforeAll(async () => {
  server = await startServer()
  platformAdmin = await server.register()
})
afterAll(() => server.stop())

let names = 0
const uniqueName = (base = 'Team') => `${base} ${++names} ${Math.random().toString(36).slice(2, 7)}`

async function createWorkspace(owner: Session, body: Record<string, unknown> = {}) {
  const response = await server.request('POST', '/workspaces', { token: owner.accessToken, body: { name: uniqueName(), ...body } })
  if (response.status !== 201) throw new Error(`create failed: ${response.status} ${JSON.stringify(response.body)}`)
  return response.body as { id: string; slug: string; name: string; role: string; ownerId: string }
}

async function linkInvite(token: string, workspaceId: string, body: Record<string, unknown> = {}) {
  return server.request('POST', `/workspaces/${workspaceId}/invites`, { token, body: { kind: 'link', ...body } })
}

function accept(session: Session, code: string) {
  return server.request('POST', `/invites/${code}/accept`, { token: session.accessToken })
}

/** A workspace with one member per role, joined through link invites. */
async function workspaceWithRoles() {
  const owner = await server.register()
  const workspace = await createWorkspace(owner)
  const join = async (role: string) => {
    const session = await server.register()
    const invite = await linkInvite(owner.accessToken, workspace.id, { role })
    expect((await accept(session, invite.body.code)).status).toBe(200)
    return session
  }
  return { workspace, owner, admin: await join('admin'), member: await join('member'), guest: await join('guest') }
}

/** The token of the newest workspace invite mailed to `to`, read from the dev outbox. */
function inviteToken(to: string): string {
  const mail = server.ctx.mail.list({ limit: 200 }).find((m) => m.to === to && m.kind === 'workspace_invite')
  if (!mail) throw new Error(`no workspace_invite mail to ${to}`)
  return /Token: (\S+)/.exec(mail.text)![1]!
}

describe('workspaces', () => {
  test('create derives a unique slug from the name; the creator is owner; list and get show the role', async () => {
    const owner = await server.register()
    const first = await server.request('POST', '/workspaces', { token: owner.accessToken, body: { name: '  Ünïcode Crew!  ', description: 'We ship' } })
    expect(first.status).toBe(201)
    expect(first.body).toMatchObject({ name: 'Ünïcode Crew!', slug: 'unicode-crew', description: 'We ship', role: 'owner', ownerId: owner.user.id, avatarUrl: null })
    const second = await server.request('POST', '/workspaces', { token: owner.accessToken, body: { name: 'Unicode crew' } })
    expect(second.status).toBe(201)
    expect(second.body.slug).toBe('unicode-crew-2')

    const list = await server.request('GET', '/workspaces', { token: owner.accessToken })
    expect(list.status).toBe(200)
    expect(list.body.map((w: { id: string; role: string }) => [w.id, w.role])).toEqual(expect.arrayContaining([[first.body.id, 'owner'], [second.body.id, 'owner']]))
    const one = await server.request('GET', `/workspaces/${first.body.id}`, { token: owner.accessToken })
    expect(one.status).toBe(200)
    expect(one.body).toEqual(first.body)
    expect((await server.request('GET', '/workspaces', { token: (await server.register()).accessToken })).body).toEqual([])
  })

  test('an explicit slug that is taken is 409 SLUG_TAKEN; a malformed slug is 422; no token is 401', async () => {
    const owner = await server.register()
    const slug = `taken-${Math.random().toString(36).slice(2, 8)}`
    await createWorkspace(owner, { slug })
    const clash = await server.request('POST', '/workspaces', { token: (await server.register()).accessToken, body: { name: 'Other', slug } })
    expect(clash.status).toBe(409)
    expectErrorShape(clash.body, 'SLUG_TAKEN')
    for (const bad of ['Upper-Case', 'a', 'has space', 'x'.repeat(41)]) {
      const response = await server.request('POST', '/workspaces', { token: owner.accessToken, body: { name: 'Bad', slug: bad } })
      expect(response.status).toBe(422)
      expectErrorShape(response.body, 'VALIDATION_FAILED')
    }
    const anonymous = await server.request('POST', '/workspaces', { body: { name: 'Nobody' } })
    expect(anonymous.status).toBe(401)
    expectErrorShape(anonymous.body, 'UNAUTHORIZED')
  })

  test('non-members get the same 404 as for an unknown id, on every workspace route', async () => {
    const owner = await server.register()
    const workspace = await createWorkspace(owner)
    const stranger = await server.register()
    for (const id of [workspace.id, crypto.randomUUID()]) {
      const requests: Array<[string, string, unknown?]> = [
        ['GET', `/workspaces/${id}`],
        ['PATCH', `/workspaces/${id}`, { name: 'Mine now' }],
        ['DELETE', `/workspaces/${id}`],
        ['GET', `/workspaces/${id}/members`],
        ['POST', `/workspaces/${id}/leave`],
        ['POST', `/workspaces/${id}/invites`, { kind: 'link' }],
        ['GET', `/workspaces/${id}/invites`],
      ]
      for (const [method, path, body] of requests) {
        const response = await server.request(method, path, { token: stranger.accessToken, body })
        expect(response.status, `${method} ${path}`).toBe(404)
        expectErrorShape(response.body, 'WORKSPACE_NOT_FOUND')
      }
    }
    expect((await server.request('GET', `/workspaces/${workspace.id}`, { token: owner.accessToken })).body.name).toBe(workspace.name)
  })

  test('owners and admins edit the workspace; members and guests get 403; a taken slug is 409', async () => {
    const { workspace, owner, admin, member, guest } = await workspaceWithRoles()
    const edited = await server.request('PATCH', `/workspaces/${workspace.id}`, { token: admin.accessToken, body: { name: 'Renamed', description: 'New', avatarUrl: 'https://example.com/a.png' } })
    expect(edited.status).toBe(200)
    expect(edited.body).toMatchObject({ name: 'Renamed', description: 'New', avatarUrl: 'https://example.com/a.png', role: 'admin', slug: workspace.slug })
    for (const session of [member, guest]) {
      const refused = await server.request('PATCH', `/workspaces/${workspace.id}`, { token: session.accessToken, body: { name: 'Nope' } })
      expect(refused.status).toBe(403)
      expectErrorShape(refused.body, 'WORKSPACE_ADMIN_REQUIRED')
    }
    const other = await createWorkspace(owner)
    const clash = await server.request('PATCH', `/workspaces/${workspace.id}`, { token: owner.accessToken, body: { slug: other.slug } })
    expect(clash.status).toBe(409)
    expectErrorShape(clash.body, 'SLUG_TAKEN')
    const own = await server.request('PATCH', `/workspaces/${workspace.id}`, { token: owner.accessToken, body: { slug: workspace.slug } })
    expect(own.status).toBe(200)
    const unknownField = await server.request('PATCH', `/workspaces/${workspace.id}`, { token: owner.accessToken, body: { ownerId: admin.user.id } })
    expect(unknownField.status).toBe(422)
  })

  test('members are listed with public fields, role and joinedAt, paginated', async () => {
    const { workspace, owner, admin, member, guest } = await workspaceWithRoles()
    const all = await server.request('GET', `/workspaces/${workspace.id}/members`, { token: guest.accessToken })
    expect(all.status).toBe(200)
    expect(all.body.total).toBe(4)
    expect(all.body.members.map((m: { id: string; role: string }) => [m.id, m.role])).toEqual([[owner.user.id, 'owner'], [admin.user.id, 'admin'], [member.user.id, 'member'], [guest.user.id, 'guest']])
    expect(Object.keys(all.body.members[0]).sort()).toEqual(['avatarUrl', 'displayName', 'id', 'joinedAt', 'role', 'username'])
    const page = await server.request('GET', `/workspaces/${workspace.id}/members?limit=2&offset=1`, { token: owner.accessToken })
    expect(page.body).toMatchObject({ total: 4, members: [{ id: admin.user.id }, { id: member.user.id }] })
    const bad = await server.request('GET', `/workspaces/${workspace.id}/members?limit=0`, { token: owner.accessToken })
    expect(bad.status).toBe(422)
  })
})

describe('roles', () => {
  test('admins manage members but not the owner; nobody changes their own role; members and guests cannot', async () => {
    const { workspace, owner, admin, member, guest } = await workspaceWithRoles()
    const path = (userId: string) => `/workspaces/${workspace.id}/members/${userId}`

    const touchOwner = await server.request('PATCH', path(owner.user.id), { token: admin.accessToken, body: { role: 'member' } })
    expect(touchOwner.status).toBe(403)
    expectErrorShape(touchOwner.body, 'CANNOT_CHANGE_OWNER')
    const makeOwner = await server.request('PATCH', path(member.user.id), { token: admin.accessToken, body: { role: 'owner' } })
    expect(makeOwner.status).toBe(422)
    for (const session of [owner, admin]) {
      const self = await server.request('PATCH', path(session.user.id), { token: session.accessToken, body: { role: 'guest' } })
      expect(self.status).toBe(403)
      expectErrorShape(self.body, 'CANNOT_CHANGE_OWN_ROLE')
    }
    for (const session of [member, guest]) {
      const refused = await server.request('PATCH', path(admin.user.id), { token: session.accessToken, body: { role: 'guest' } })
      expect(refused.status).toBe(403)
      expectErrorShape(refused.body, 'WORKSPACE_ADMIN_REQUIRED')
    }
    const stranger = await server.register()
    const missing = await server.request('PATCH', path(stranger.user.id), { token: owner.accessToken, body: { role: 'member' } })
    expect(missing.status).toBe(404)
    expectErrorShape(missing.body, 'MEMBER_NOT_FOUND')

    const promoted = await server.request('PATCH', path(guest.user.id), { token: admin.accessToken, body: { role: 'member' } })
    expect(promoted.status).toBe(200)
    expect(promoted.body).toMatchObject({ id: guest.user.id, username: guest.user.username, role: 'member' })
    const demoted = await server.request('PATCH', path(admin.user.id), { token: owner.accessToken, body: { role: 'member' } })
    expect(demoted.body.role).toBe('member')
    expect((await server.request('GET', `/workspaces/${workspace.id}`, { token: admin.accessToken })).body.role).toBe('member')

    const audit = await server.request('GET', `/admin/audit?action=workspace.member.role_changed&userId=${admin.user.id}`, { token: platformAdmin.accessToken })
    expect(audit.body[0]).toMatchObject({ actorUserId: owner.user.id, details: { workspaceId: workspace.id, from: 'admin', to: 'member' } })
  })

  test('members and guests cannot invite or see invites', async () => {
    const { workspace, member, guest } = await workspaceWithRoles()
    for (const session of [member, guest]) {
      for (const body of [{ kind: 'link' }, { kind: 'email', email: 'someone@example.com' }]) {
        const response = await server.request('POST', `/workspaces/${workspace.id}/invites`, { token: session.accessToken, body })
        expect(response.status).toBe(403)
        expectErrorShape(response.body, 'WORKSPACE_ADMIN_REQUIRED')
      }
      expect((await server.request('GET', `/workspaces/${workspace.id}/invites`, { token: session.accessToken })).status).toBe(403)
    }
  })
})

describe('remove, leave, transfer, delete', () => {
  test('admins remove members but not the owner; the removed member loses access', async () => {
    const { workspace, owner, admin, member } = await workspaceWithRoles()
    const removeOwner = await server.request('DELETE', `/workspaces/${workspace.id}/members/${owner.user.id}`, { token: admin.accessToken })
    expect(removeOwner.status).toBe(403)
    expectErrorShape(removeOwner.body, 'CANNOT_REMOVE_OWNER')
    const byMember = await server.request('DELETE', `/workspaces/${workspace.id}/members/${admin.user.id}`, { token: member.accessToken })
    expect(byMember.status).toBe(403)

    expect((await server.request('DELETE', `/workspaces/${workspace.id}/members/${member.user.id}`, { token: admin.accessToken })).status).toBe(204)
    expect((await server.request('GET', `/workspaces/${workspace.id}`, { token: member.accessToken })).status).toBe(404)
    const again = await server.request('DELETE', `/workspaces/${workspace.id}/members/${member.user.id}`, { token: admin.accessToken })
    expect(again.status).toBe(404)
    expectErrorShape(again.body, 'MEMBER_NOT_FOUND')
    expect((await server.request('GET', '/workspaces', { token: member.accessToken })).body).toEqual([])
  })

  test('the owner must transfer before leaving; transfer needs a member target and makes the old owner admin', async () => {
    const { workspace, owner, admin, member } = await workspaceWithRoles()
    const leave = await server.request('POST', `/workspaces/${workspace.id}/leave`, { token: owner.accessToken })
    expect(leave.status).toBe(409)
    expectErrorShape(leave.body, 'OWNER_MUST_TRANSFER')

    const byAdmin = await server.request('POST', `/workspaces/${workspace.id}/transfer`, { token: admin.accessToken, body: { userId: admin.user.id } })
    expect(byAdmin.status).toBe(403)
    expectErrorShape(byAdmin.body, 'WORKSPACE_OWNER_REQUIRED')
    const toStranger = await server.request('POST', `/workspaces/${workspace.id}/transfer`, { token: owner.accessToken, body: { userId: (await server.register()).user.id } })
    expect(toStranger.status).toBe(404)
    expectErrorShape(toStranger.body, 'MEMBER_NOT_FOUND')
    const toSelf = await server.request('POST', `/workspaces/${workspace.id}/transfer`, { token: owner.accessToken, body: { userId: owner.user.id } })
    expect(toSelf.status).toBe(409)

    const transferred = await server.request('POST', `/workspaces/${workspace.id}/transfer`, { token: owner.accessToken, body: { userId: member.user.id } })
    expect(transferred.status).toBe(200)
    expect(transferred.body).toMatchObject({ id: workspace.id, ownerId: member.user.id, role: 'admin' })
    expect((await server.request('GET', `/workspaces/${workspace.id}`, { token: member.accessToken })).body).toMatchObject({ role: 'owner', ownerId: member.user.id })

    expect((await server.request('POST', `/workspaces/${workspace.id}/leave`, { token: owner.accessToken })).status).toBe(204)
    expect((await server.request('GET', `/workspaces/${workspace.id}`, { token: owner.accessToken })).status).toBe(404)
    // Removing yourself is leaving, for any role.
    expect((await server.request('DELETE', `/workspaces/${workspace.id}/members/${admin.user.id}`, { token: admin.accessToken })).status).toBe(204)
    const members = await server.request('GET', `/workspaces/${workspace.id}/members`, { token: member.accessToken })
    expect(members.body.members.map((m: { id: string; role: string }) => [m.id, m.role])).toEqual([[member.user.id, 'owner'], [expect.any(String), 'guest']])
  })

  test('only the owner deletes; members, invites and the workspace itself are gone', async () => {
    const { workspace, owner, admin } = await workspaceWithRoles()
    await linkInvite(owner.accessToken, workspace.id)
    const byAdmin = await server.request('DELETE', `/workspaces/${workspace.id}`, { token: admin.accessToken })
    expect(byAdmin.status).toBe(403)
    expectErrorShape(byAdmin.body, 'WORKSPACE_OWNER_REQUIRED')

    expect((await server.request('DELETE', `/workspaces/${workspace.id}`, { token: owner.accessToken })).status).toBe(204)
    const count = (table: string) => (server.ctx.db.$client.query(`select count(*) as n from ${table} where workspace_id = ?`).get(workspace.id) as { n: number }).n
    expect(count('workspace_members')).toBe(0)
    expect(count('workspace_invites')).toBe(0)
    for (const session of [owner, admin]) expect((await server.request('GET', `/workspaces/${workspace.id}`, { token: session.accessToken })).status).toBe(404)
    const audit = await server.request('GET', '/admin/audit?action=workspace.deleted', { token: platformAdmin.accessToken })
    expect(audit.body.find((e: { details: { workspaceId: string } }) => e.details.workspaceId === workspace.id)).toMatchObject({ actorUserId: owner.user.id, details: { members: 4 } })
  })
})

describe('invites', () => {
  test('an email invite is mailed with a token, listed without it, accepted once by the invited address only', async () => {
    const owner = await server.register()
    const workspace = await createWorkspace(owner)
    const invitee = await server.register()
    const created = await server.request('POST', `/workspaces/${workspace.id}/invites`, { token: owner.accessToken, body: { kind: 'email', email: invitee.user.email.toUpperCase(), role: 'guest' } })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ kind: 'email', email: invitee.user.email, role: 'guest', maxUses: 1, uses: 0, createdBy: owner.user.id })
    expect(created.body.code).toBeUndefined()
    const token = inviteToken(invitee.user.email)
    expect(JSON.stringify(created.body)).not.toContain(token)

    const listed = await server.request('GET', `/workspaces/${workspace.id}/invites`, { token: owner.accessToken })
    expect(listed.body.map((i: { id: string }) => i.id)).toEqual([created.body.id])
    expect(JSON.stringify(listed.body)).not.toContain(token)

    const wrong = await accept(await server.register(), token)
    expect(wrong.status).toBe(403)
    expectErrorShape(wrong.body, 'INVITE_EMAIL_MISMATCH')

    const preview = await server.request('GET', `/invites/${token}`, { token: invitee.accessToken })
    expect(preview.status).toBe(200)
    expect(preview.body).toMatchObject({ workspace: { id: workspace.id, name: workspace.name, slug: workspace.slug }, kind: 'email', role: 'guest', alreadyMember: false })
    const joined = await accept(invitee, token)
    expect(joined.status).toBe(200)
    expect(joined.body).toMatchObject({ joined: true, workspace: { id: workspace.id, role: 'guest' } })
    const again = await accept(invitee, token)
    expect(again.status).toBe(200)
    expect(again.body).toMatchObject({ joined: false, workspace: { id: workspace.id, role: 'guest' } })
    expect((await server.request('GET', `/workspaces/${workspace.id}/invites`, { token: owner.accessToken })).body).toEqual([])

    const alreadyMember = await server.request('POST', `/workspaces/${workspace.id}/invites`, { token: owner.accessToken, body: { kind: 'email', email: invitee.user.email } })
    expect(alreadyMember.status).toBe(409)
    expectErrorShape(alreadyMember.body, 'ALREADY_MEMBER')
    const asOwner = await server.request('POST', `/workspaces/${workspace.id}/invites`, { token: owner.accessToken, body: { kind: 'email', email: 'x@example.com', role: 'owner' } })
    expect(asOwner.status).toBe(422)
  })

  test('a link invite shows its code and join URL once and stops at maxUses (409 INVITE_USED_UP)', async () => {
    const owner = await server.register()
    const workspace = await createWorkspace(owner)
    const created = await linkInvite(owner.accessToken, workspace.id, { maxUses: 2, expiresInHours: 2 })
    expect(created.status).toBe(201)
    const { code, joinUrl } = created.body
    expect(joinUrl).toBe(`${server.ctx.config.publicUrl}/join/${code}`)
    expect(created.body).toMatchObject({ kind: 'link', role: 'member', email: null, maxUses: 2, uses: 0 })
    expect(Date.parse(created.body.expiresAt) - Date.now()).toBeWithin(7_100_000, 7_300_000)

    const users = await Promise.all([server.register(), server.register(), server.register()])
    // Concurrent accepts: the guarded increment lets exactly two in.
    const results = await Promise.all(users.map((user) => accept(user, code)))
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 409])
    expectErrorShape(results.find((r) => r.status === 409)!.body, 'INVITE_USED_UP')
    const loser = users[results.findIndex((r) => r.status === 409)]!
    const winner = users[results.findIndex((r) => r.status === 200)]!
    expect((await server.request('GET', `/invites/${code}`, { token: loser.accessToken })).status).toBe(404)
    // A member retrying a used-up link is still answered with their membership.
    expect((await accept(winner, code)).body).toMatchObject({ joined: false, workspace: { id: workspace.id, role: 'member' } })
    expect((await server.request('GET', `/workspaces/${workspace.id}/members`, { token: owner.accessToken })).body.total).toBe(3)
  })

  test('an expired link is 410 INVITE_EXPIRED to accept and 404 to preview', async () => {
    const owner = await server.register()
    const workspace = await createWorkspace(owner)
    const created = await linkInvite(owner.accessToken, workspace.id, { role: 'admin' })
    const user = await server.register()
    const preview = await server.request('GET', `/invites/${created.body.code}`, { token: user.accessToken })
    expect(preview.body).toMatchObject({ kind: 'link', role: 'admin', alreadyMember: false })
    server.ctx.db.$client.run('update workspace_invites set expires_at = ? where id = ?', [Date.now() - 1000, created.body.id])

    const expired = await accept(user, created.body.code)
    expect(expired.status).toBe(410)
    expectErrorShape(expired.body, 'INVITE_EXPIRED')
    expect((await server.request('GET', `/invites/${created.body.code}`, { token: user.accessToken })).status).toBe(404)
    expect((await server.request('GET', `/workspaces/${workspace.id}/invites`, { token: owner.accessToken })).body).toEqual([])
  })

  test('a revoked invite is gone: 404 to preview and accept; revoking twice is 404', async () => {
    const { workspace, owner, admin, member } = await workspaceWithRoles()
    const created = await linkInvite(owner.accessToken, workspace.id)
    const path = `/workspaces/${workspace.id}/invites/${created.body.id}`
    expect((await server.request('DELETE', path, { token: member.accessToken })).status).toBe(403)
    expect((await server.request('DELETE', path, { token: admin.accessToken })).status).toBe(204)
    const twice = await server.request('DELETE', path, { token: admin.accessToken })
    expect(twice.status).toBe(404)
    expectErrorShape(twice.body, 'INVITE_NOT_FOUND')

    const user = await server.register()
    for (const response of [await server.request('GET', `/invites/${created.body.code}`, { token: user.accessToken }), await accept(user, created.body.code)]) {
      expect(response.status).toBe(404)
      expectErrorShape(response.body, 'INVITE_NOT_FOUND')
    }
    const unknown = await server.request('GET', '/invites/no-such-invite-code-at-all', { token: user.accessToken })
    expect(unknown.status).toBe(404)
    expectErrorShape(unknown.body, 'INVITE_NOT_FOUND')
    expect((await server.request('GET', `/invites/${created.body.code}`)).status).toBe(401)
  })

  test('an invite from another workspace cannot be revoked through this one', async () => {
    const owner = await server.register()
    const [mine, theirs] = [await createWorkspace(owner), await createWorkspace(await server.register())]
    const invite = await linkInvite(owner.accessToken, mine.id)
    const response = await server.request('DELETE', `/workspaces/${theirs.id}/invites/${invite.body.id}`, { token: owner.accessToken })
    expect(response.status).toBe(404)
    const other = await createWorkspace(owner)
    const crossed = await server.request('DELETE', `/workspaces/${other.id}/invites/${invite.body.id}`, { token: owner.accessToken })
    expect(crossed.status).toBe(404)
    expectErrorShape(crossed.body, 'INVITE_NOT_FOUND')
  })
})

describe('leaving a workspace leaves its conversations', () => {
  test('a removed member can no longer read the workspace’s channels and groups; other conversations stay', async () => {
    const { workspace, owner, member } = await workspaceWithRoles()
    const channel = await server.request('POST', '/conversations', { token: owner.accessToken, body: { kind: 'channel', workspaceId: workspace.id, name: 'general', memberIds: [member.user.id] } })
    expect(channel.status).toBe(201)
    const dm = await server.request('POST', '/conversations', { token: owner.accessToken, body: { kind: 'dm', userId: member.user.id } })
    expect((await server.request('GET', `/conversations/${channel.body.id}/messages`, { token: member.accessToken })).status).toBe(200)
    expect((await server.request('DELETE', `/workspaces/${workspace.id}/members/${member.user.id}`, { token: owner.accessToken })).status).toBeLessThan(300)
    const after = await server.request('GET', `/conversations/${channel.body.id}/messages`, { token: member.accessToken })
    expect(after.status).toBe(404)
    expectErrorShape(after.body, 'CONVERSATION_NOT_FOUND')
    const mine = (await server.request('GET', '/conversations', { token: member.accessToken })).body as Array<{ id: string }>
    expect(mine.map((c) => c.id)).not.toContain(channel.body.id)
    expect(mine.map((c) => c.id)).toContain(dm.body.id)
  })
})

describe('invite notifications', () => {
  test('an email invite to someone who already has an account also lands in their notifications', async () => {
    const owner = await server.register()
    const invitee = await server.register()
    const workspace = await createWorkspace(owner)
    const created = await server.request('POST', `/workspaces/${workspace.id}/invites`, { token: owner.accessToken, body: { kind: 'email', email: invitee.user.email, role: 'member' } })
    expect(created.status).toBe(201)
    const list = await server.request('GET', '/notifications', { token: invitee.accessToken })
    expect(list.status).toBe(200)
    const invite = list.body.notifications.find((n: any) => n.kind === 'invite')
    expect(invite).toBeDefined()
    expect(JSON.stringify(invite)).toContain(workspace.name)
    expect((await server.request('GET', '/notifications', { token: owner.accessToken })).body.notifications.some((n: any) => n.kind === 'invite')).toBe(false)
  })
})
