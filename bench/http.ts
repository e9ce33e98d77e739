/**
 * HTTP throughput of the real Parley API next to a bare `Bun.serve` in the same run (the ceiling).
 *
 *   bun bench/http.ts [--write] [--redis] [--duration 8] [--connections 32] [--repeat 1] [--api server/src/index.ts]
 *
 * --repeat N measures GET /users/me N times per variant (each run bracketed by baselines); the
 * verdict takes the median ratio.
 *
 * Shared machines are noisy, so figures are only ever reported as ratios against baseline runs
 * made in the same invocation, interleaved with the subject runs. See docs/BENCHMARKS.md.
 */
import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { cleanup, cpuSeconds, freePort, startProcess, startRedis, stopProcess, tempFolder, waitForHttp, type Started, runBench, type Abort } from './lib/processes'
import { describeMachine, describeRevision, fmt, markdownTable, writeSection } from './lib/report'
import { ensureWrk, runWrk, wrkVersion, type WrkResult } from './lib/wrk'

const ROOT = resolve(import.meta.dir, '..')
const DOC = join(ROOT, 'docs/BENCHMARKS.md')
const TARGET = { endpoint: 'GET /users/me', ratio: 0.4 }
const WARMUP_SECONDS = 2
// argon2id makes a login cost tens of milliseconds of CPU; more connections only queue behind it.
const LOGIN_CONNECTIONS = 4
const HIGH_LIMIT = '100000000'
const USER = { email: 'bench@parley.test', username: 'bench', displayName: 'Bench', password: 'bench-password-1' }

const { values: args } = parseArgs({
  options: {
    write: { type: 'boolean', default: false },
    redis: { type: 'boolean', default: false },
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '32' },
    repeat: { type: 'string', default: '1' },
    api: { type: 'string', default: 'server/src/index.ts' },
  },
})
const durationSeconds = Number(args.duration)
const connections = Number(args.connections)
const repeat = Number(args.repeat)
const apiEntry = resolve(args.api!)
if (!(durationSeconds >= 1 && durationSeconds <= 30) || !(connections >= 1 && connections <= 1000) || !(Number.isInteger(repeat) && repeat >= 1 && repeat <= 10)) {
  console.error('--duration must be 1–30 seconds, --connections 1–1000 and --repeat 1–10')
  process.exit(2)
}

interface Variant {
  name: string
  redisUrl: string | 'start' | null
}

interface Run {
  kind: 'baseline' | 'subject'
  endpoint: string
  variant: string
  connections: number
  result: WrkResult
  /** Server CPU time (all threads) per request served: steadier than requests/s on a noisy host. */
  cpuMicrosPerRequest: number | null
}

interface Api {
  url: string
  token: string
  loginScript: string
  process: Started
}

/** The variants to measure: embedded defaults, plus Redis when REDIS_URL is given or --redis asks for one. */
function variants(): Variant[] {
  const external = process.env.REDIS_URL?.trim()
  if (external) return [{ name: 'redis (REDIS_URL)', redisUrl: external }]
  return args.redis ? [{ name: 'embedded', redisUrl: null }, { name: 'redis', redisUrl: 'start' }] : [{ name: 'embedded', redisUrl: null }]
}

async function startBaseline(): Promise<{ url: string; process: Started }> {
  const port = await freePort()
  const started = startProcess(['bun', join(ROOT, 'bench/baselines/bare-bun.ts')], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', PORT: String(port) } })
  const url = `http://127.0.0.1:${port}/`
  await waitForHttp(url, started)
  return { url, process: started }
}

async function startApi(redisUrl: string | null): Promise<Api> {
  const port = await freePort()
  const dataDir = tempFolder('parley-bench-api-')
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dataDir,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    RATE_LIMIT_IP_PER_MINUTE: HIGH_LIMIT,
    RATE_LIMIT_USER_PER_MINUTE: HIGH_LIMIT,
    RATE_LIMIT_AUTH_PER_MINUTE: HIGH_LIMIT,
    LOGIN_MAX_FAILURES: HIGH_LIMIT,
    ACCESS_TOKEN_TTL_SECONDS: '3600',
    REDIS_PREFIX: `bench:${crypto.randomUUID()}:`,
  }
  if (redisUrl) env.REDIS_URL = redisUrl
  const started = startProcess(['bun', apiEntry], { cwd: ROOT, env })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}/health`, started)

  const token = await signUp(url)
  const loginScript = join(dataDir, 'login.lua')
  const body = JSON.stringify({ login: USER.username, password: USER.password })
  writeFileSync(loginScript, `wrk.method = "POST"\nwrk.body = '${body}'\nwrk.headers["Content-Type"] = "application/json"\n`)
  // Every loaded endpoint must answer 200 before it is measured: error responses are not throughput.
  await expectOk('GET /users/me', fetch(`${url}/users/me`, { headers: { authorization: `Bearer ${token}` } }))
  await expectOk('POST /auth/login', fetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }))
  return { url, token, loginScript, process: started }
}

async function signUp(url: string): Promise<string> {
  const response = await expectOk('POST /auth/register', fetch(`${url}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(USER) }))
  return ((await response.json()) as { accessToken: string }).accessToken
}

async function expectOk(what: string, pending: Promise<Response>): Promise<Response> {
  const response = await pending
  if (!response.ok) throw new Error(`${what} answered ${response.status}: ${(await response.text()).slice(0, 300)}`)
  return response
}

async function measure(kind: Run['kind'], endpoint: string, variant: string, serverPid: number, load: Parameters<typeof runWrk>[0]): Promise<Run> {
  process.stderr.write(`  ${endpoint.padEnd(20)} ${variant.padEnd(18)} `)
  await runWrk({ ...load, durationSeconds: WARMUP_SECONDS })
  const cpuBefore = cpuSeconds(serverPid)
  const result = await runWrk(load)
  const cpuAfter = cpuSeconds(serverPid)
  const cpuMicrosPerRequest = cpuBefore !== null && cpuAfter !== null && result.requests > 0 ? ((cpuAfter - cpuBefore) * 1e6) / result.requests : null
  process.stderr.write(`${fmt.rps(result.requestsPerSecond).padStart(8)} req/s  p99 ${fmt.ms(result.p99Ms).padStart(5)} ms  ${cpuMicrosPerRequest === null ? '' : `${fmt.micros(cpuMicrosPerRequest)} µs CPU/req`}\n`)
  if (result.non2xx > 0 || result.socketErrors > 0) {
    throw new Error(`${endpoint} (${variant}): ${result.non2xx} non-2xx responses and ${result.socketErrors} socket errors; the figures would be meaningless`)
  }
  return { kind, endpoint, variant, connections: load.connections, result, cpuMicrosPerRequest }
}

async function main(abort: Abort): Promise<void> {
  const wrk = await ensureWrk().then(() => wrkVersion())
  const machine = describeMachine(wrk)
  const plan = variants()
  const runCount = 1 + 2 * (2 + repeat + (1 + repeat) * (plan.length - 1))
  const budgetMs = runCount * (durationSeconds + WARMUP_SECONDS + 2) * 1000 + 60_000
  setTimeout(() => void abort(`over the time budget of ${Math.round(budgetMs / 1000)} s`, 1), budgetMs).unref()
  process.stderr.write(`bench/http: ${machine.cpus} CPUs (${machine.cpuModel}), Bun ${machine.bun}, ${wrk}; ${durationSeconds}s per run after ${WARMUP_SECONDS}s warm-up\n`)
  const loadBefore = loadavg()[0]!

  const baseline = await startBaseline()
  const load = { threads: 1, connections, durationSeconds }
  const bare = () => measure('baseline', 'bare Bun.serve', 'ceiling', baseline.process.child.pid, { ...load, url: baseline.url })
  const runs: Run[] = [await bare()]
  // Every subject run is followed by a baseline run, so each one is bracketed by two ceilings
  // measured seconds before and after it: drift on a shared host hits both sides alike.
  const subject = async (api: Api, endpoint: string, variant: string, options: Omit<Parameters<typeof runWrk>[0], 'threads' | 'durationSeconds' | 'connections'> & { connections?: number }) => {
    runs.push(await measure('subject', endpoint, variant, api.process.child.pid, { ...load, ...options }))
    runs.push(await bare())
  }

  for (const [index, variant] of plan.entries()) {
    const redisUrl = variant.redisUrl === 'start' ? await startRedis() : variant.redisUrl
    const api = await startApi(redisUrl)
    // /health skips the rate limiter, so it measures the same code in every variant: once is enough.
    if (index === 0) await subject(api, 'GET /health', variant.name, { url: `${api.url}/health` })
    for (let i = 0; i < repeat; i++) await subject(api, 'GET /users/me', variant.name, { url: `${api.url}/users/me`, headers: { Authorization: `Bearer ${api.token}` } })
    await subject(api, 'POST /auth/login', variant.name, { url: `${api.url}/auth/login`, connections: LOGIN_CONNECTIONS, scriptPath: api.loginScript })
    await stopProcess(api.process.child)
  }
  await cleanup()
  report(runs, machine, { before: loadBefore, after: loadavg()[0]! })
}

/** The baseline runs just before and just after a subject run. */
function bracketing(runs: Run[], index: number): Run[] {
  const before = runs.slice(0, index).findLast((r) => r.kind === 'baseline')
  const after = runs.slice(index + 1).find((r) => r.kind === 'baseline')
  return [before, after].filter((r): r is Run => r !== undefined)
}

/** A subject's ceiling: the mean requests/s of its bracketing baselines. */
function bracketingCeiling(runs: Run[], index: number): number {
  const sides = bracketing(runs, index)
  return sides.reduce((sum, r) => sum + r.result.requestsPerSecond, 0) / sides.length
}

/**
 * Server CPU per request of the bracketing baselines divided by the subject's: what the requests/s
 * ratio would be if the server's core were the only limit. Steadier than requests/s when other
 * processes compete for the cores (wrk's share and the scheduler's choices move requests/s more).
 */
function cpuRatio(runs: Run[], index: number): number | null {
  const subject = runs[index]!.cpuMicrosPerRequest
  const sides = bracketing(runs, index).map((r) => r.cpuMicrosPerRequest)
  if (subject === null || sides.some((v) => v === null)) return null
  return sides.reduce((sum: number, v) => sum + v!, 0) / sides.length / subject
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

function report(runs: Run[], machine: ReturnType<typeof describeMachine>, load: { before: number; after: number }): void {
  const baselines = runs.filter((r) => r.kind === 'baseline').map((r) => r.result.requestsPerSecond)
  const ceiling = baselines.reduce((a, b) => a + b, 0) / baselines.length
  const ratios = new Map(runs.map((r, i) => [r, r.kind === 'subject' ? r.result.requestsPerSecond / bracketingCeiling(runs, i) : null]))
  const ratio = (run: Run) => ratios.get(run) ?? 1
  const cpuRatios = new Map(runs.map((r, i) => [r, r.kind === 'subject' ? cpuRatio(runs, i) : null]))
  const table = markdownTable(runs, [
    { title: 'Endpoint', cell: (r) => (r.kind === 'baseline' ? `${r.endpoint} (baseline)` : `\`${r.endpoint}\``) },
    { title: 'Variant', cell: (r) => r.variant },
    { title: 'Conns', align: 'right', cell: (r) => String(r.connections) },
    { title: 'Req/s', align: 'right', cell: (r) => fmt.rps(r.result.requestsPerSecond) },
    { title: 'p50 ms', align: 'right', cell: (r) => fmt.ms(r.result.p50Ms) },
    { title: 'p99 ms', align: 'right', cell: (r) => fmt.ms(r.result.p99Ms) },
    { title: 'vs bare Bun', align: 'right', cell: (r) => (r.kind === 'baseline' ? '—' : fmt.pct(ratio(r))) },
    { title: 'CPU µs/req', align: 'right', cell: (r) => (r.cpuMicrosPerRequest === null ? '—' : fmt.micros(r.cpuMicrosPerRequest)) },
    { title: 'CPU vs bare', align: 'right', cell: (r) => (cpuRatios.get(r) == null ? '—' : fmt.pct(cpuRatios.get(r)!)) },
  ])
  const targetRuns = runs.filter((r) => r.kind === 'subject' && r.endpoint === TARGET.endpoint && r.variant === runs.find((s) => s.endpoint === TARGET.endpoint)!.variant)
  const target = targetRuns[0]!
  const measured = median(targetRuns.map(ratio))
  const cpuMeasured = targetRuns.every((r) => cpuRatios.get(r) != null) ? median(targetRuns.map((r) => cpuRatios.get(r)!)) : null
  const met = measured >= TARGET.ratio
  const date = new Date().toISOString().slice(0, 10)
  const revision = describeRevision(ROOT)
  const runsNote = targetRuns.length > 1 ? ` (median of ${targetRuns.length} runs: ${targetRuns.map((r) => fmt.pct(ratio(r))).join(', ')})` : ''
  const verdict =
    `Target: \`${TARGET.endpoint}\` (${target.variant}) at ≥ ${fmt.pct(TARGET.ratio)} of bare Bun's requests/s — measured ${fmt.pct(measured)}${runsNote}: **${met ? 'met' : 'not met'}**.` +
    (cpuMeasured === null ? '' : ` By server CPU per request: ${fmt.pct(cpuMeasured)}.`)
  const section = [
    '## HTTP: `bench/http.ts`',
    '',
    `Measured ${date} at commit ${revision} on ${machine.cpus} CPUs (${machine.cpuModel}), Bun ${machine.bun}, ${machine.wrk}. ` +
      `wrk \`-t1 -c${connections} -d${durationSeconds}s --latency\` after a ${WARMUP_SECONDS} s warm-up per run (login: \`-c${LOGIN_CONNECTIONS}\`), ` +
      `all on loopback. Each ratio divides a run's requests/s by the mean of the two bare \`Bun.serve\` runs just before and after it; ` +
      `the ${baselines.length} baseline runs averaged ${fmt.rps(ceiling)} req/s (slowest ${fmt.rps(Math.min(...baselines))}, fastest ${fmt.rps(Math.max(...baselines))}).` +
      (args.api === 'server/src/index.ts' ? '' : ` API entry: \`${args.api}\`.`) +
      ' *embedded*: no Redis, rate limits counted in memory' +
      (runs.some((r) => r.variant.startsWith('redis')) ? '; *redis*: REDIS_URL set, so rate limits and the login throttle go through Redis.' : '.') +
      ` Host load average (1 min, ${machine.cpus} CPUs): ${load.before.toFixed(1)} at the start, ${load.after.toFixed(1)} at the end.`,
    '',
    table,
    '',
    verdict,
  ].join('\n')

  console.log(`\n${section}\n`)
  console.log(
    JSON.stringify({
      bench: 'http',
      date: new Date().toISOString(),
      machine,
      revision,
      settings: { threads: 1, connections, loginConnections: LOGIN_CONNECTIONS, durationSeconds, warmupSeconds: WARMUP_SECONDS, repeat, api: args.api },
      baselineMeanRps: Math.round(ceiling),
      loadAverage: { before: load.before, after: load.after },
      results: runs.map((r) => ({ kind: r.kind, endpoint: r.endpoint, variant: r.variant, connections: r.connections, ...r.result, cpuMicrosPerRequest: r.cpuMicrosPerRequest === null ? null : Math.round(r.cpuMicrosPerRequest * 10) / 10, ratio: r.kind === 'subject' ? Number(ratio(r).toFixed(4)) : null, cpuRatio: cpuRatios.get(r) == null ? null : Number(cpuRatios.get(r)!.toFixed(4)) })),
      target: { endpoint: TARGET.endpoint, ratio: TARGET.ratio, measured: Number(measured.toFixed(4)), cpuMeasured: cpuMeasured === null ? null : Number(cpuMeasured.toFixed(4)), met },
    }),
  )
  if (args.write) {
    writeSection(DOC, 'bench:http', section)
    process.stderr.write(`wrote the HTTP section of ${DOC}\n`)
  }
}

await runBench('http', main)
