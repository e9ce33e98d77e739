import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config'
import { createContext, type AppContext } from '../src/context'
import { createApp } from '../src/app'
import { totpAt, totpStep } from '../src/lib/totp'

export interface TestResponse<T = any> {
  status: number
  body: T
  headers: Headers
}

export interface RequestOptions {
  body?: unknown
  raw?: BodyInit
  token?: string
  headers?: Record<string, string>
}

export interface TestServer {
  url: string
  ctx: AppContext
  dataDir: string
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<TestResponse<T>>
  register(overrides?: Partial<{ email: string; username: string; displayName: string; password: string }>): Promise<Session>
  login(login: string, password: string): Promise<TestResponse>
  /** Reads the latest mail to `to` from the dev outbox and extracts its token. */
  mailToken(to: string, kind: 'verify_email' | 'reset_password'): string
  stop(): Promise<void>
}

export interface Session {
  accessToken: string
  refreshToken: string
  sessionId: string
  user: { id: string; email: string; username: string; role: string }
  password: string
}

let counter = 0

/**
 * A real API server on a loopback port with its own fresh SQLite file and its own Redis key prefix
 * (the Redis started by the preload), driven over real HTTP.
 */
export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-test-'))
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    PORT: '0',
    REDIS_URL: process.env.TEST_REDIS_URL,
    REDIS_PREFIX: `test:${crypto.randomUUID()}:`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Every test request comes from 127.0.0.1; the per-address sign-in budget has its own test.
    RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    ...env,
  })
  const ctx = createContext(config)
  const app = createApp(ctx).listen({ hostname: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${app.server!.port}`

  async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<TestResponse<T>> {
    const headers: Record<string, string> = { ...options.headers }
    if (options.token) headers.authorization = `Bearer ${options.token}`
    let body: BodyInit | undefined = options.raw
    if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers['content-type'] ??= 'application/json'
    }
    const response = await fetch(url + path, { method, headers, body, redirect: 'manual' })
    const text = await response.text()
    let parsed: unknown = text
    if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text)
    return { status: response.status, body: parsed as T, headers: response.headers }
  }

  const server: TestServer = {
    url,
    ctx,
    dataDir,
    request,
    async register(overrides = {}) {
      const n = ++counter
      const suffix = `${n}${Math.random().toString(36).slice(2, 7)}`
      const input = { email: `user${suffix}@example.com`, username: `user${suffix}`, displayName: `User ${n}`, password: 'correct horse battery', ...overrides }
      const response = await request<Omit<Session, 'password'>>('POST', '/auth/register', { body: input })
      if (response.status !== 201) throw new Error(`register failed: ${response.status} ${JSON.stringify(response.body)}`)
      return { ...response.body, password: input.password }
    },
    login(login, password) {
      return request('POST', '/auth/login', { body: { login, password } })
    },
    mailToken(to, kind) {
      const mail = ctx.mail.list({ limit: 200 }).find((m) => m.to === to && m.kind === kind)
      if (!mail) throw new Error(`no ${kind} mail to ${to}`)
      const match = /Token: (\S+)/.exec(mail.text)
      if (!match) throw new Error('mail has no token')
      return match[1]!
    },
    async stop() {
      await app.stop(true)
      await ctx.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
  return server
}

const lastStepUsed = new Map<string, number>()

/** The code of the current time step, for requests that are refused before the code is checked. */
export function currentTotp(secret: string): string {
  return totpAt(secret, Date.now())
}

/**
 * A code the server will accept now: the server refuses a time step it has seen, so each call moves
 * to the next unused step within the ±1 drift window, waiting for the clock when all three are used.
 */
export async function totpNow(secret: string): Promise<string> {
  let current = totpStep(Date.now())
  const step = Math.max(current, (lastStepUsed.get(secret) ?? -Infinity) + 1)
  while (step > current + 1) {
    await Bun.sleep(1000)
    current = totpStep(Date.now())
  }
  lastStepUsed.set(secret, step)
  return totpAt(secret, step * 30_000)
}

export function expectErrorShape(body: any, code?: string): void {
  if (!body || typeof body !== 'object' || !body.error || typeof body.error.code !== 'string' || typeof body.error.message !== 'string') {
    throw new Error(`not the error shape: ${JSON.stringify(body)}`)
  }
  if (code && body.error.code !== code) throw new Error(`expected error code ${code}, got ${body.error.code}: ${body.error.message}`)
}
