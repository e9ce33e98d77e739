// Runs the whole stack in one terminal: Redis (unless one is given or already running), the API,
// the worker and the media server, with prefixed output, restarts, and one clean Ctrl-C.
// Started by `npm run up` (scripts/bootstrap.mjs) and by the Docker image; Bun has already loaded `.env`.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Subprocess } from 'bun'
import { bold, log, logError, paint } from './lib/output'
import { probeRedis } from './lib/redis-probe'
import { SupervisedProcess, type ProcessDefinition } from './lib/supervised-process'

const ROOT = resolve(import.meta.dir, '..')

/** The stack's processes; one whose entry file does not exist yet is skipped with a log line. */
const PROCESSES: Array<{ name: string; entry: string }> = [
  { name: 'api', entry: 'server/src/index.ts' },
  { name: 'worker', entry: 'worker/src/index.ts' },
  { name: 'media', entry: 'media/src/index.ts' },
]

const DEFAULT_REDIS = { host: '127.0.0.1', port: 6379 }
const STOP_TIMEOUT_MS = 15_000
const REDIS_STOP_TIMEOUT_MS = 5_000
const REDIS_START_TIMEOUT_MS = 10_000

process.chdir(ROOT)

const running: SupervisedProcess[] = []
let redis: SupervisedProcess | null = null
let shuttingDown: Promise<never> | null = null
const prefixWidth = Math.max('redis'.length, ...PROCESSES.map((p) => p.name.length))

function shutdown(exitCode: number, reason?: string): Promise<never> {
  shuttingDown ??= (async () => {
    if (reason) logError(reason)
    log(exitCode === 0 ? 'stopping…' : 'stopping everything…')
    const deadline = Date.now() + STOP_TIMEOUT_MS
    await Promise.all(running.map((p) => p.stop(deadline)))
    // Last, so the others can finish their Redis work while they shut down.
    if (redis) await redis.stop(Date.now() + REDIS_STOP_TIMEOUT_MS)
    log(exitCode === 0 ? 'stopped' : 'stopped (failed)')
    process.exit(exitCode)
  })()
  return shuttingDown
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  // @NOTE: a terminal Ctrl-C arrives here more than once (from the tty and forwarded by npm and bootstrap); shutdown() is idempotent.
  process.on(signal, () => void shutdown(0))
}

function makeProcess(definition: ProcessDefinition, env: Record<string, string | undefined>, onStart?: (child: Subprocess) => void) {
  return new SupervisedProcess(definition, { cwd: ROOT, env, prefixWidth }, { onFatal: (reason) => void shutdown(1, reason), onStart })
}

/** Redacts a password, so the URL can be printed. */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString().replace(/\/$/, '')
  } catch {
    return '(unparsable URL)'
  }
}

/** REDIS_URL if set, else a Redis already on 127.0.0.1:6379, else one we start and own. */
async function resolveRedis(env: Record<string, string | undefined>): Promise<string> {
  const given = process.env.REDIS_URL?.trim()
  if (given) {
    log(`using Redis at ${safeUrl(given)} (REDIS_URL)`)
    return given
  }
  const { host, port } = DEFAULT_REDIS
  const url = `redis://${host}:${port}`
  const probe = await probeRedis(host, port)
  if (probe === 'pong') {
    log(`using the Redis already running at ${url} (it is left running on exit)`)
    return url
  }
  if (probe === 'auth-required') return shutdown(1, `the Redis at ${url} needs a password: set REDIS_URL=redis://:PASSWORD@${host}:${port} in .env`)
  if (probe === 'not-redis') return shutdown(1, `port ${port} is taken by something that is not Redis: stop it, or set REDIS_URL in .env`)

  const dir = join(resolve(process.env.DATA_DIR?.trim() || './data'), 'redis')
  mkdirSync(dir, { recursive: true })
  log(`starting redis-server on ${url} (data in ${dir})`)
  redis = makeProcess(
    {
      name: 'redis',
      cmd: ['redis-server', '--port', String(port), '--bind', host, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir, '--loglevel', 'warning'],
      detached: true,
    },
    env,
  )
  redis.start()
  const deadline = Date.now() + REDIS_START_TIMEOUT_MS
  while ((await probeRedis(host, port, 500)) !== 'pong') {
    if (shuttingDown) return shuttingDown
    if (Date.now() > deadline) return shutdown(1, `redis-server did not answer on ${url} within ${REDIS_START_TIMEOUT_MS / 1000} s`)
    await Bun.sleep(100)
  }
  return url
}

/** Where the supervisor itself can reach the API, or null when PORT is unusable (the api will say why). */
function healthUrl(): string | null {
  const port = process.env.PORT?.trim() || '3000'
  if (!/^\d+$/.test(port) || Number(port) === 0 || Number(port) > 65535) return null
  const host = process.env.HOST?.trim() || '0.0.0.0'
  const target = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host
  return `http://${target}:${port}/health`
}

let bannerShown = false

function printBanner(): void {
  const port = process.env.PORT?.trim() || '3000'
  const publicUrl = (process.env.PUBLIC_URL?.trim() || `http://localhost:${port}`).replace(/\/$/, '')
  const rule = paint('─'.repeat(60), 90)
  process.stdout.write(
    [
      '',
      rule,
      `  ${bold('Parley is running')}`,
      `  open      ${bold(publicUrl)}`,
      `  API docs  ${publicUrl}/swagger`,
      '  press Ctrl-C to stop',
      rule,
      '',
    ].join('\n') + '\n',
  )
}

/** Polls /health while this api child lives; the first success prints the banner. */
async function announceWhenHealthy(child: Subprocess): Promise<void> {
  const url = healthUrl()
  if (!url) return
  while (!shuttingDown && child.exitCode === null && child.signalCode === null) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) })
      if (response.ok) {
        if (bannerShown) log('api is healthy again')
        else printBanner()
        bannerShown = true
        return
      }
    } catch {
      // @NOTE: not listening yet; try again shortly.
    }
    await Bun.sleep(250)
  }
}

/**
 * The API ⇄ media channel works out of the box: one MEDIA_SECRET shared by both (generated per run
 * unless .env sets one) and the API's MEDIA_URL pointing at the media process this supervisor starts.
 */
function mediaLink(env: Record<string, string | undefined>): { MEDIA_SECRET: string; MEDIA_URL: string } {
  const secret = env.MEDIA_SECRET?.trim() || randomBytes(24).toString('hex')
  const host = env.MEDIA_HOST?.trim() || '127.0.0.1'
  const target = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host
  return { MEDIA_SECRET: secret, MEDIA_URL: env.MEDIA_URL?.trim() || `ws://${target}:${env.MEDIA_PORT?.trim() || '4000'}` }
}

async function main(): Promise<void> {
  const baseEnv: Record<string, string | undefined> = { ...process.env }
  const redisUrl = await resolveRedis(baseEnv)
  const env = { ...baseEnv, REDIS_URL: redisUrl, ...mediaLink(baseEnv) }
  for (const { name, entry } of PROCESSES) {
    if (shuttingDown) return
    if (!existsSync(join(ROOT, entry))) {
      log(`${name}: ${entry} does not exist yet; skipping`)
      continue
    }
    const onStart = name === 'api' ? (child: Subprocess) => void announceWhenHealthy(child) : undefined
    const supervised = makeProcess({ name, cmd: [process.execPath, entry] }, env, onStart)
    running.push(supervised)
    supervised.start()
  }
  if (running.length === 0) await shutdown(1, 'nothing to run')
}

process.on('uncaughtException', (error) => void shutdown(1, `supervisor error: ${error.stack ?? error.message}`))
await main()
