import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SignJWT } from 'jose'
import { createHmac } from 'node:crypto'
import { expectErrorShape, startServer, type TestServer } from '../../../test/harness'

let server: TestServer

beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.stop())

describe('register', () => {
  test('first account becomes admin, later ones are users, and a verification mail goes to the outbox', async () => {
    const first = await server.register()
    const second = await server.register()
    expect(first.user.role).toBe('admin')
    expect(second.user.role).toBe('user')
    expect(first.accessToken.split('.')).toHaveLength(3)
    expect(first.refreshToken.length).toBeGreaterThan(30)
    const mail = server.ctx.mail.list({ limit: 10 }).find((m) => m.to === second.user.email)
    expect(mail?.kind).toBe('verify_email')
    expect(mail?.status).toBe('stored')
  })

  test('ids in URLs are UUIDv7', async () => {
    const session = await server.register()
    expect(session.user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  test('duplicate email and username are 409 with distinct codes; email is case-insensitive', async () => {
    const session = await server.register()
    const byEmail = await server.request('POST', '/auth/register', { body: { email: session.user.email.toUpperCase(), username: 'someone_else1', displayName: 'X', password: 'long enough pass' } })
    expect(byEmail.status).toBe(409)
    expectErrorShape(byEmail.body, 'EMAIL_TAKEN')
    const byName = await server.request('POST', '/auth/register', { body: { email: 'fresh-address@example.com', username: session.user.username.toUpperCase(), displayName: 'X', password: 'long enough pass' } })
    expect(byName.status).toBe(409)
    expectErrorShape(byName.body, 'USERNAME_TAKEN')
  })

  test('passwords shorter than 10 characters are refused', async () => {
    const response = await server.request('POST', '/auth/register', { body: { email: 'short@example.com', username: 'shortpw', displayName: 'S', password: 'nine char' } })
    expect(response.status).toBe(422)
    expectErrorShape(response.body, 'VALIDATION_FAILED')
    expect(JSON.stringify(response.body.error.details)).toContain('password')
  })

  test('the stored hash is argon2id', async () => {
    const session = await server.register()
    const row = server.ctx.services.users.get(session.user.id)
    expect(row.passwordHash).toStartWith('$argon2id$')
  })
})

describe('login', () => {
  test('by email or username; wrong password is 401 INVALID_CREDENTIALS', async () => {
    const session = await server.register()
    const byEmail = await server.login(session.user.email, session.password)
    expect(byEmail.status).toBe(200)
    expect(byEmail.body.user.id).toBe(session.user.id)
    const byName = await server.login(session.user.username, session.password)
    expect(byName.status).toBe(200)
    const wrong = await server.login(session.user.email, 'not the password')
    expect(wrong.status).toBe(401)
    expectErrorShape(wrong.body, 'INVALID_CREDENTIALS')
    const unknown = await server.login('nobody@example.com', 'whatever password')
    expect(unknown.status).toBe(401)
    expectErrorShape(unknown.body, 'INVALID_CREDENTIALS')
  })

  test('five failures per account and address in the window lock sign-in with 429 and Retry-After, even for the right password', async () => {
    const session = await server.register()
    for (let i = 0; i < 5; i++) expect((await server.login(session.user.email, 'wrong password!')).status).toBe(401)
    const locked = await server.login(session.user.email, session.password)
    expect(locked.status).toBe(429)
    expectErrorShape(locked.body, 'LOGIN_THROTTLED')
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
    const audit = server.ctx.audit.list({ limit: 50, userId: session.user.id }).map((e) => e.action)
    expect(audit).toContain('auth.login.throttled')
    expect(audit.filter((a) => a === 'auth.login.failure')).toHaveLength(5)
  })

  test('a burst of sign-ins beyond what the cores can hash is refused with 429 AUTH_BUSY, never a 5xx', async () => {
    // One slot per core runs, 64 wait; the rest must be turned away.
    const burst = navigator.hardwareConcurrency + 64 + 16
    const attempts = await Promise.all(Array.from({ length: burst }, (_, i) => server.login(`burst-${i}@example.com`, 'not a real password')))
    const statuses = attempts.map((a) => a.status)
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true)
    const busy = attempts.filter((a) => a.status === 429)
    expect(busy.length).toBeGreaterThan(0)
    for (const response of busy) expectErrorShape(response.body, 'AUTH_BUSY')
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(64)
  }, 120_000) // ~80 argon2id verifications: seconds on idle cores, far more on a loaded machine

  test('a disabled user cannot sign in', async () => {
    const admin = await loginAdmin()
    const session = await server.register()
    expect((await server.request('POST', `/admin/users/${session.user.id}/disable`, { token: admin })).status).toBe(200)
    const response = await server.login(session.user.email, session.password)
    expect(response.status).toBe(403)
    expectErrorShape(response.body, 'ACCOUNT_DISABLED')
  })
})

async function loginAdmin(): Promise<string> {
  const admin = server.ctx.services.admin.listUsers({ limit: 1, offset: 0 }).rows[0]!
  const response = await server.login(admin.email, 'correct horse battery')
  if (response.status !== 200) throw new Error(`admin login ${response.status}`)
  return response.body.accessToken
}

describe('access tokens', () => {
  test('me works with a valid token and answers 401 without one', async () => {
    const session = await server.register()
    const me = await server.request('GET', '/users/me', { token: session.accessToken })
    expect(me.status).toBe(200)
    expect(me.body.email).toBe(session.user.email)
    const anonymous = await server.request('GET', '/users/me')
    expect(anonymous.status).toBe(401)
    expectErrorShape(anonymous.body, 'UNAUTHORIZED')
  })

  test('tampered, alg:none, wrong-secret and expired tokens are refused', async () => {
    const session = await server.register()
    const [header, payload, signature] = session.accessToken.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
    const otherUser = await server.register()

    const tamperedPayload = Buffer.from(JSON.stringify({ ...claims, sub: otherUser.user.id })).toString('base64url')
    const tampered = await server.request('GET', '/users/me', { token: `${header}.${tamperedPayload}.${signature}` })
    expect(tampered.status).toBe(401)
    expectErrorShape(tampered.body, 'TOKEN_INVALID')

    const noneHeader = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')
    const none = await server.request('GET', '/users/me', { token: `${noneHeader}.${payload}.` })
    expect(none.status).toBe(401)
    expectErrorShape(none.body, 'TOKEN_INVALID')

    const foreign = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('some-other-secret-that-is-long-enough-1234'))
    expect((await server.request('GET', '/users/me', { token: foreign })).status).toBe(401)

    const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(server.ctx.config.jwtSecret))
    const expiredResponse = await server.request('GET', '/users/me', { token: expired })
    expect(expiredResponse.status).toBe(401)
    expectErrorShape(expiredResponse.body, 'TOKEN_EXPIRED')

    expect((await server.request('GET', '/users/me', { token: 'garbage' })).status).toBe(401)
  })

  test('only HS256 is accepted: the same secret under HS512, or a header with crit, is refused', async () => {
    const session = await server.register()
    const [, payload] = session.accessToken.split('.') as [string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
    const key = new TextEncoder().encode(server.ctx.config.jwtSecret)
    const hs512 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).sign(key)
    expect((await server.request('GET', '/users/me', { token: hs512 })).status).toBe(401)
    const critHeader = Buffer.from(JSON.stringify({ alg: 'HS256', crit: ['x-parley'], 'x-parley': 1 })).toString('base64url')
    const critSignature = createHmac('sha256', server.ctx.config.jwtSecret).update(`${critHeader}.${payload}`).digest('base64url')
    expect((await server.request('GET', '/users/me', { token: `${critHeader}.${payload}.${critSignature}` })).status).toBe(401)
    const resigned = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key)
    expect((await server.request('GET', '/users/me', { token: resigned })).status).toBe(200)
  })

  test('an MFA challenge token is not an access token', async () => {
    const session = await server.register()
    const [, payload] = session.accessToken.split('.') as [string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
    const challengeLike = await new SignJWT({ sub: claims.sub, typ: 'mfa_challenge' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(`${server.ctx.config.jwtSecret}:mfa-challenge`))
    expect((await server.request('GET', '/users/me', { token: challengeLike })).status).toBe(401)
  })
})

describe('refresh tokens', () => {
  test('rotate on every use; the old token no longer works', async () => {
    const session = await server.register()
    const first = await server.request('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } })
    expect(first.status).toBe(200)
    expect(first.body.refreshToken).not.toBe(session.refreshToken)
    expect(first.body.sessionId).toBe(session.sessionId)
    const second = await server.request('POST', '/auth/refresh', { body: { refreshToken: first.body.refreshToken } })
    expect(second.status).toBe(200)
    expect((await server.request('GET', '/users/me', { token: second.body.accessToken })).status).toBe(200)
  })

  test('reusing a rotated token revokes the whole family, including the newest token and its access tokens', async () => {
    const session = await server.register()
    const rotated = await server.request('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } })
    expect(rotated.status).toBe(200)
    const reuse = await server.request('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } })
    expect(reuse.status).toBe(401)
    expectErrorShape(reuse.body, 'REFRESH_TOKEN_REUSED')
    const newest = await server.request('POST', '/auth/refresh', { body: { refreshToken: rotated.body.refreshToken } })
    expect(newest.status).toBe(401)
    expectErrorShape(newest.body, 'SESSION_REVOKED')
    const me = await server.request('GET', '/users/me', { token: rotated.body.accessToken })
    expect(me.status).toBe(401)
    expectErrorShape(me.body, 'SESSION_REVOKED')
    const audit = server.ctx.audit.list({ limit: 20, userId: session.user.id }).map((e) => e.action)
    expect(audit).toContain('auth.refresh.reuse_detected')
  })

  test('an unknown refresh token is 401', async () => {
    const response = await server.request('POST', '/auth/refresh', { body: { refreshToken: 'x'.repeat(43) } })
    expect(response.status).toBe(401)
    expectErrorShape(response.body, 'INVALID_REFRESH_TOKEN')
  })

  test('the token is stored only as a hash', async () => {
    const session = await server.register()
    const rows = server.ctx.db.$client.query('select token_hash from refresh_tokens').all() as Array<{ token_hash: string }>
    expect(rows.some((r) => r.token_hash === session.refreshToken)).toBe(false)
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.token_hash))).toBe(true)
  })
})

describe('logout and sessions', () => {
  test('logout revokes this session only', async () => {
    const session = await server.register()
    const other = await server.login(session.user.email, session.password)
    expect((await server.request('POST', '/auth/logout', { token: session.accessToken })).status).toBe(204)
    expect((await server.request('GET', '/users/me', { token: session.accessToken })).status).toBe(401)
    expect((await server.request('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } })).status).toBe(401)
    expect((await server.request('GET', '/users/me', { token: other.body.accessToken })).status).toBe(200)
  })

  test('list sessions, revoke one, revoke all others', async () => {
    const session = await server.register()
    const second = (await server.login(session.user.email, session.password)).body
    const third = (await server.login(session.user.email, session.password)).body
    const list = await server.request('GET', '/users/me/sessions', { token: session.accessToken })
    expect(list.status).toBe(200)
    expect(list.body).toHaveLength(3)
    expect(list.body.filter((s: any) => s.current)).toHaveLength(1)
    expect(list.body.find((s: any) => s.current).id).toBe(session.sessionId)

    expect((await server.request('DELETE', `/users/me/sessions/${second.sessionId}`, { token: session.accessToken })).status).toBe(204)
    expect((await server.request('GET', '/users/me', { token: second.accessToken })).status).toBe(401)
    expect((await server.request('DELETE', `/users/me/sessions/${second.sessionId}`, { token: session.accessToken })).status).toBe(404)

    const others = await server.request('POST', '/users/me/sessions/revoke-others', { token: session.accessToken })
    expect(others.body.revoked).toBe(1)
    expect((await server.request('GET', '/users/me', { token: third.accessToken })).status).toBe(401)
    expect((await server.request('GET', '/users/me', { token: session.accessToken })).status).toBe(200)
  })

  test("one user cannot revoke another user's session", async () => {
    const alice = await server.register()
    const bob = await server.register()
    const response = await server.request('DELETE', `/users/me/sessions/${bob.sessionId}`, { token: alice.accessToken })
    expect(response.status).toBe(404)
    expect((await server.request('GET', '/users/me', { token: bob.accessToken })).status).toBe(200)
  })
})

describe('email verification', () => {
  test('the mailed token verifies once; a replay is refused', async () => {
    const session = await server.register()
    expect(session.user).toMatchObject({ emailVerified: false })
    const token = server.mailToken(session.user.email, 'verify_email')
    const ok = await server.request('POST', '/auth/verify-email', { body: { token } })
    expect(ok.status).toBe(200)
    const me = await server.request('GET', '/users/me', { token: session.accessToken })
    expect(me.body.emailVerified).toBe(true)
    const replay = await server.request('POST', '/auth/verify-email', { body: { token } })
    expect(replay.status).toBe(400)
    expectErrorShape(replay.body, 'INVALID_VERIFICATION_TOKEN')
    const again = await server.request('POST', '/auth/verify-email/resend', { token: session.accessToken })
    expect(again.status).toBe(409)
  })

  test('an expired token is refused', async () => {
    const session = await server.register()
    const token = server.mailToken(session.user.email, 'verify_email')
    server.ctx.db.$client.run("update one_time_tokens set expires_at = ? where user_id = ? and purpose = 'verify_email'", [Date.now() - 1000, session.user.id])
    const response = await server.request('POST', '/auth/verify-email', { body: { token } })
    expect(response.status).toBe(400)
    expectErrorShape(response.body, 'INVALID_VERIFICATION_TOKEN')
    expect(response.body.error.message).toContain('expired')
  })

  test('resend invalidates the earlier link', async () => {
    const session = await server.register()
    const old = server.mailToken(session.user.email, 'verify_email')
    expect((await server.request('POST', '/auth/verify-email/resend', { token: session.accessToken })).status).toBe(202)
    const fresh = server.mailToken(session.user.email, 'verify_email')
    expect(fresh).not.toBe(old)
    expect((await server.request('POST', '/auth/verify-email', { body: { token: old } })).status).toBe(400)
    expect((await server.request('POST', '/auth/verify-email', { body: { token: fresh } })).status).toBe(200)
  })
})

describe('password reset', () => {
  test('forgot always answers 202; the reset token sets a new password, revokes every session and is single use', async () => {
    const session = await server.register()
    const unknown = await server.request('POST', '/auth/password/forgot', { body: { email: 'nobody-here@example.com' } })
    expect(unknown.status).toBe(202)
    const known = await server.request('POST', '/auth/password/forgot', { body: { email: session.user.email } })
    expect(known.status).toBe(202)
    expect(known.body).toEqual(unknown.body)
    const token = server.mailToken(session.user.email, 'reset_password')
    const reset = await server.request('POST', '/auth/password/reset', { body: { token, password: 'a brand new password' } })
    expect(reset.status).toBe(200)
    expect((await server.request('GET', '/users/me', { token: session.accessToken })).status).toBe(401)
    expect((await server.request('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } })).status).toBe(401)
    expect((await server.login(session.user.email, session.password)).status).toBe(401)
    expect((await server.login(session.user.email, 'a brand new password')).status).toBe(200)
    const replay = await server.request('POST', '/auth/password/reset', { body: { token, password: 'yet another password' } })
    expect(replay.status).toBe(400)
    expectErrorShape(replay.body, 'INVALID_RESET_TOKEN')
  })

  test('an expired reset token is refused and the password stays', async () => {
    const session = await server.register()
    await server.request('POST', '/auth/password/forgot', { body: { email: session.user.email } })
    const token = server.mailToken(session.user.email, 'reset_password')
    server.ctx.db.$client.run("update one_time_tokens set expires_at = ? where user_id = ? and purpose = 'reset_password'", [Date.now() - 1, session.user.id])
    const response = await server.request('POST', '/auth/password/reset', { body: { token, password: 'another new password' } })
    expect(response.status).toBe(400)
    expectErrorShape(response.body, 'INVALID_RESET_TOKEN')
    expect((await server.login(session.user.email, session.password)).status).toBe(200)
  })
})
