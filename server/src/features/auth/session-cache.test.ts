import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { expectErrorShape, startServer, totpNow, type Session, type TestServer } from '../../../test/harness'
import { SessionCache } from './session-cache'
import { spawnApi, type ApiProcess } from '../../../test/api-process'
import { waitFor } from '../../../test/wait'

// Session caching (SESSION_CACHE_MS) across two API processes sharing one SQLite file: the one in
// this test process (A) and a real `bun server/src/index.ts` (B). Changes made on A must act on A's
// very next request, and on B once the Redis message has crossed; that crossing is awaited with a
// bounded poll (`refusedOn`), never a fixed sleep. B caches for a minute, so only the message can
// explain a refusal within the poll's 10 seconds.

const LONG_CACHE_MS = '60000'
const CROSSING_MS = 10_000

interface Pair {
  a: TestServer
  b: ApiProcess
}

async function startPair(env: { redis: boolean; cacheMs: string }): Promise<Pair> {
  const a = await startServer({ SESSION_CACHE_MS: env.cacheMs, ...(env.redis ? {} : { REDIS_URL: '' }) })
  const b = await spawnApi({
    DATABASE_PATH: join(a.dataDir, 'parley.db'),
    JWT_SECRET: a.ctx.config.jwtSecret,
    SESSION_CACHE_MS: env.cacheMs,
    LOG_LEVEL: 'warn',
    ...(env.redis ? { REDIS_URL: process.env.TEST_REDIS_URL!, REDIS_PREFIX: a.ctx.config.redisPrefix } : {}),
  })
  return { a, b }
}

async function me(url: string, token: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}/users/me`, { headers: { authorization: `Bearer ${token}` } })
  return { status: response.status, body: await response.json() }
}

/** Polls B until it refuses the token; fails the test if it still answers 200 after CROSSING_MS. */
async function refusedOn(url: string, token: string, code: string): Promise<void> {
  const refused = await waitFor(async () => {
    const response = await me(url, token)
    return response.status === 200 ? undefined : response
  }, `the other instance to refuse the token (${code})`, CROSSING_MS)
  expect(refused.status).toBe(401)
  expectErrorShape(refused.body, code)
}

/** A session both instances have just served, so each holds it in its cache. */
async function cachedEverywhere(pair: Pair, session: { accessToken: string }): Promise<void> {
  expect((await me(pair.a.url, session.accessToken)).status).toBe(200)
  expect((await me(pair.b.url, session.accessToken)).status).toBe(200)
}

describe('with Redis: changes on one instance reach the other through the realtime channel', () => {
  let pair: Pair
  let admin: Session
  beforeAll(async () => {
    pair = await startPair({ redis: true, cacheMs: LONG_CACHE_MS })
    admin = await pair.a.register()
  })
  afterAll(async () => {
    await pair.b.stop()
    await pair.a.stop()
  })

  test('logout: refused on A at once, on B at its next request after the message', async () => {
    const session = await pair.a.register()
    await cachedEverywhere(pair, session)
    expect((await pair.a.request('POST', '/auth/logout', { token: session.accessToken })).status).toBe(204)
    const onA = await me(pair.a.url, session.accessToken)
    expect(onA.status).toBe(401)
    expectErrorShape(onA.body, 'SESSION_REVOKED')
    await refusedOn(pair.b.url, session.accessToken, 'SESSION_REVOKED')
  })

  test('revoking one session and all others from the sessions list', async () => {
    const first = await pair.a.register()
    const second = (await pair.a.login(first.user.email, first.password)).body
    const third = (await pair.a.login(first.user.email, first.password)).body
    for (const session of [first, second, third]) await cachedEverywhere(pair, session)
    expect((await pair.a.request('DELETE', `/users/me/sessions/${second.sessionId}`, { token: first.accessToken })).status).toBe(204)
    expect((await me(pair.a.url, second.accessToken)).status).toBe(401)
    await refusedOn(pair.b.url, second.accessToken, 'SESSION_REVOKED')
    expect((await pair.a.request('POST', '/users/me/sessions/revoke-others', { token: first.accessToken })).body).toEqual({ revoked: 1 })
    expect((await me(pair.a.url, third.accessToken)).status).toBe(401)
    await refusedOn(pair.b.url, third.accessToken, 'SESSION_REVOKED')
    expect((await me(pair.b.url, first.accessToken)).status).toBe(200)
  })

  test('a reused refresh token revokes its session on both instances', async () => {
    const session = await pair.a.register()
    await cachedEverywhere(pair, session)
    expect((await pair.a.request('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } })).status).toBe(200)
    const reused = await pair.a.request('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } })
    expectErrorShape(reused.body, 'REFRESH_TOKEN_REUSED')
    expect((await me(pair.a.url, session.accessToken)).status).toBe(401)
    await refusedOn(pair.b.url, session.accessToken, 'SESSION_REVOKED')
  })

  test('changing the password signs out the other sessions everywhere; the current one stays', async () => {
    const session = await pair.a.register()
    const other = (await pair.a.login(session.user.email, session.password)).body
    await cachedEverywhere(pair, session)
    await cachedEverywhere(pair, other)
    const changed = await pair.a.request('POST', '/users/me/password', { token: session.accessToken, body: { currentPassword: session.password, newPassword: 'another long password' } })
    expect(changed.body).toEqual({ ok: true, otherSessionsRevoked: 1 })
    expect((await me(pair.a.url, other.accessToken)).status).toBe(401)
    await refusedOn(pair.b.url, other.accessToken, 'SESSION_REVOKED')
    expect((await me(pair.b.url, session.accessToken)).status).toBe(200)
  })

  test('disabling an account refuses it everywhere; deleting one too', async () => {
    const disabled = await pair.a.register()
    await cachedEverywhere(pair, disabled)
    expect((await pair.a.request('POST', `/admin/users/${disabled.user.id}/disable`, { token: admin.accessToken })).status).toBe(200)
    expect((await me(pair.a.url, disabled.accessToken)).status).toBe(401)
    await refusedOn(pair.b.url, disabled.accessToken, 'SESSION_REVOKED')

    const deleted = await pair.a.register()
    await cachedEverywhere(pair, deleted)
    expect((await pair.a.request('DELETE', '/users/me', { token: deleted.accessToken, body: { password: deleted.password } })).status).toBe(204)
    expect((await me(pair.a.url, deleted.accessToken)).status).toBe(401)
    await refusedOn(pair.b.url, deleted.accessToken, 'SESSION_REVOKED')
  })

  test('a profile edit shows at once on A and after the message on B; a demoted admin loses admin routes on B', async () => {
    const session = await pair.a.register()
    await cachedEverywhere(pair, session)
    expect((await pair.a.request('PATCH', '/users/me', { token: session.accessToken, body: { displayName: 'Renamed Person' } })).status).toBe(200)
    expect((await me(pair.a.url, session.accessToken)).body.displayName).toBe('Renamed Person')
    await waitFor(async () => ((await me(pair.b.url, session.accessToken)).body.displayName === 'Renamed Person' ? true : undefined), 'the new display name on B', CROSSING_MS)

    const promoted = await pair.a.request('PUT', `/admin/users/${session.user.id}/role`, { token: admin.accessToken, body: { role: 'admin' } })
    expect(promoted.body.role).toBe('admin')
    const adminList = (url: string) => fetch(`${url}/admin/users`, { headers: { authorization: `Bearer ${session.accessToken}` } }).then((r) => r.status)
    expect(await adminList(pair.a.url)).toBe(200)
    await waitFor(async () => ((await adminList(pair.b.url)) === 200 ? true : undefined), 'the promotion on B', CROSSING_MS)
    await pair.a.request('PUT', `/admin/users/${session.user.id}/role`, { token: admin.accessToken, body: { role: 'user' } })
    expect(await adminList(pair.a.url)).toBe(403)
    await waitFor(async () => ((await adminList(pair.b.url)) === 403 ? true : undefined), 'the demotion on B', CROSSING_MS)
  })
})

describe('without Redis: SESSION_CACHE_MS bounds how long another instance may serve a revoked session', () => {
  const CACHE_MS = 1500
  let pair: Pair
  beforeAll(async () => {
    pair = await startPair({ redis: false, cacheMs: String(CACHE_MS) })
  })
  afterAll(async () => {
    await pair.b.stop()
    await pair.a.stop()
  })

  test('B serves its cached session until the bound, then refuses it; A refuses at once', async () => {
    const session = await pair.a.register()
    await cachedEverywhere(pair, session)
    const cachedAt = Date.now()
    expect((await pair.a.request('POST', '/auth/logout', { token: session.accessToken })).status).toBe(204)
    expect((await me(pair.a.url, session.accessToken)).status).toBe(401)
    const soon = await me(pair.b.url, session.accessToken)
    // Only checkable while the entry is surely fresh: a stalled machine may already be past the bound.
    if (Date.now() - cachedAt < CACHE_MS / 2) expect(soon.status).toBe(200)
    await refusedOn(pair.b.url, session.accessToken, 'SESSION_REVOKED')
  })

  test('a profile edit on A reaches B within the bound', async () => {
    const session = await pair.a.register()
    await cachedEverywhere(pair, session)
    await pair.a.request('PATCH', '/users/me', { token: session.accessToken, body: { displayName: 'Bounded Rename' } })
    expect((await me(pair.a.url, session.accessToken)).body.displayName).toBe('Bounded Rename')
    await waitFor(async () => ((await me(pair.b.url, session.accessToken)).body.displayName === 'Bounded Rename' ? true : undefined), 'the new name on B', CROSSING_MS)
  })
})

describe('SESSION_CACHE_MS=0', () => {
  test('turns the cache off: another instance without Redis refuses a revoked session at its next request', async () => {
    const pair = await startPair({ redis: false, cacheMs: '0' })
    try {
      const session = await pair.a.register()
      await cachedEverywhere(pair, session)
      await pair.a.request('POST', '/auth/logout', { token: session.accessToken })
      const onB = await me(pair.b.url, session.accessToken)
      expect(onB.status).toBe(401)
      expectErrorShape(onB.body, 'SESSION_REVOKED')
    } finally {
      await pair.b.stop()
      await pair.a.stop()
    }
  })
})

describe('on one instance', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startServer({ SESSION_CACHE_MS: LONG_CACHE_MS })
  })
  afterAll(() => server.stop())

  test('two-factor and email verification show in /users/me at once', async () => {
    const session = await server.register()
    expect((await me(server.url, session.accessToken)).body.emailVerified).toBe(false)
    await server.request('POST', '/auth/verify-email', { body: { token: server.mailToken(session.user.email, 'verify_email') } })
    expect((await me(server.url, session.accessToken)).body.emailVerified).toBe(true)
    const { secret } = (await server.request('POST', '/users/me/mfa/setup', { token: session.accessToken })).body
    expect((await server.request('POST', '/users/me/mfa/confirm', { token: session.accessToken, body: { code: await totpNow(secret) } })).status).toBe(200)
    expect((await me(server.url, session.accessToken)).body.mfaEnabled).toBe(true)
    expect((await server.request('GET', '/users/me/mfa', { token: session.accessToken })).body.enabled).toBe(true)
    expect((await server.request('POST', '/users/me/mfa/disable', { token: session.accessToken, body: { password: session.password } })).status).toBe(204)
    expect((await me(server.url, session.accessToken)).body.mfaEnabled).toBe(false)
  })

  test('a bad SESSION_CACHE_MS stops the start with the variable named', async () => {
    await expect(startServer({ SESSION_CACHE_MS: 'soon' })).rejects.toThrow(/SESSION_CACHE_MS/)
  })
})

describe('SessionCache', () => {
  test('entries expire after ttlMs, the oldest goes when full, and invalidations drop by session, user or all', () => {
    const cache = new SessionCache<string>(1000, 2)
    cache.set('s1', 'u1', 'one', 0)
    expect(cache.get('s1', 999)).toBe('one')
    expect(cache.get('s1', 1000)).toBeUndefined()
    cache.set('s1', 'u1', 'one', 0)
    cache.set('s2', 'u2', 'two', 0)
    cache.set('s3', 'u1', 'three', 0)
    expect([cache.get('s1', 1), cache.get('s2', 1), cache.get('s3', 1)]).toEqual([undefined, 'two', 'three'])
    cache.apply({ userIds: ['u1'] })
    expect([cache.get('s2', 1), cache.get('s3', 1)]).toEqual(['two', undefined])
    cache.apply({ sessionIds: ['s2'] })
    expect(cache.size).toBe(0)
    cache.set('s4', 'u4', 'four', 0)
    cache.apply({ all: true })
    expect(cache.get('s4', 1)).toBeUndefined()
    const off = new SessionCache<string>(0)
    off.set('s1', 'u1', 'one', 0)
    expect(off.get('s1', 0)).toBeUndefined()
  })
})
