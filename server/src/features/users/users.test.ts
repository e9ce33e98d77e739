import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { expectErrorShape, startServer, type TestServer } from '../../../test/harness'

let server: TestServer
let adminToken: string

beforeAll(async () => {
  server = await startServer()
  adminToken = (await server.register()).accessToken
})
afterAll(() => server.stop())

describe('profile', () => {
  test('PATCH /users/me updates the display name (trimmed) and username (lower-cased); GET shows it', async () => {
    const session = await server.register()
    const wanted = `Renamed_${session.user.username}`
    const response = await server.request('PATCH', '/users/me', { token: session.accessToken, body: { displayName: '  Ada Lovelace  ', username: wanted } })
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({ id: session.user.id, displayName: 'Ada Lovelace', username: wanted.toLowerCase() })
    const me = await server.request('GET', '/users/me', { token: session.accessToken })
    expect(me.body).toMatchObject({ displayName: 'Ada Lovelace', username: wanted.toLowerCase() })
    expect((await server.login(wanted.toLowerCase(), session.password)).status).toBe(200)

    const blank = await server.request('PATCH', '/users/me', { token: session.accessToken, body: { displayName: '   ' } })
    expect(blank.status).toBe(422)
    expectErrorShape(blank.body, 'VALIDATION_FAILED')
    const badName = await server.request('PATCH', '/users/me', { token: session.accessToken, body: { username: 'no spaces allowed' } })
    expect(badName.status).toBe(422)
    expect((await server.request('GET', '/users/me', { token: session.accessToken })).body.displayName).toBe('Ada Lovelace')
  })

  test("taking another user's username (in any case) is 409 USERNAME_TAKEN; keeping your own is fine", async () => {
    const alice = await server.register()
    const bob = await server.register()
    const clash = await server.request('PATCH', '/users/me', { token: bob.accessToken, body: { username: alice.user.username.toUpperCase() } })
    expect(clash.status).toBe(409)
    expectErrorShape(clash.body, 'USERNAME_TAKEN')
    expect((await server.request('GET', '/users/me', { token: bob.accessToken })).body.username).toBe(bob.user.username)
    const own = await server.request('PATCH', '/users/me', { token: bob.accessToken, body: { username: bob.user.username } })
    expect(own.status).toBe(200)
  })

  test('the profile endpoints need a signed-in user', async () => {
    const response = await server.request('PATCH', '/users/me', { body: { displayName: 'Nobody' } })
    expect(response.status).toBe(401)
    expectErrorShape(response.body, 'UNAUTHORIZED')
  })
})

describe('change password', () => {
  test('a wrong current password is 401 and changes nothing', async () => {
    const session = await server.register()
    const response = await server.request('POST', '/users/me/password', { token: session.accessToken, body: { currentPassword: 'not my password', newPassword: 'a new long password' } })
    expect(response.status).toBe(401)
    expectErrorShape(response.body, 'INVALID_CREDENTIALS')
    expect((await server.login(session.user.email, session.password)).status).toBe(200)
  })

  test('wrong passwords on re-authentication are throttled like sign-in: change password, delete account and MFA disable share one budget', async () => {
    const session = await server.register()
    const wrong = { currentPassword: 'not my password', newPassword: 'a new long password' }
    for (let i = 0; i < 3; i++) expect((await server.request('POST', '/users/me/password', { token: session.accessToken, body: wrong })).status).toBe(401)
    expect((await server.request('DELETE', '/users/me', { token: session.accessToken, body: { password: 'not my password' } })).status).toBe(401)
    expect((await server.request('POST', '/users/me/mfa/setup', { token: session.accessToken })).status).toBe(200)
    expect((await server.request('POST', '/users/me/password', { token: session.accessToken, body: wrong })).status).toBe(401)
    const locked = await server.request('POST', '/users/me/password', { token: session.accessToken, body: { currentPassword: session.password, newPassword: 'a new long password' } })
    expect(locked.status).toBe(429)
    expectErrorShape(locked.body, 'PASSWORD_THROTTLED')
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await server.request('DELETE', '/users/me', { token: session.accessToken, body: { password: session.password } })).status).toBe(429)
    expect((await server.request('GET', '/users/me', { token: session.accessToken })).status).toBe(200)
  })

  test('a too-short new password is 422', async () => {
    const session = await server.register()
    const response = await server.request('POST', '/users/me/password', { token: session.accessToken, body: { currentPassword: session.password, newPassword: 'short' } })
    expect(response.status).toBe(422)
    expectErrorShape(response.body, 'VALIDATION_FAILED')
  })

  test('success revokes every other session but keeps this one; only the new password signs in', async () => {
    const session = await server.register()
    const other = (await server.login(session.user.email, session.password)).body
    const response = await server.request('POST', '/users/me/password', { token: session.accessToken, body: { currentPassword: session.password, newPassword: 'a new long password' } })
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ ok: true, otherSessionsRevoked: 1 })

    const otherMe = await server.request('GET', '/users/me', { token: other.accessToken })
    expect(otherMe.status).toBe(401)
    expectErrorShape(otherMe.body, 'SESSION_REVOKED')
    expect((await server.request('POST', '/auth/refresh', { body: { refreshToken: other.refreshToken } })).status).toBe(401)
    expect((await server.request('GET', '/users/me', { token: session.accessToken })).status).toBe(200)
    expect((await server.request('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } })).status).toBe(200)

    const old = await server.login(session.user.email, session.password)
    expect(old.status).toBe(401)
    expectErrorShape(old.body, 'INVALID_CREDENTIALS')
    expect((await server.login(session.user.email, 'a new long password')).status).toBe(200)
  })
})

describe('delete account', () => {
  test('a wrong or missing password is refused and the account stays', async () => {
    const session = await server.register()
    const wrong = await server.request('DELETE', '/users/me', { token: session.accessToken, body: { password: 'not my password' } })
    expect(wrong.status).toBe(401)
    expectErrorShape(wrong.body, 'INVALID_CREDENTIALS')
    const missing = await server.request('DELETE', '/users/me', { token: session.accessToken })
    expect(missing.status).toBe(422)
    expectErrorShape(missing.body, 'VALIDATION_FAILED')
    expect((await server.request('GET', '/users/me', { token: session.accessToken })).status).toBe(200)
  })

  test('success: tokens stop working, login fails, the address is free again and the audit trail keeps user.deleted', async () => {
    const session = await server.register()
    const other = (await server.login(session.user.email, session.password)).body
    const response = await server.request('DELETE', '/users/me', { token: session.accessToken, body: { password: session.password } })
    expect(response.status).toBe(204)

    for (const token of [session.accessToken, other.accessToken]) {
      const me = await server.request('GET', '/users/me', { token })
      expect(me.status).toBe(401)
      expectErrorShape(me.body, 'SESSION_REVOKED')
    }
    const refresh = await server.request('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } })
    expect(refresh.status).toBe(401)
    const login = await server.login(session.user.email, session.password)
    expect(login.status).toBe(401)
    expectErrorShape(login.body, 'INVALID_CREDENTIALS')

    const audit = await server.request('GET', `/admin/audit?action=user.deleted&userId=${session.user.id}`, { token: adminToken })
    expect(audit.status).toBe(200)
    expect(audit.body).toHaveLength(1)
    expect(audit.body[0]).toMatchObject({ action: 'user.deleted', actorUserId: session.user.id, targetUserId: session.user.id, details: { username: session.user.username } })
    const listed = await server.request('GET', `/admin/users?q=${encodeURIComponent(session.user.email)}`, { token: adminToken })
    expect(listed.body.total).toBe(0)

    const again = await server.register({ email: session.user.email, username: session.user.username })
    expect(again.user.id).not.toBe(session.user.id)
  })
})

describe('delete account while owning a workspace', () => {
  test('is refused with 409 OWNER_MUST_TRANSFER naming the workspaces; after deleting the workspace it works', async () => {
    const session = await server.register()
    const workspace = await server.request('POST', '/workspaces', { token: session.accessToken, body: { name: 'Owned by me' } })
    expect(workspace.status).toBe(201)
    const refused = await server.request('DELETE', '/users/me', { token: session.accessToken, body: { password: session.password } })
    expect(refused.status).toBe(409)
    expectErrorShape(refused.body, 'OWNER_MUST_TRANSFER')
    expect(JSON.stringify(refused.body.error.details)).toContain(workspace.body.id)
    expect((await server.request('GET', '/users/me', { token: session.accessToken })).status).toBe(200)
    expect((await server.request('DELETE', `/workspaces/${workspace.body.id}`, { token: session.accessToken })).status).toBe(204)
    expect((await server.request('DELETE', '/users/me', { token: session.accessToken, body: { password: session.password } })).status).toBe(204)
  })
})
