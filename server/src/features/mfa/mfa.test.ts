import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SignJWT } from 'jose'
import { currentTotp, expectErrorShape, startServer, totpNow, type Session, type TestServer } from '../../../test/harness'
import { totpAt } from '../../lib/totp'

let server: TestServer
let adminToken: string

beforeAll(async () => {
  server = await startServer()
  adminToken = (await server.register()).accessToken
})
afterAll(() => server.stop())

/** A well-formed code that is not valid for any step the server could accept right now. */
function wrongCode(secret: string): string {
  const valid = new Set([-2, -1, 0, 1, 2].map((step) => totpAt(secret, Date.now() + step * 30_000)))
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0')
    if (!valid.has(candidate)) return candidate
  }
}

async function enableMfa(session: Session): Promise<{ secret: string; recoveryCodes: string[] }> {
  const setup = await server.request('POST', '/users/me/mfa/setup', { token: session.accessToken })
  expect(setup.status).toBe(200)
  const confirm = await server.request('POST', '/users/me/mfa/confirm', { token: session.accessToken, body: { code: await totpNow(setup.body.secret) } })
  expect(confirm.status).toBe(200)
  return { secret: setup.body.secret, recoveryCodes: confirm.body.recoveryCodes }
}

async function challenge(session: Session): Promise<string> {
  const login = await server.login(session.user.email, session.password)
  expect(login.status).toBe(200)
  expect(login.body.mfaRequired).toBe(true)
  return login.body.challengeToken
}

function verify(challengeToken: string, factor: { code?: string; recoveryCode?: string }) {
  return server.request('POST', '/auth/mfa/verify', { body: { challengeToken, ...factor } })
}

async function auditActions(userId: string): Promise<string[]> {
  const response = await server.request('GET', `/admin/audit?userId=${userId}&limit=200`, { token: adminToken })
  expect(response.status).toBe(200)
  return response.body.map((entry: { action: string }) => entry.action)
}

describe('setup and confirm', () => {
  test('setup returns a base32 secret, an otpauth URI and an SVG QR code, and does not turn MFA on yet', async () => {
    const session = await server.register()
    const setup = await server.request('POST', '/users/me/mfa/setup', { token: session.accessToken })
    expect(setup.status).toBe(200)
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/)
    const uri = new URL(setup.body.otpauthUri)
    expect(uri.protocol).toBe('otpauth:')
    expect(uri.host).toBe('totp')
    expect(decodeURIComponent(uri.pathname)).toBe(`/Parley:${session.user.email}`)
    expect(uri.searchParams.get('secret')).toBe(setup.body.secret)
    expect(uri.searchParams.get('issuer')).toBe('Parley')
    expect(setup.body.qrSvg).toStartWith('<svg')
    expect(setup.body.qrSvg).toContain('</svg>')

    const status = await server.request('GET', '/users/me/mfa', { token: session.accessToken })
    expect(status.body).toEqual({ enabled: false, recoveryCodesRemaining: 0 })
    const login = await server.login(session.user.email, session.password)
    expect(login.body.accessToken).toBeString()
  })

  test('confirm with a wrong code is 401 INVALID_MFA_CODE; the right code turns MFA on and returns 10 distinct recovery codes', async () => {
    const session = await server.register()
    const setup = await server.request('POST', '/users/me/mfa/setup', { token: session.accessToken })
    const wrong = await server.request('POST', '/users/me/mfa/confirm', { token: session.accessToken, body: { code: wrongCode(setup.body.secret) } })
    expect(wrong.status).toBe(401)
    expectErrorShape(wrong.body, 'INVALID_MFA_CODE')
    expect((await server.request('GET', '/users/me/mfa', { token: session.accessToken })).body.enabled).toBe(false)

    const right = await server.request('POST', '/users/me/mfa/confirm', { token: session.accessToken, body: { code: await totpNow(setup.body.secret) } })
    expect(right.status).toBe(200)
    expect(right.body.recoveryCodes).toHaveLength(10)
    expect(new Set(right.body.recoveryCodes).size).toBe(10)
    const status = await server.request('GET', '/users/me/mfa', { token: session.accessToken })
    expect(status.body).toEqual({ enabled: true, recoveryCodesRemaining: 10 })
    expect((await server.request('GET', '/users/me', { token: session.accessToken })).body.mfaEnabled).toBe(true)

    const again = await server.request('POST', '/users/me/mfa/setup', { token: session.accessToken })
    expect(again.status).toBe(409)
    expectErrorShape(again.body, 'MFA_ALREADY_ENABLED')
    expect(await auditActions(session.user.id)).toContain('user.mfa.enabled')
  })

  test('confirm before setup is 400 and a code that is not six digits is 422', async () => {
    const session = await server.register()
    const early = await server.request('POST', '/users/me/mfa/confirm', { token: session.accessToken, body: { code: '123456' } })
    expect(early.status).toBe(400)
    expectErrorShape(early.body)
    const malformed = await server.request('POST', '/users/me/mfa/confirm', { token: session.accessToken, body: { code: '12345a' } })
    expect(malformed.status).toBe(422)
    expectErrorShape(malformed.body, 'VALIDATION_FAILED')
  })

  test('the MFA endpoints need a signed-in user', async () => {
    const response = await server.request('GET', '/users/me/mfa')
    expect(response.status).toBe(401)
    expectErrorShape(response.body, 'UNAUTHORIZED')
  })
})

describe('sign-in with MFA', () => {
  test('login answers with a challenge and no tokens; a wrong code is 401 and the right code issues working tokens', async () => {
    const session = await server.register()
    const { secret } = await enableMfa(session)
    const login = await server.login(session.user.email, session.password)
    expect(login.status).toBe(200)
    expect(login.body).toMatchObject({ mfaRequired: true, expiresIn: 300 })
    expect(login.body.challengeToken).toBeString()
    expect(login.body).not.toHaveProperty('accessToken')
    expect(login.body).not.toHaveProperty('refreshToken')

    const wrong = await verify(login.body.challengeToken, { code: wrongCode(secret) })
    expect(wrong.status).toBe(401)
    expectErrorShape(wrong.body, 'INVALID_MFA_CODE')

    const right = await verify(login.body.challengeToken, { code: await totpNow(secret) })
    expect(right.status).toBe(200)
    expect(right.body.user.id).toBe(session.user.id)
    const me = await server.request('GET', '/users/me', { token: right.body.accessToken })
    expect(me.status).toBe(200)
    const sessions = await server.request('GET', '/users/me/sessions', { token: right.body.accessToken })
    expect(sessions.body.find((s: any) => s.current).method).toBe('mfa')
    expect((await server.request('POST', '/auth/refresh', { body: { refreshToken: right.body.refreshToken } })).status).toBe(200)
  })

  test('a TOTP code works once: replaying it, even on a fresh challenge, is refused', async () => {
    const session = await server.register()
    const { secret } = await enableMfa(session)
    const code = await totpNow(secret)
    expect((await verify(await challenge(session), { code })).status).toBe(200)
    const replay = await verify(await challenge(session), { code })
    expect(replay.status).toBe(401)
    expectErrorShape(replay.body, 'INVALID_MFA_CODE')
  })

  test('a recovery code signs in once (in any case, with or without the dash); a second use fails', async () => {
    const session = await server.register()
    const { recoveryCodes } = await enableMfa(session)
    const [first, second] = recoveryCodes as [string, string]
    const used = await verify(await challenge(session), { recoveryCode: first })
    expect(used.status).toBe(200)
    expect(used.body.accessToken).toBeString()
    expect((await server.request('GET', '/users/me/mfa', { token: used.body.accessToken })).body.recoveryCodesRemaining).toBe(9)

    const replay = await verify(await challenge(session), { recoveryCode: first })
    expect(replay.status).toBe(401)
    expectErrorShape(replay.body, 'INVALID_MFA_CODE')

    const relaxed = await verify(await challenge(session), { recoveryCode: second.replace('-', '').toUpperCase() })
    expect(relaxed.status).toBe(200)
    expect((await server.request('GET', '/users/me/mfa', { token: relaxed.body.accessToken })).body.recoveryCodesRemaining).toBe(8)
  })

  test('five wrong codes lock verification with 429 MFA_THROTTLED and Retry-After, even for the right code', async () => {
    const session = await server.register()
    const { secret } = await enableMfa(session)
    const challengeToken = await challenge(session)
    for (let i = 0; i < 5; i++) expect((await verify(challengeToken, { code: wrongCode(secret) })).status).toBe(401)
    const locked = await verify(challengeToken, { code: currentTotp(secret) })
    expect(locked.status).toBe(429)
    expectErrorShape(locked.body, 'MFA_THROTTLED')
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
    const actions = await auditActions(session.user.id)
    expect(actions.filter((a) => a === 'user.mfa.failure')).toHaveLength(5)
  })

  test('an expired, forged, mistyped or garbage challenge token is 401 INVALID_CHALLENGE', async () => {
    const session = await server.register()
    const { secret } = await enableMfa(session)
    const secretKey = new TextEncoder().encode(`${server.ctx.config.jwtSecret}:mfa-challenge`)
    const expired = await new SignJWT({ sub: session.user.id, typ: 'mfa_challenge' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(secretKey)
    const forged = await new SignJWT({ sub: session.user.id, typ: 'mfa_challenge' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('not-the-server-secret-but-long-enough-1234'))
    const wrongType = await new SignJWT({ sub: session.user.id, typ: 'access' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(secretKey)
    for (const challengeToken of [expired, forged, wrongType, session.accessToken, 'garbage']) {
      const response = await verify(challengeToken, { code: currentTotp(secret) })
      expect(response.status).toBe(401)
      expectErrorShape(response.body, 'INVALID_CHALLENGE')
    }
  })

  test('verify without a code or a recovery code is 400', async () => {
    const session = await server.register()
    await enableMfa(session)
    const response = await verify(await challenge(session), {})
    expect(response.status).toBe(400)
    expectErrorShape(response.body)
  })
})

describe('managing MFA', () => {
  test('disable needs a valid code; afterwards login issues tokens directly, old challenges die and the audit log has both events', async () => {
    const session = await server.register()
    const { secret } = await enableMfa(session)
    const pending = await challenge(session)
    const wrong = await server.request('POST', '/users/me/mfa/disable', { token: session.accessToken, body: { code: wrongCode(secret) } })
    expect(wrong.status).toBe(401)
    expectErrorShape(wrong.body, 'INVALID_MFA_CODE')
    expect((await server.request('GET', '/users/me/mfa', { token: session.accessToken })).body.enabled).toBe(true)

    const disabled = await server.request('POST', '/users/me/mfa/disable', { token: session.accessToken, body: { code: await totpNow(secret) } })
    expect(disabled.status).toBe(204)
    expect((await server.request('GET', '/users/me/mfa', { token: session.accessToken })).body).toEqual({ enabled: false, recoveryCodesRemaining: 0 })
    const login = await server.login(session.user.email, session.password)
    expect(login.status).toBe(200)
    expect(login.body.mfaRequired).toBeUndefined()
    expect(login.body.accessToken).toBeString()
    const stale = await verify(pending, { code: currentTotp(secret) })
    expect(stale.status).toBe(401)
    expectErrorShape(stale.body, 'INVALID_CHALLENGE')

    const twice = await server.request('POST', '/users/me/mfa/disable', { token: session.accessToken, body: { code: currentTotp(secret) } })
    expect(twice.status).toBe(409)
    expectErrorShape(twice.body, 'MFA_NOT_ENABLED')
    const actions = await auditActions(session.user.id)
    expect(actions).toContain('user.mfa.enabled')
    expect(actions).toContain('user.mfa.disabled')
  })

  test('disable also accepts the account password, but not a wrong one', async () => {
    const session = await server.register()
    await enableMfa(session)
    const wrong = await server.request('POST', '/users/me/mfa/disable', { token: session.accessToken, body: { password: 'not the password' } })
    expect(wrong.status).toBe(401)
    expectErrorShape(wrong.body, 'INVALID_CREDENTIALS')
    const right = await server.request('POST', '/users/me/mfa/disable', { token: session.accessToken, body: { password: session.password } })
    expect(right.status).toBe(204)
    expect((await server.request('GET', '/users/me/mfa', { token: session.accessToken })).body.enabled).toBe(false)
  })

  test('regenerating recovery codes needs a valid code and invalidates the old ones', async () => {
    const session = await server.register()
    const { secret, recoveryCodes: old } = await enableMfa(session)
    const wrong = await server.request('POST', '/users/me/mfa/recovery-codes', { token: session.accessToken, body: { code: wrongCode(secret) } })
    expect(wrong.status).toBe(401)
    expectErrorShape(wrong.body, 'INVALID_MFA_CODE')

    const fresh = await server.request('POST', '/users/me/mfa/recovery-codes', { token: session.accessToken, body: { code: await totpNow(secret) } })
    expect(fresh.status).toBe(200)
    expect(fresh.body.recoveryCodes).toHaveLength(10)
    expect(fresh.body.recoveryCodes.filter((code: string) => old.includes(code))).toEqual([])
    expect((await server.request('GET', '/users/me/mfa', { token: session.accessToken })).body.recoveryCodesRemaining).toBe(10)

    const stale = await verify(await challenge(session), { recoveryCode: old[0]! })
    expect(stale.status).toBe(401)
    expectErrorShape(stale.body, 'INVALID_MFA_CODE')
    const current = await verify(await challenge(session), { recoveryCode: fresh.body.recoveryCodes[0] })
    expect(current.status).toBe(200)
    expect(await auditActions(session.user.id)).toContain('user.mfa.recovery_codes_regenerated')
  })
})
