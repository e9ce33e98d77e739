import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../test/harness'
import { runApiToExit, spawnApi } from '../../test/api-process'
import { freePort } from '../../test/redis'
import { waitFor } from '../../test/wait'

const APP_ORIGIN = 'https://app.parley.example'
const BODY_LIMIT = 4096

let server: TestServer
let session: Session
const extraServers: TestServer[] = []

async function extraServer(env: Record<string, string>): Promise<TestServer> {
  const started = await startServer(env)
  extraServers.push(started)
  return started
}

beforeAll(async () => {
  server = await startServer({ CORS_ORIGINS: `${APP_ORIGIN}, https://admin.parley.example`, BODY_LIMIT_BYTES: String(BODY_LIMIT) })
  session = await server.register()
})
afterAll(async () => {
  await Promise.all([server, ...extraServers].map((s) => s.stop()))
})

function expectSecurityHeaders(headers: Headers) {
  expect(headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._-]{8,128}$/)
  expect(headers.get('x-content-type-options')).toBe('nosniff')
  expect(headers.get('x-frame-options')).toBe('DENY')
  expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
  expect(headers.get('referrer-policy')).toBe('no-referrer')
}

describe('headers on every response', () => {
  const cases: Array<[string, number, () => Promise<{ status: number; headers: Headers }>]> = [
    ['200 GET /health', 200, () => server.request('GET', '/health')],
    ['200 authenticated GET /users/me', 200, () => server.request('GET', '/users/me', { token: session.accessToken })],
    ['401 GET /users/me', 401, () => server.request('GET', '/users/me')],
    ['404 unknown route', 404, () => server.request('GET', '/no/such/route')],
    ['400 malformed JSON', 400, () => server.request('POST', '/auth/login', { raw: '{bad', headers: { 'content-type': 'application/json' } })],
    ['413 oversize body', 413, () => server.request('POST', '/auth/login', { raw: 'x'.repeat(BODY_LIMIT + 1), headers: { 'content-type': 'application/json' } })],
    ['422 invalid body', 422, () => server.request('POST', '/auth/login', { body: {} })],
    ['200 swagger UI', 200, () => server.request('GET', '/swagger')],
  ]
  test.each(cases)('%s carries a request id and the security headers', async (_name, status, send) => {
    const response = await send()
    expect(response.status).toBe(status)
    expectSecurityHeaders(response.headers)
  })

  test('a valid incoming x-request-id is echoed; an invalid one is replaced; every request gets its own', async () => {
    const valid = 'trace-0123456789.abc_DEF'
    expect((await server.request('GET', '/health', { headers: { 'x-request-id': valid } })).headers.get('x-request-id')).toBe(valid)
    for (const invalid of ['short', 'has spaces in it', '<script>alert(1)</script>', 'x'.repeat(129)]) {
      const id = (await server.request('GET', '/health', { headers: { 'x-request-id': invalid } })).headers.get('x-request-id')
      expect(id).not.toBe(invalid)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    }
    const first = (await server.request('GET', '/health')).headers.get('x-request-id')
    const second = (await server.request('GET', '/health')).headers.get('x-request-id')
    expect(first).not.toBe(second)
  })

  test('HSTS is sent only behind a trusted proxy that says the request came over https', async () => {
    expect((await server.request('GET', '/health', { headers: { 'x-forwarded-proto': 'https' } })).headers.get('strict-transport-security')).toBeNull()
    const proxied = await extraServer({ TRUST_PROXY: 'true' })
    const https = await proxied.request('GET', '/health', { headers: { 'x-forwarded-proto': 'https' } })
    expect(https.headers.get('strict-transport-security')).toStartWith('max-age=31536000')
    expect((await proxied.request('GET', '/health', { headers: { 'x-forwarded-proto': 'http' } })).headers.get('strict-transport-security')).toBeNull()
    expect((await proxied.request('GET', '/health')).headers.get('strict-transport-security')).toBeNull()
  })
})

describe('CORS', () => {
  test('an allowed origin gets access-control-allow-origin on normal and error responses', async () => {
    for (const response of [await server.request('GET', '/health', { headers: { origin: APP_ORIGIN } }), await server.request('GET', '/users/me', { headers: { origin: APP_ORIGIN } })]) {
      expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN)
      expect(response.headers.get('access-control-allow-credentials')).toBe('true')
      expect(response.headers.get('access-control-expose-headers')).toContain('x-request-id')
      expect(response.headers.get('vary')).toContain('Origin')
    }
  })

  test('a preflight from an allowed origin is 204 with the allowed methods and headers', async () => {
    const response = await server.request('OPTIONS', '/auth/login', {
      headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    })
    expect(response.status).toBe(204)
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN)
    const methods = response.headers.get('access-control-allow-methods')!.split(',').map((m) => m.trim())
    expect(methods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']))
    expect(response.headers.get('access-control-allow-headers')).toBe('content-type, authorization')
    expectSecurityHeaders(response.headers)
  })

  test('a foreign origin gets no CORS headers, not even on a preflight', async () => {
    for (const method of ['GET', 'OPTIONS']) {
      const response = await server.request(method, '/health', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } })
      expect(response.headers.get('access-control-allow-origin')).toBeNull()
      expect(response.headers.get('access-control-allow-methods')).toBeNull()
      expect(response.status).not.toBe(204)
    }
  })
})

describe('request bodies', () => {
  const login = (raw: BodyInit, contentType = 'application/json') => server.request('POST', '/auth/login', { raw, headers: { 'content-type': contentType } })

  test('a body over BODY_LIMIT_BYTES is 413 PAYLOAD_TOO_LARGE in the error shape; one exactly at the limit is read', async () => {
    const over = await login(JSON.stringify({ login: 'someone', password: 'x'.repeat(BODY_LIMIT) }))
    expect(over.status).toBe(413)
    expectErrorShape(over.body, 'PAYLOAD_TOO_LARGE')
    expect(over.body.error.details).toEqual({ limitBytes: BODY_LIMIT })
    const json = JSON.stringify({ login: 'nobody@example.com', password: 'not the password' })
    const atLimit = await login(json + ' '.repeat(BODY_LIMIT - json.length))
    expect(atLimit.status).toBe(401)
    expectErrorShape(atLimit.body, 'INVALID_CREDENTIALS')
  })

  test('a streamed (chunked) body without Content-Length is held to the same limit', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(1024))
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk)
        else controller.close()
      },
    })
    const response = await login(stream)
    expect(response.status).toBe(413)
    expectErrorShape(response.body, 'PAYLOAD_TOO_LARGE')
  })

  test('form, multipart and text bodies are 415 UNSUPPORTED_MEDIA_TYPE, even when their fields would be valid', async () => {
    const fields = { login: session.user.email, password: session.password }
    const form = new FormData()
    for (const [key, value] of Object.entries(fields)) form.set(key, value)
    const cases = [
      await login(new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded'),
      await server.request('POST', '/auth/login', { raw: form }),
      await login(JSON.stringify(fields), 'text/plain'),
    ]
    for (const response of cases) {
      expect(response.status).toBe(415)
      expectErrorShape(response.body, 'UNSUPPORTED_MEDIA_TYPE')
    }
    expect((await login(JSON.stringify(fields), 'application/json; charset=utf-8')).status).toBe(200)
  })
})

describe('rate limits', () => {
  test('per IP: over RATE_LIMIT_IP_PER_MINUTE is 429 RATE_LIMITED with Retry-After; health endpoints stay open', async () => {
    const limited = await extraServer({ RATE_LIMIT_IP_PER_MINUTE: '5' })
    for (let i = 0; i < 5; i++) expect((await limited.request('GET', '/users/me')).status).toBe(401)
    const over = await limited.request('GET', '/users/me')
    expect(over.status).toBe(429)
    expectErrorShape(over.body, 'RATE_LIMITED')
    const retryAfter = Number(over.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expectSecurityHeaders(over.headers)
    expect((await limited.request('GET', '/health')).status).toBe(200)
    expect((await limited.request('GET', '/metrics')).status).toBe(200)
  })

  test('behind a trusted proxy the budget follows the address the proxy saw, not what the client put first', async () => {
    const proxied = await extraServer({ TRUST_PROXY: 'true', RATE_LIMIT_IP_PER_MINUTE: '3' })
    const from = (spoofed: string, real: string) => proxied.request('GET', '/users/me', { headers: { 'x-forwarded-for': `${spoofed}, ${real}` } })
    for (let i = 0; i < 3; i++) expect((await from(`10.0.0.${i}`, '203.0.113.7')).status).toBe(401)
    expect((await from('10.0.0.99', '203.0.113.7')).status).toBe(429)
    expect((await from('10.0.0.99', '203.0.113.8')).status).toBe(401)
  })

  test('per user: over RATE_LIMIT_USER_PER_MINUTE is 429 for that account only', async () => {
    const limited = await extraServer({ RATE_LIMIT_USER_PER_MINUTE: '3' })
    const [alice, bob] = await Promise.all([limited.register(), limited.register()])
    for (let i = 0; i < 3; i++) expect((await limited.request('GET', '/users/me', { token: alice.accessToken })).status).toBe(200)
    const over = await limited.request('GET', '/users/me', { token: alice.accessToken })
    expect(over.status).toBe(429)
    expectErrorShape(over.body, 'RATE_LIMITED')
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect((await limited.request('GET', '/users/me', { token: bob.accessToken })).status).toBe(200)
  })

  test('password endpoints have a smaller per-address budget (RATE_LIMIT_AUTH_PER_MINUTE), across accounts', async () => {
    const limited = await extraServer({ RATE_LIMIT_AUTH_PER_MINUTE: '3' })
    const alice = await limited.register()
    expect((await limited.login(alice.user.email, alice.password)).status).toBe(200)
    expect((await limited.login('someone-else@example.com', 'whatever password')).status).toBe(401)
    const over = await limited.login(alice.user.email, alice.password)
    expect(over.status).toBe(429)
    expectErrorShape(over.body, 'RATE_LIMITED')
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    // Signed-in traffic is not charged to it.
    expect((await limited.request('GET', '/users/me', { token: alice.accessToken })).status).toBe(200)
  })

  test('servers sharing a Redis and REDIS_PREFIX share one IP budget; another prefix has its own', async () => {
    const prefix = `test:shared:${crypto.randomUUID()}:`
    const [a, b, separate] = await Promise.all([
      extraServer({ REDIS_PREFIX: prefix, RATE_LIMIT_IP_PER_MINUTE: '4' }),
      extraServer({ REDIS_PREFIX: prefix, RATE_LIMIT_IP_PER_MINUTE: '4' }),
      extraServer({ RATE_LIMIT_IP_PER_MINUTE: '4' }),
    ])
    for (const target of [a, a, b, b]) expect((await target.request('GET', '/users/me')).status).toBe(401)
    expect((await b.request('GET', '/users/me')).status).toBe(429)
    expect((await a.request('GET', '/users/me')).status).toBe(429)
    expect((await separate.request('GET', '/users/me')).status).toBe(401)
  })
})

describe('health, readiness and metrics', () => {
  test('/health is 200 and /ready is 200 with database and redis ok', async () => {
    const health = await server.request('GET', '/health')
    expect(health.status).toBe(200)
    expect(health.body.status).toBe('ok')
    const ready = await server.request('GET', '/ready')
    expect(ready.status).toBe(200)
    expect(ready.body).toEqual({ status: 'ready', checks: { database: 'ok', redis: 'ok' } })
  })

  test('with Redis unreachable /ready is 503, while /health, sign-up, sign-in and (in-memory) rate limiting keep working', async () => {
    const deadPort = await freePort()
    const degraded = await extraServer({ REDIS_URL: `redis://127.0.0.1:${deadPort}`, RATE_LIMIT_IP_PER_MINUTE: '20' })
    const ready = await degraded.request('GET', '/ready')
    expect(ready.status).toBe(503)
    expect(ready.body).toEqual({ status: 'unavailable', checks: { database: 'ok', redis: 'unreachable' } })
    expect((await degraded.request('GET', '/health')).status).toBe(200)
    const user = await degraded.register()
    const login = await degraded.login(user.user.email, user.password)
    expect(login.status).toBe(200)
    expect((await degraded.request('GET', '/users/me', { token: login.body.accessToken })).status).toBe(200)
    const statuses: number[] = []
    for (let i = 0; i < 20; i++) statuses.push((await degraded.request('GET', '/users/me', { token: login.body.accessToken })).status)
    expect(statuses).toContain(429)
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([])
  })

  test('/metrics is Prometheus text with request counts and latency buckets by route', async () => {
    expect((await server.request('GET', '/health')).status).toBe(200)
    const text = await waitFor(async () => {
      const metrics = await server.request('GET', '/metrics')
      expect(metrics.status).toBe(200)
      expect(metrics.headers.get('content-type')).toStartWith('text/plain')
      return metrics.body.includes('http_requests_total{method="GET",route="/health",status="200"}') ? (metrics.body as string) : undefined
    }, 'the /health request in /metrics')
    expect(text).toContain('# TYPE http_requests_total counter')
    expect(text).toContain('# TYPE http_request_duration_seconds histogram')
    expect(text).toMatch(/^http_request_duration_seconds_bucket\{method="GET",route="\/health",le="\+Inf"\} \d+$/m)
    expect(text).toMatch(/^http_requests_total\{method="GET",route="unmatched",status="404"\} \d+$/m)
  })
})

describe('the server process', () => {
  test('logs one JSON line per request with route, status, duration and the user id; SIGTERM exits 0', async () => {
    const api = await spawnApi({ LOG_LEVEL: 'info' })
    try {
      const register = await fetch(`${api.url}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'logged@example.com', username: 'logged', displayName: 'Logged', password: 'correct horse battery' }),
      })
      expect(register.status).toBe(201)
      const { accessToken, user } = (await register.json()) as { accessToken: string; user: { id: string } }
      const me = await fetch(`${api.url}/users/me`, { headers: { authorization: `Bearer ${accessToken}` } })
      expect(me.status).toBe(200)
      const requestId = me.headers.get('x-request-id')

      const line = await waitFor(() => {
        const lines = api.stdoutLines().map((l) => JSON.parse(l) as Record<string, unknown>)
        return lines.find((l) => l.msg === 'request' && l.requestId === requestId)
      }, 'the log line of GET /users/me')
      expect(line).toMatchObject({ level: 'info', method: 'GET', route: '/users/me', status: 200, userId: user.id })
      expect(line.durationMs).toBeNumber()
      const registerLine = api.stdoutLines().map((l) => JSON.parse(l)).find((l) => l.route === '/auth/register')
      expect(registerLine).toMatchObject({ status: 201, userId: null })
      expect(JSON.stringify(api.stdoutLines())).not.toContain('correct horse battery')

      api.process.kill('SIGTERM')
      expect(await api.process.exited).toBe(0)
    } finally {
      await api.stop()
    }
  })

  test.each([
    ['PORT', 'abc'],
    ['REDIS_URL', 'ftp://x'],
    ['JWT_SECRET', 'short'],
  ])('a bad %s (%s) makes the process print one line naming it and exit non-zero', async (variable, value) => {
    const { exitCode, stdout, stderr } = await runApiToExit({ [variable]: value, PORT: variable === 'PORT' ? value : '0' })
    expect(exitCode).not.toBe(0)
    const lines = (stdout + stderr).split('\n').filter((l) => l.trim())
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(variable)
  })
})
