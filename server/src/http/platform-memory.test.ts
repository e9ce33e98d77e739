import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { expectErrorShape, startServer, type TestServer } from '../../test/harness'

// Without Redis the rate limiter counts in memory and the per-request hooks (platform.ts, the auth
// guard) run as plain functions instead of async ones (docs/BENCHMARKS.md). platform.test.ts runs
// against Redis, so these cases check the same promises on the synchronous path.

const APP_ORIGIN = 'https://app.parley.example'
let server: TestServer

beforeAll(async () => {
  server = await startServer({ REDIS_URL: '', CORS_ORIGINS: APP_ORIGIN, RATE_LIMIT_IP_PER_MINUTE: '12', RATE_LIMIT_USER_PER_MINUTE: '3', BODY_LIMIT_BYTES: '4096' })
})
afterAll(() => server.stop())

describe('in-memory limits and the synchronous request hooks', () => {
  test('the limiter answers synchronously when it counts in memory', () => {
    expect(server.ctx.redis).toBeNull()
    expect(typeof server.ctx.limiter.hitNow).toBe('function')
  })

  test('per user: the fourth request of a minute is 429 with Retry-After, another user still passes', async () => {
    const [alice, bob] = await Promise.all([server.register(), server.register()])
    for (let i = 0; i < 3; i++) expect((await server.request('GET', '/users/me', { token: alice.accessToken })).status).toBe(200)
    const over = await server.request('GET', '/users/me', { token: alice.accessToken })
    expect(over.status).toBe(429)
    expectErrorShape(over.body, 'RATE_LIMITED')
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(over.headers.get('x-content-type-options')).toBe('nosniff')
    expect((await server.request('GET', '/users/me', { token: bob.accessToken })).status).toBe(200)
  })

  test('a preflight from an allowed origin is answered by the hook itself; a body over the limit is 413', async () => {
    const preflight = await server.request('OPTIONS', '/users/me', { headers: { origin: APP_ORIGIN, 'access-control-request-method': 'GET' } })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN)
    const oversize = await server.request('POST', '/auth/login', { raw: 'x'.repeat(5000), headers: { 'content-type': 'application/json' } })
    expect(oversize.status).toBe(413)
    expectErrorShape(oversize.body, 'PAYLOAD_TOO_LARGE')
  })

  test('per IP: past RATE_LIMIT_IP_PER_MINUTE every route but the health ones is 429', async () => {
    // Earlier tests in this file used part of the address's budget; spend the rest, then one more.
    let last = await server.request('GET', '/users/me')
    for (let i = 0; i < 12 && last.status !== 429; i++) last = await server.request('GET', '/users/me')
    expect(last.status).toBe(429)
    expectErrorShape(last.body, 'RATE_LIMITED')
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect((await server.request('GET', '/health')).status).toBe(200)
  })
})
