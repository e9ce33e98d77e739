/**
 * Realtime fan-out with persistence: one sender posting into a channel of 1,000 listening sockets,
 * at increasing rates, against the real API and an Express + Socket.IO baseline in the same run.
 *
 *   bun bench/ws-fanout.ts [--write] [--rates 25,50,100,200,400,800] [--duration 5] [--listeners 1000]
 *                          [--processes 4] [--idle 10000] [--api server/src/index.ts] [--pin] [--client raw|websocket]
 *
 * `--pin` puts the server on CPU 0 and every client (listeners, sender) on CPU 1 with taskset, so
 * the server's latency is not its queueing behind the load generator; it writes its own section.
 *
 * `--client websocket` has the listeners use Bun's WebSocket (one event and one string per frame)
 * instead of the raw TCP reader (bench/lib/raw-ws.ts), to see what the load generator itself costs.
 *
 * Listener sockets live in separate Bun processes (bench/lib/ws-listeners.ts); the send time rides
 * in the message text, so latency is send → receive across processes. See docs/BENCHMARKS.md.
 */
import { writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { openDatabase } from '../server/src/db/client'
import { seedChannel, seedMembers, seedUser, openShared, type Member } from './lib/chat-fixtures'
import { nowMs, percentile, sortedCopy } from './lib/latency'
import { LineWorker } from './lib/line-worker'
import { parleySender, socketIoSender, type Sender } from './lib/fanout-senders'
import { cleanup, cpuSeconds, freePort, rssMegabytes, startProcess, tempFolder, waitForHttp, type Started, runBench, type Abort } from './lib/processes'
import { describeMachine, describeRevision, fmt, markdownTable, writeSection } from './lib/report'
import { signAccessToken } from './lib/tokens'

const ROOT = resolve(import.meta.dir, '..')
const DOC = join(ROOT, 'docs/BENCHMARKS.md')
const TARGETS = { throughputRatio: 3, p99Ms: 50, p99AtRate: 100, idleRssMb: 500 }
const HIGH_LIMIT = '100000000'
const CONTENT_LENGTH = 120
// A step is saturated when fewer deliveries arrive than were due, or they trail the sender by this much.
const SATURATED_P50_MS = 1000
const DRAIN_MAX_MS = 20_000
const DRAIN_STALL_MS = 3000

const { values: args } = parseArgs({
  options: {
    write: { type: 'boolean', default: false },
    rates: { type: 'string', default: '25,50,100,200,400,800' },
    duration: { type: 'string', default: '5' },
    listeners: { type: 'string', default: '1000' },
    processes: { type: 'string', default: '4' },
    idle: { type: 'string', default: '10000' },
    api: { type: 'string', default: 'server/src/index.ts' },
    pin: { type: 'boolean', default: false },
    client: { type: 'string', default: 'raw' },
  },
})
const rates = args.rates!.split(',').map(Number)
const durationSeconds = Number(args.duration)
const listenerCount = Number(args.listeners)
const processCount = Number(args.processes)
const idleCount = Number(args.idle)
if (
  !rates.every((r) => r >= 1 && r <= 5000) || rates.length > 10 || !(durationSeconds >= 1 && durationSeconds <= 30) ||
  !(listenerCount >= 1 && listenerCount <= 5000) || !(processCount >= 1 && processCount <= 8) || !(idleCount === 0 || (idleCount > listenerCount && idleCount <= 15_000))
) {
  console.error('--rates: up to 10 of 1–5000; --duration 1–30 s; --listeners 1–5000; --processes 1–8; --idle 0 or more than --listeners, at most 15000')
  process.exit(2)
}

type ServerName = 'Parley' | 'Express + Socket.IO'

interface Step {
  server: ServerName
  rate: number
  sent: number
  acked: number
  expected: number
  delivered: number
  deliveredPerSecond: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  cpuMicrosPerDelivery: number | null
  saturated: boolean
}

interface Memory {
  server: ServerName
  sockets: number
  rssMb: number
  baseRssMb: number
}

interface Subject {
  name: ServerName
  url: string
  protocol: 'parley' | 'socketio'
  process: Started
  dataDir: string
  secret: string
  dbPath: string
  conversationId: string
  workspaceId: string
  sender: Sender
}

/** With --pin, the server gets CPU 0 to itself and the clients share CPU 1. */
const onServerCpu = (cmd: string[]) => (args.pin ? ['taskset', '-c', '0', ...cmd] : cmd)
const onClientCpu = (cmd: string[]) => (args.pin ? ['taskset', '-c', '1', ...cmd] : cmd)

function env(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...extra }
}

async function expectOk(what: string, pending: Promise<Response>): Promise<Response> {
  const response = await pending
  if (!response.ok) throw new Error(`${what} answered ${response.status}: ${(await response.text()).slice(0, 300)}`)
  return response
}

async function post<T>(url: string, path: string, body: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  const response = await expectOk(`POST ${path}`, fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }))
  return (await response.json()) as T
}

async function startParley(): Promise<Subject> {
  const port = await freePort()
  const dataDir = tempFolder('parley-bench-fanout-')
  const secret = crypto.randomUUID() + crypto.randomUUID()
  const started = startProcess(onServerCpu(['bun', resolve(args.api!)]), {
    cwd: ROOT,
    env: env({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      JWT_SECRET: secret,
      RATE_LIMIT_IP_PER_MINUTE: HIGH_LIMIT,
      RATE_LIMIT_USER_PER_MINUTE: HIGH_LIMIT,
      RATE_LIMIT_AUTH_PER_MINUTE: HIGH_LIMIT,
      LOGIN_MAX_FAILURES: HIGH_LIMIT,
      ACCESS_TOKEN_TTL_SECONDS: '3600',
    }),
  })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}/health`, started)
  const signedUp = await post<{ accessToken: string }>(url, '/auth/register', { email: 'sender@parley.test', username: 'sender', displayName: 'Sender', password: 'bench-password-1' })
  const workspace = await post<{ id: string }>(url, '/workspaces', { name: 'Bench' }, signedUp.accessToken)
  const channel = await post<{ id: string }>(url, '/conversations', { kind: 'channel', workspaceId: workspace.id, name: 'fanout' }, signedUp.accessToken)
  const sender = await parleySender(url, signedUp.accessToken)
  return { name: 'Parley', url, protocol: 'parley', process: started, dataDir, secret, dbPath: join(dataDir, 'parley.db'), conversationId: channel.id, workspaceId: workspace.id, sender }
}

async function startSocketIo(): Promise<Subject> {
  const port = await freePort()
  const dataDir = tempFolder('parley-bench-socketio-')
  const dbPath = join(dataDir, 'baseline.db')
  // The API's own migrations, so both servers write the same tables and indexes.
  openDatabase(dbPath).$client.close()
  const db = openShared(dbPath)
  const owner = seedUser(db, 'sender')
  const { workspaceId, conversationId } = seedChannel(db, owner.userId)
  db.close()
  const secret = crypto.randomUUID() + crypto.randomUUID()
  const started = startProcess(onServerCpu(['bun', join(ROOT, 'bench/baselines/socketio-server.ts')]), { cwd: ROOT, env: env({ PORT: String(port), DATABASE_PATH: dbPath, JWT_SECRET: secret }) })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}/health`, started)
  const sender = await socketIoSender(url, signAccessToken(secret, owner.userId, owner.sessionId))
  return { name: 'Express + Socket.IO', url, protocol: 'socketio', process: started, dataDir, secret, dbPath, conversationId, workspaceId, sender }
}

/** Seeds `count` members, mints their tokens and opens their sockets across listener processes. */
async function connectListeners(subject: Subject, count: number, tag: string, processes: number): Promise<LineWorker[]> {
  const db = openShared(subject.dbPath)
  const members: Member[] = seedMembers(db, { count, tag, workspaceId: subject.workspaceId, conversationId: subject.conversationId })
  db.close()
  const tokens = members.map((m) => signAccessToken(subject.secret, m.userId, m.sessionId))
  const workers: LineWorker[] = []
  for (let i = 0; i < processes; i++) {
    const file = join(subject.dataDir, `tokens-${tag}-${i}.json`)
    writeFileSync(file, JSON.stringify(tokens.filter((_, index) => index % processes === i)))
    workers.push(
      new LineWorker(onClientCpu(['bun', join(ROOT, 'bench/lib/ws-listeners.ts')]), {
        cwd: ROOT,
        env: env({ LISTEN_URL: subject.url.replace(/^http/, 'ws'), LISTEN_PROTOCOL: subject.protocol, TOKENS_FILE: file, LISTEN_CLIENT: args.client! }),
      }),
    )
  }
  const connected = await Promise.all(workers.map((w) => w.waitFor<{ ready: number; failed: number }>('connected', 150_000)))
  const ready = connected.reduce((sum, c) => sum + c.ready, 0)
  if (ready !== count) throw new Error(`${subject.name}: only ${ready} of ${count} listener sockets signed in: ${subject.process.stderrTail()}`)
  return workers
}

async function deliveredSoFar(workers: LineWorker[], phase: number): Promise<number> {
  const replies = await Promise.all(workers.map((w) => w.request<{ counts: Record<string, number> }>({ cmd: 'count' })))
  return replies.reduce((sum, r) => sum + (r.counts[phase] ?? 0), 0)
}

async function runStep(subject: Subject, workers: LineWorker[], listeners: number, rate: number, phase: number): Promise<Step> {
  const total = Math.round(rate * durationSeconds)
  const padding = 'x'.repeat(CONTENT_LENGTH)
  const ackedBefore = subject.sender.acked
  const cpuBefore = cpuSeconds(subject.process.child.pid)
  const start = nowMs()
  let sent = 0
  // Paced by the clock: every tick sends what is due by now, so a slow tick is caught up, not lost.
  while (sent < total && nowMs() - start < durationSeconds * 1000 + 2000) {
    const due = Math.min(total, Math.floor(((nowMs() - start) / 1000) * rate) + 1)
    while (sent < due) {
      const head = `bench:t=${nowMs().toFixed(3)}:p=${phase}:`
      subject.sender.send({ conversationId: subject.conversationId, clientMsgId: `p${phase}-${sent}`, content: head + padding.slice(head.length) })
      sent++
    }
    await Bun.sleep(1)
  }
  const expected = sent * listeners
  const drainDeadline = Date.now() + DRAIN_MAX_MS
  let delivered = 0
  let lastProgress = Date.now()
  while (Date.now() < drainDeadline && Date.now() - lastProgress < DRAIN_STALL_MS) {
    const now = await deliveredSoFar(workers, phase)
    if (now > delivered) lastProgress = Date.now()
    delivered = now
    if (delivered >= expected && subject.sender.acked - ackedBefore >= sent) break
    await Bun.sleep(100)
  }
  const cpuAfter = cpuSeconds(subject.process.child.pid)
  const taken = await Promise.all(workers.map((w) => w.request<{ count: number; lastMs: number; latencies: number[] }>({ cmd: 'take', phase }, 60_000)))
  delivered = taken.reduce((sum, t) => sum + t.count, 0)
  const latencies = sortedCopy(taken.flatMap((t) => t.latencies))
  const windowMs = Math.max(durationSeconds * 1000, Math.max(...taken.map((t) => t.lastMs)) - start)
  const p50Ms = percentile(latencies, 50)
  const step: Step = {
    server: subject.name,
    rate,
    sent,
    acked: subject.sender.acked - ackedBefore,
    expected,
    delivered,
    deliveredPerSecond: delivered / (windowMs / 1000),
    p50Ms,
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length ? latencies[latencies.length - 1]! : Number.NaN,
    cpuMicrosPerDelivery: cpuBefore !== null && cpuAfter !== null && delivered > 0 ? ((cpuAfter - cpuBefore) * 1e6) / delivered : null,
    saturated: delivered < expected || p50Ms > SATURATED_P50_MS || windowMs > durationSeconds * 1500,
  }
  if (subject.sender.failures.length > 0) throw new Error(`${subject.name}: the sender got errors: ${subject.sender.failures.slice(0, 3).join(' | ')}`)
  process.stderr.write(
    `  ${subject.name.padEnd(20)} ${String(rate).padStart(4)} msg/s  ${fmt.rps(step.deliveredPerSecond).padStart(9)} deliveries/s  p50 ${fmt.ms(step.p50Ms).padStart(5)} ms  p99 ${fmt.ms(step.p99Ms).padStart(5)} ms` +
      `  ${step.cpuMicrosPerDelivery === null ? '' : `${step.cpuMicrosPerDelivery.toFixed(2)} µs CPU/delivery`}${step.saturated ? `  saturated (${delivered}/${expected} delivered)` : ''}\n`,
  )
  return step
}

/** RSS a couple of seconds after the last socket connected, once connection churn has settled. */
async function settledRss(pid: number): Promise<number> {
  await Bun.sleep(2000)
  Bun.gc(true)
  return rssMegabytes(pid) ?? Number.NaN
}

async function measure(subject: Subject, steps: Step[], memory: Memory[]): Promise<void> {
  const baseRssMb = await settledRss(subject.process.child.pid)
  process.stderr.write(`${subject.name}: connecting ${listenerCount} listeners in ${processCount} processes…\n`)
  const workers = await connectListeners(subject, listenerCount, 'l', processCount)
  memory.push({ server: subject.name, sockets: listenerCount, rssMb: await settledRss(subject.process.child.pid), baseRssMb })
  for (const [index, rate] of rates.entries()) {
    const step = await runStep(subject, workers, listenerCount, rate, index + 1)
    steps.push(step)
    if (step.saturated) break
  }
  if (idleCount > 0) {
    process.stderr.write(`${subject.name}: connecting ${idleCount - listenerCount} more idle sockets…\n`)
    await connectListeners(subject, idleCount - listenerCount, 'i', processCount)
    memory.push({ server: subject.name, sockets: idleCount, rssMb: await settledRss(subject.process.child.pid), baseRssMb })
  }
  subject.sender.close()
}

async function main(abort: Abort): Promise<void> {
  if (args.pin) {
    if (!Bun.which('taskset') || availableParallelism() < 2) throw new Error('--pin needs taskset and at least 2 CPUs')
    Bun.spawnSync(['taskset', '-p', '-c', '1', String(process.pid)], { stdout: 'ignore' })
  }
  const machine = describeMachine(`listeners in ${processCount} Bun processes`)
  const stepBudget = (durationSeconds * 1000 + DRAIN_MAX_MS + 5000) * rates.length
  const budgetMs = 2 * (stepBudget + 2 * 150_000 + 30_000)
  setTimeout(() => void abort(`over the time budget of ${Math.round(budgetMs / 1000)} s`, 1), budgetMs).unref()
  process.stderr.write(`bench/ws-fanout: ${machine.cpus} CPUs (${machine.cpuModel}), Bun ${machine.bun}; ${listenerCount} listeners, rates ${rates.join('/')} msg/s for ${durationSeconds} s each\n`)
  const steps: Step[] = []
  const memory: Memory[] = []
  for (const start of [startParley, startSocketIo]) {
    const subject = await start()
    await measure(subject, steps, memory)
    await cleanup()
  }
  report(steps, memory, machine)
}

function report(steps: Step[], memory: Memory[], machine: ReturnType<typeof describeMachine>): void {
  const best = (server: ServerName) => Math.max(...steps.filter((s) => s.server === server).map((s) => s.deliveredPerSecond))
  const throughputRatio = best('Parley') / best('Express + Socket.IO')
  const atTarget = steps.find((s) => s.server === 'Parley' && s.rate === TARGETS.p99AtRate)
  const idle = memory.find((m) => m.server === 'Parley' && m.sockets === idleCount)
  const table = markdownTable(steps, [
    { title: 'Server', cell: (s) => s.server },
    { title: 'Sent msg/s', align: 'right', cell: (s) => String(s.rate) },
    { title: 'Deliveries', align: 'right', cell: (s) => `${fmt.rps(s.delivered)} / ${fmt.rps(s.expected)}` },
    { title: 'Delivered msg/s', align: 'right', cell: (s) => fmt.rps(s.deliveredPerSecond) },
    { title: 'p50 ms', align: 'right', cell: (s) => fmt.ms(s.p50Ms) },
    { title: 'p99 ms', align: 'right', cell: (s) => fmt.ms(s.p99Ms) },
    { title: 'max ms', align: 'right', cell: (s) => fmt.ms(s.maxMs) },
    { title: 'Server CPU µs/delivery', align: 'right', cell: (s) => (s.cpuMicrosPerDelivery === null ? '—' : s.cpuMicrosPerDelivery.toFixed(2)) },
    { title: '', cell: (s) => (s.saturated ? 'saturated' : '') },
  ])
  const memoryTable = markdownTable(memory, [
    { title: 'Server', cell: (m) => m.server },
    { title: 'Sockets', align: 'right', cell: (m) => fmt.rps(m.sockets) },
    { title: 'RSS MB', align: 'right', cell: (m) => m.rssMb.toFixed(0) },
    { title: 'RSS before sockets MB', align: 'right', cell: (m) => m.baseRssMb.toFixed(0) },
    { title: 'KB per socket', align: 'right', cell: (m) => (((m.rssMb - m.baseRssMb) * 1024) / m.sockets).toFixed(1) },
  ])
  const verdict = (met: boolean | undefined) => (met === undefined ? '**not measured**' : met ? '**met**' : '**not met**')
  const ratioMet = Number.isFinite(throughputRatio) ? throughputRatio >= TARGETS.throughputRatio : undefined
  const p99Met = atTarget ? atTarget.p99Ms < TARGETS.p99Ms && !atTarget.saturated : undefined
  const rssMet = idle ? idle.rssMb < TARGETS.idleRssMb : undefined
  const date = new Date().toISOString().slice(0, 10)
  const revision = describeRevision(ROOT)
  const section = [
    args.pin ? '### Realtime fan-out with the server on its own core: `bench/ws-fanout.ts --pin`' : '## Realtime fan-out: `bench/ws-fanout.ts`',
    '',
    `Measured ${date} at commit ${revision} on ${machine.cpus} CPUs (${machine.cpuModel}), Bun ${machine.bun}, all on loopback. ` +
      `One sender socket posts ${CONTENT_LENGTH}-character messages into one channel at each rate for ${durationSeconds} s; ${fmt.rps(listenerCount)} listening sockets in the same channel live in ${processCount} separate Bun processes reading ${args.client === 'raw' ? 'frames straight off TCP (`bench/lib/raw-ws.ts`)' : 'through Bun\'s WebSocket client'} (${machine.wrk.replace(/^listeners in /, '')}${args.pin ? ', pinned with the sender to CPU 1 while the server has CPU 0 to itself' : ' on the same 2 cores as the server'}). ` +
      'Every message is stored (SQLite, WAL, synchronous=NORMAL) before it is fanned out. Latency is send → receive per delivery; ' +
      '*delivered msg/s* is all deliveries divided by the time from the first send to the last delivery; *server CPU µs/delivery* is the server process\'s CPU (all threads) over the step divided by its deliveries. ' +
      `The ladder stops at the first saturated step (deliveries missing after a ${DRAIN_MAX_MS / 1000} s drain, p50 over ${SATURATED_P50_MS} ms, or deliveries trailing the sender by more than half the step). ` +
      'Baseline: `bench/baselines/socketio-server.ts`, Express 5 + Socket.IO 4 on Bun with bun:sqlite on the same schema and pragmas (token and session checked at the handshake, membership, clientMsgId dedupe, gap-free seq, insert and read mark in one immediate transaction, ack, emit to the room).',
    '',
    table,
    '',
    memoryTable,
    '',
    `- Throughput: Parley's best delivered msg/s is ${Number.isFinite(throughputRatio) ? `${throughputRatio.toFixed(2)}×` : 'n/a'} the baseline's (target ≥ ${TARGETS.throughputRatio}×): ${verdict(ratioMet)}.`,
    `- Latency: p99 at ${TARGETS.p99AtRate} msg/s into ${fmt.rps(listenerCount)} subscribers ${atTarget ? `${fmt.ms(atTarget.p99Ms)} ms` : 'not reached'} (target < ${TARGETS.p99Ms} ms): ${verdict(p99Met)}.`,
    idleCount > 0
      ? `- Memory: Parley RSS with ${fmt.rps(idleCount)} idle authenticated sockets ${idle ? `${idle.rssMb.toFixed(0)} MB` : 'not measured'} (target < ${TARGETS.idleRssMb} MB): ${verdict(rssMet)}.`
      : '- Memory: idle sockets not measured in this run (`--idle 0`).',
  ].join('\n')
  console.log(`\n${section}\n`)
  console.log(JSON.stringify({ bench: 'ws-fanout', date: new Date().toISOString(), machine, revision, settings: { rates, durationSeconds, listenerCount, processCount, idleCount, contentLength: CONTENT_LENGTH }, steps, memory, throughputRatio }))
  if (args.write) {
    writeSection(DOC, args.pin ? 'bench:ws-fanout-pinned' : 'bench:ws-fanout', section)
    process.stderr.write(`wrote the fan-out section of ${DOC}\n`)
  }
}

await runBench('ws-fanout', main)
