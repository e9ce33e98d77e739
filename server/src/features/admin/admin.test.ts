import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'

let server: TestServer
let admin: Session
let member: Session

beforeAll(async () => {
  server = await startServer()
  admin = await server.register({ displayName: 'Root Admin' })
  member = await server.register()
})
afterAll(() => server.stop())

const someId = '01a20000-0000-7000-8000-000000000000'

/** Every admin route with a request that would succeed for an admin, so a refusal can only come from the role check. */
const ADMIN_ROUTES: Array<{ method: string; path: string; body?: unknown }> = [
  { method: 'GET', path: '/admin/users' },
  { method: 'POST', path: `/admin/users/${someId}/disable` },
  { method: 'POST', path: `/admin/users/${someId}/enable` },
  { method: 'PUT', path: `/admin/users/${someId}/role`, body: { role: 'user' } },
  { method: 'GET', path: '/admin/audit' },
  { method: 'GET', path: '/admin/outbox' },
  { method: 'POST', path: '/admin/queues/session' },
  { method: 'DELETE', path: '/admin/queues/session' },
]

describe('access', () => {
  test('the route table covers every /admin route the API documents', async () => {
    const doc = (await server.request('GET', '/swagger/json')).body
    const documented = Object.entries<Record<string, unknown>>(doc.paths)
      .filter(([path]) => path.startsWith('/admin'))
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{[^}]+\}/g, someId)}`))
    expect(documented.sort()).toEqual(ADMIN_ROUTES.map((r) => `${r.method} ${r.path}`).sort())
  })

  test.each(ADMIN_ROUTES.map((r) => [`${r.method} ${r.path.replace(someId, ':id')}`, r] as const))('%s: a member gets 403 ADMIN_REQUIRED, anonymous 401', async (_name, route) => {
    const forbidden = await server.request(route.method, route.path, { token: member.accessToken, body: route.body })
    expect(forbidden.status).toBe(403)
    expectErrorShape(forbidden.body, 'ADMIN_REQUIRED')
    const anonymous = await server.request(route.method, route.path, { body: route.body })
    expect(anonymous.status).toBe(401)
    expectErrorShape(anonymous.body, 'UNAUTHORIZED')
  })
})

describe('users', () => {
  test('list pages through every user with a total', async () => {
    const all = await server.request('GET', '/admin/users', { token: admin.accessToken })
    expect(all.status).toBe(200)
    expect(all.body.total).toBeGreaterThanOrEqual(2)
    expect(all.body.users).toHaveLength(all.body.total)
    expect(all.body.users[0]).toMatchObject({ id: admin.user.id, role: 'admin', disabled: false })
    expect(all.body.users[0]).not.toHaveProperty('passwordHash')
    const page = await server.request('GET', '/admin/users?limit=1&offset=1', { token: admin.accessToken })
    expect(page.body.users).toHaveLength(1)
    expect(page.body.users[0].id).toBe(all.body.users[1].id)
    expect(page.body.total).toBe(all.body.total)
  })

  test('search by q matches email, username and display name, case-insensitively, and treats _ and % literally', async () => {
    const target = await server.register({ email: 'grace.hopper@navy.example', username: 'cobol_grace', displayName: 'Rear Admiral Hopper' })
    await server.register({ username: 'cobolxgrace' })
    const search = async (q: string) => (await server.request('GET', `/admin/users?q=${encodeURIComponent(q)}`, { token: admin.accessToken })).body
    for (const q of ['GRACE.HOPPER@navy', 'cobol_grace', 'admiral hop']) {
      const result = await search(q)
      expect(result.total).toBe(1)
      expect(result.users.map((u: { id: string }) => u.id)).toEqual([target.user.id])
    }
    expect((await search('%')).total).toBe(0)
    expect((await search('nobody-matches-this')).total).toBe(0)
  })

  test('disabling revokes sessions at once and blocks sign-in; enabling restores sign-in', async () => {
    const target = await server.register()
    const disabled = await server.request('POST', `/admin/users/${target.user.id}/disable`, { token: admin.accessToken })
    expect(disabled.status).toBe(200)
    expect(disabled.body).toMatchObject({ id: target.user.id, disabled: true })

    const me = await server.request('GET', '/users/me', { token: target.accessToken })
    expect(me.status).toBe(401)
    expect(['ACCOUNT_DISABLED', 'SESSION_REVOKED']).toContain(me.body.error.code)
    expect((await server.request('POST', '/auth/refresh', { body: { refreshToken: target.refreshToken } })).status).toBe(401)
    const login = await server.login(target.user.email, target.password)
    expect(login.status).toBe(403)
    expectErrorShape(login.body, 'ACCOUNT_DISABLED')

    const enabled = await server.request('POST', `/admin/users/${target.user.id}/enable`, { token: admin.accessToken })
    expect(enabled.status).toBe(200)
    expect(enabled.body.disabled).toBe(false)
    const again = await server.login(target.user.email, target.password)
    expect(again.status).toBe(200)
    expect((await server.request('GET', '/users/me', { token: again.body.accessToken })).status).toBe(200)
  })

  test('an admin cannot disable themselves; an unknown user is 404', async () => {
    const self = await server.request('POST', `/admin/users/${admin.user.id}/disable`, { token: admin.accessToken })
    expect(self.status).toBe(403)
    expectErrorShape(self.body, 'CANNOT_DISABLE_SELF')
    expect((await server.request('GET', '/users/me', { token: admin.accessToken })).status).toBe(200)
    const unknown = await server.request('POST', `/admin/users/${someId}/disable`, { token: admin.accessToken })
    expect(unknown.status).toBe(404)
    expectErrorShape(unknown.body, 'NOT_FOUND')
  })

  test('role changes take effect at once, and the last admin cannot step down', async () => {
    const deputy = await server.register()
    const promoted = await server.request('PUT', `/admin/users/${deputy.user.id}/role`, { token: admin.accessToken, body: { role: 'admin' } })
    expect(promoted.status).toBe(200)
    expect(promoted.body.role).toBe('admin')
    expect((await server.request('GET', '/admin/users', { token: deputy.accessToken })).status).toBe(200)

    const stepDown = await server.request('PUT', `/admin/users/${deputy.user.id}/role`, { token: deputy.accessToken, body: { role: 'user' } })
    expect(stepDown.status).toBe(200)
    expect(stepDown.body.role).toBe('user')
    expect((await server.request('GET', '/admin/users', { token: deputy.accessToken })).status).toBe(403)

    const last = await server.request('PUT', `/admin/users/${admin.user.id}/role`, { token: admin.accessToken, body: { role: 'user' } })
    expect(last.status).toBe(409)
    expectErrorShape(last.body, 'LAST_ADMIN')

    // A disabled admin cannot run the platform, so it does not count as a second administrator.
    const dormant = await server.register()
    expect((await server.request('PUT', `/admin/users/${dormant.user.id}/role`, { token: admin.accessToken, body: { role: 'admin' } })).status).toBe(200)
    expect((await server.request('POST', `/admin/users/${dormant.user.id}/disable`, { token: admin.accessToken })).status).toBe(200)
    const stillLast = await server.request('PUT', `/admin/users/${admin.user.id}/role`, { token: admin.accessToken, body: { role: 'user' } })
    expect(stillLast.status).toBe(409)
    expectErrorShape(stillLast.body, 'LAST_ADMIN')
    expect((await server.request('GET', '/users/me', { token: admin.accessToken })).body.role).toBe('admin')

    const invalid = await server.request('PUT', `/admin/users/${deputy.user.id}/role`, { token: admin.accessToken, body: { role: 'owner' } })
    expect(invalid.status).toBe(422)
    expectErrorShape(invalid.body, 'VALIDATION_FAILED')
  })
})

describe('audit log and outbox', () => {
  test('lists admin.user.disabled with actor and target; filters by action and by user', async () => {
    const target = await server.register()
    expect((await server.request('POST', `/admin/users/${target.user.id}/disable`, { token: admin.accessToken })).status).toBe(200)

    const byAction = await server.request('GET', '/admin/audit?action=admin.user.disabled', { token: admin.accessToken })
    expect(byAction.status).toBe(200)
    expect(byAction.body.length).toBeGreaterThanOrEqual(1)
    expect(byAction.body.every((e: { action: string }) => e.action === 'admin.user.disabled')).toBe(true)
    const entry = byAction.body.find((e: { targetUserId: string }) => e.targetUserId === target.user.id)
    expect(entry).toMatchObject({ actorUserId: admin.user.id, targetUserId: target.user.id, details: { sessionsRevoked: 1 } })
    expect(Date.parse(entry.at)).not.toBeNaN()

    const byUser = await server.request('GET', `/admin/audit?userId=${target.user.id}`, { token: admin.accessToken })
    expect(byUser.body.every((e: { targetUserId: string }) => e.targetUserId === target.user.id)).toBe(true)
    expect(byUser.body.map((e: { action: string }) => e.action)).toEqual(['admin.user.disabled', 'auth.register'])

    const limited = await server.request('GET', '/admin/audit?limit=1', { token: admin.accessToken })
    expect(limited.body).toHaveLength(1)
  })

  test('the outbox lists the verification mails, newest first', async () => {
    const fresh = await server.register()
    const outbox = await server.request('GET', '/admin/outbox', { token: admin.accessToken })
    expect(outbox.status).toBe(200)
    const verification = outbox.body.filter((m: { kind: string }) => m.kind === 'verify_email')
    const recipients = verification.map((m: { to: string }) => m.to)
    expect(recipients).toContain(admin.user.email)
    expect(recipients).toContain(member.user.email)
    expect(outbox.body[0]).toMatchObject({ to: fresh.user.email, kind: 'verify_email', status: 'stored', subject: 'Confirm your email for Parley', sentAt: null })
    expect(outbox.body[0].text).toContain('Token: ')
  })
})
