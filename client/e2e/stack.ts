// The real stack the browser tests drive: a redis-server, the media process and `bun server/src/index.ts` serving the built client.
// Runs inside the Playwright runner (Node), so it uses node:child_process rather than Bun's APIs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')
/** Where the API's URL reaches the test workers, which inherit the runner's environment. */
export const URL_ENV = 'PARLEY_E2E_URL'
/** The API's signing secret in the browser tests, so a test can mint an already-expired access token. */
export const E2E_JWT_SECRET = 'e2e-only-signing-secret-0123456789abcdef'

interface Stack {
  children: ChildProcess[]
  dirs: string[]
}

// On globalThis: the setup and teardown modules may be loaded as separate module instances.
const state = globalThis as typeof globalThis & { parleyE2eStack?: Stack }

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolvePort(port))
    })
  })
}

async function waitUntil(probe: () => Promise<boolean>, child: ChildProcess, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited early (${child.exitCode ?? child.signalCode})`)
    if (await probe()) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((done) => setTimeout(done, 50))
  }
}

function tcpOpen(port: number): Promise<boolean> {
  return new Promise((answer) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.end()
      answer(true)
    })
    socket.once('error', () => answer(false))
  })
}

/** Kills whatever is still running, at once; safe to call more than once and from an `exit` handler. */
function killAll(stack: Stack): void {
  for (const child of stack.children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  for (const dir of stack.dirs) rmSync(dir, { recursive: true, force: true })
  stack.dirs = []
}

function ensureClientBuilt(): void {
  if (existsSync(join(ROOT, 'client', 'dist', 'index.html'))) return
  const result = spawnSync('bun', ['run', 'build:client'], { cwd: ROOT, stdio: 'inherit' })
  if (result.status !== 0) throw new Error('bun run build:client failed')
}

export async function startStack(): Promise<string> {
  ensureClientBuilt()
  const stack: Stack = { children: [], dirs: [] }
  state.parleyE2eStack = stack
  process.on('exit', () => killAll(stack))
  // The runner handles SIGINT (and then runs the teardown); other termination signals would skip `exit` handlers.
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll(stack)
      process.exit(signal === 'SIGTERM' ? 143 : 129)
    })
  }

  let redisUrl = process.env.TEST_REDIS_URL
  if (!redisUrl) {
    const port = await freePort()
    const dir = mkdtempSync(join(tmpdir(), 'parley-e2e-redis-'))
    stack.dirs.push(dir)
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'ignore', 'inherit'] })
    stack.children.push(redis)
    await waitUntil(() => tcpOpen(port), redis, `redis-server on port ${port}`)
    redisUrl = `redis://127.0.0.1:${port}`
  }

  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-e2e-data-'))
  stack.dirs.push(dataDir)
  const media = await startMedia(stack, dataDir)
  // Only what is listed reaches the API (no inherited variables, no .env file), like a deployment would configure it.
  const env: Record<string, string> = {
    ...Object.fromEntries(['PATH', 'HOME', 'TMPDIR'].flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : []))),
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: url,
    DATA_DIR: dataDir,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: `e2e:${process.pid}:${Date.now()}:`,
    LOG_LEVEL: 'warn',
    JWT_SECRET: E2E_JWT_SECRET,
    // Every browser and helper request comes from 127.0.0.1; the sign-in budget has its own integration test.
    RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    // Tests seed long conversations over REST from one address and one user; the limits have their own tests.
    RATE_LIMIT_IP_PER_MINUTE: '1000000',
    RATE_LIMIT_USER_PER_MINUTE: '1000000',
    CLIENT_DIST_DIR: join(ROOT, 'client', 'dist'),
    MEDIA_URL: media.url,
    MEDIA_SECRET: media.secret,
  }
  const api = spawn('bun', ['--no-env-file', 'server/src/index.ts'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] })
  stack.children.push(api)
  const healthy = () => fetch(`${url}/health`).then((response) => response.ok, () => false)
  await waitUntil(healthy, api, `the API on ${url}/health`)
  // The worker fleet, as `npm run up` runs it: exports, media processing, transcription, pushes, mail.
  const worker = spawn('bun', ['--no-env-file', 'worker/src/index.ts'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] })
  stack.children.push(worker)
  process.env[URL_ENV] = url
  return url
}

/** The media process (mediasoup SFU) the API relays call signaling to; one worker is plenty for three browsers. */
async function startMedia(stack: Stack, dataDir: string): Promise<{ url: string; secret: string }> {
  const port = await freePort()
  const secret = randomBytes(24).toString('hex')
  const env: Record<string, string> = {
    ...Object.fromEntries(['PATH', 'HOME', 'TMPDIR'].flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : []))),
    MEDIA_HOST: '127.0.0.1',
    MEDIA_PORT: String(port),
    MEDIA_SECRET: secret,
    MEDIA_WORKERS: '1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
  }
  const media = spawn('bun', ['--no-env-file', 'media/src/index.ts'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] })
  stack.children.push(media)
  await waitUntil(() => fetch(`http://127.0.0.1:${port}/health`).then((response) => response.ok, () => false), media, `the media process on port ${port}`)
  return { url: `ws://127.0.0.1:${port}`, secret }
}

/** Stops the API gracefully (SIGTERM), then redis; removes the temporary directories. */
export async function stopStack(): Promise<void> {
  const stack = state.parleyE2eStack
  if (!stack) return
  for (const child of [...stack.children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue
    const exited = new Promise((done) => child.once('exit', done))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
  killAll(stack)
  state.parleyE2eStack = undefined
}
