/**
 * History paging and message search over one conversation of 1,000,000 messages.
 *
 *   bun bench/history.ts [--write] [--messages 1000000] [--requests 2000] [--api server/src/index.ts]
 *
 * Each endpoint is measured one request at a time (latency, not throughput) next to two baselines
 * from the same run: a bare `Bun.serve` answering a constant page of the same bytes (what HTTP and
 * the client cost), and the same service call made in-process (what the SQL and mapping cost).
 * Absolute figures are what the targets name; the ratios say how much of it is ours. See docs/BENCHMARKS.md.
 */
import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { openDatabase } from '../server/src/db/client'
import { openShared } from './lib/chat-fixtures'
import { percentile, sortedCopy } from './lib/latency'
import { cleanup, cpuSeconds, freePort, startProcess, stopProcess, tempFolder, waitForHttp, type Started, runBench, type Abort } from './lib/processes'
import { describeMachine, describeRevision, fmt, markdownTable, writeSection } from './lib/report'

const ROOT = resolve(import.meta.dir, '..')
const DOC = join(ROOT, 'docs/BENCHMARKS.md')
const TARGETS = { pageP99Ms: 5, searchP95Ms: 30 }
const HIGH_LIMIT = '100000000'
const BATCH = 50_000
const WARMUP_REQUESTS = 200

const { values: args } = parseArgs({
  options: {
    write: { type: 'boolean', default: false },
    messages: { type: 'string', default: '1000000' },
    requests: { type: 'string', default: '2000' },
    api: { type: 'string', default: 'server/src/index.ts' },
  },
})
const messageCount = Number(args.messages)
const requestCount = Number(args.requests)
if (!(messageCount >= 1000 && messageCount <= 5_000_000) || !(requestCount >= 100 && requestCount <= 20_000)) {
  console.error('--messages must be 1,000–5,000,000 and --requests 100–20,000')
  process.exit(2)
}

/**
 * Search probes with known frequencies, planted while generating the text: how many messages a
 * query matches is what decides an FTS query's cost (every match is ranked before the top 20 are kept).
 */
const PROBES = [
  { q: 'quasar', share: 0.0001, label: 'rare word (0.01% of messages)' },
  { q: 'invoice', share: 0.005, label: 'uncommon word (0.5%)' },
  { q: '"release notes"', share: 0.001, label: 'phrase (0.1%)' },
  { q: 'deploy', share: 0.05, label: 'common word (5%)' },
] as const

/**
 * In-process only, beside the phrase probe: the same phrase with its words also given unquoted, so
 * the index must match every word of it (the plan before phrases were narrowed to their rarest word).
 */
const PHRASE_ALL_WORDS = 'release notes "release notes"'

interface Series {
  name: string
  kind: 'subject' | 'http baseline' | 'in-process'
  latencies: Float64Array
  cpuMicrosPerRequest: number | null
}

/** A deterministic PRNG (mulberry32), so every run indexes the same text. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Chat-like lines of 6–14 pseudo-words from a 3,000-word vocabulary, with the probes planted at their shares. */
function textGenerator(): (index: number) => string {
  const next = random(42)
  const syllables = ['ka', 'lo', 'mi', 'ra', 'te', 'su', 'no', 'vi', 'da', 'pe', 'ru', 'sho', 'gen', 'tal', 'mor', 'bi', 'fa', 'zu']
  const vocabulary = Array.from({ length: 3000 }, () => Array.from({ length: 2 + Math.floor(next() * 3) }, () => syllables[Math.floor(next() * syllables.length)]).join(''))
  return () => {
    const words = Array.from({ length: 6 + Math.floor(next() * 9) }, () => vocabulary[Math.floor(next() * vocabulary.length)]!)
    for (const probe of PROBES) if (next() < probe.share) words.splice(Math.floor(next() * words.length), 0, probe.q.replaceAll('"', ''))
    return words.join(' ')
  }
}

async function expectOk(what: string, pending: Promise<Response>): Promise<Response> {
  const response = await pending
  if (!response.ok) throw new Error(`${what} answered ${response.status}: ${(await response.text()).slice(0, 300)}`)
  return response
}

async function post<T>(url: string, path: string, body: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (token) headers.authorization = `Bearer ${token}`
  return (await (await expectOk(`POST ${path}`, fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) }))).json()) as T
}

function fill(dbPath: string, conversationId: string, senderId: string): void {
  const db = openShared(dbPath)
  const text = textGenerator()
  const insert = db.prepare(`insert into messages (id, conversation_id, seq, sender_id, type, content, created_at) values (?, ?, ?, ?, 'text', ?, ?)`)
  const started = Date.now()
  // About one message every 30 s, ending now.
  const firstAt = Date.now() - messageCount * 30_000
  for (let from = 1; from <= messageCount; from += BATCH) {
    db.transaction(() => {
      for (let seq = from; seq < from + BATCH && seq <= messageCount; seq++) insert.run(Bun.randomUUIDv7(), conversationId, seq, senderId, text(seq), firstAt + seq * 30_000)
    })()
    process.stderr.write(`\r  inserted ${fmt.rps(Math.min(messageCount, from + BATCH - 1))} messages (${((Date.now() - started) / 1000).toFixed(0)} s)`)
  }
  db.prepare('update conversations set last_seq = ?, last_message_at = ? where id = ?').run(messageCount, Date.now(), conversationId)
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
  db.close()
  process.stderr.write('\n')
}

/** One request at a time for `count` requests after a warm-up; every answer must be 200. */
async function timeHttp(name: string, kind: Series['kind'], pid: number, url: () => string, headers: Record<string, string>, count: number): Promise<Series> {
  const once = async () => {
    const started = performance.now()
    const response = await fetch(url(), { headers })
    const body = await response.arrayBuffer()
    if (response.status !== 200) throw new Error(`${name}: answered ${response.status}: ${new TextDecoder().decode(body).slice(0, 300)}`)
    return performance.now() - started
  }
  for (let i = 0; i < Math.min(WARMUP_REQUESTS, count); i++) await once()
  const latencies: number[] = []
  const cpuBefore = cpuSeconds(pid)
  for (let i = 0; i < count; i++) latencies.push(await once())
  const cpuAfter = cpuSeconds(pid)
  const series: Series = { name, kind, latencies: sortedCopy(latencies), cpuMicrosPerRequest: cpuBefore !== null && cpuAfter !== null ? ((cpuAfter - cpuBefore) * 1e6) / count : null }
  process.stderr.write(`  ${name.padEnd(52)} p50 ${fmt.ms(percentile(series.latencies, 50)).padStart(5)} ms  p95 ${fmt.ms(percentile(series.latencies, 95)).padStart(5)} ms  p99 ${fmt.ms(percentile(series.latencies, 99)).padStart(5)} ms\n`)
  return series
}

function timeInProcess(name: string, run: () => unknown, count: number): Series {
  for (let i = 0; i < Math.min(WARMUP_REQUESTS, count); i++) run()
  const latencies: number[] = []
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    run()
    latencies.push(performance.now() - started)
  }
  const series: Series = { name, kind: 'in-process', latencies: sortedCopy(latencies), cpuMicrosPerRequest: null }
  process.stderr.write(`  ${name.padEnd(52)} p50 ${fmt.ms(percentile(series.latencies, 50)).padStart(5)} ms  p95 ${fmt.ms(percentile(series.latencies, 95)).padStart(5)} ms  p99 ${fmt.ms(percentile(series.latencies, 99)).padStart(5)} ms\n`)
  return series
}

async function startStatic(dir: string, body: string): Promise<{ url: string; process: Started }> {
  const file = join(dir, `page-${crypto.randomUUID()}.json`)
  writeFileSync(file, body)
  const port = await freePort()
  const started = startProcess(['bun', join(ROOT, 'bench/baselines/static-json.ts')], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', PORT: String(port), BODY_FILE: file } })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(url, started)
  return { url, process: started }
}

/** The machine is shared: the 1-minute load average at the start and end says how busy it was. */
const loads: number[] = []

async function main(abort: Abort): Promise<void> {
  loads.push(loadavg()[0]!)
  const machine = describeMachine('')
  setTimeout(() => void abort('over the time budget of 30 minutes', 1), 30 * 60_000).unref()
  process.stderr.write(`bench/history: ${machine.cpus} CPUs (${machine.cpuModel}), Bun ${machine.bun}; ${fmt.rps(messageCount)} messages, ${requestCount} requests per series\n`)

  const port = await freePort()
  const dataDir = tempFolder('parley-bench-history-')
  const apiEnv = {
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
  }
  const url = `http://127.0.0.1:${port}`
  let api = startProcess(['bun', resolve(args.api!)], { cwd: ROOT, env: apiEnv })
  await waitForHttp(`${url}/health`, api)
  const signedUp = await post<{ accessToken: string; user: { id: string } }>(url, '/auth/register', { email: 'reader@parley.test', username: 'reader', displayName: 'Reader', password: 'bench-password-1' })
  const token = signedUp.accessToken
  const workspace = await post<{ id: string }>(url, '/workspaces', { name: 'Bench' }, token)
  const channel = await post<{ id: string }>(url, '/conversations', { kind: 'channel', workspaceId: workspace.id, name: 'history' }, token)
  // Filled with the API stopped, as a restore or an import would be; it starts again on the full database.
  await stopProcess(api.child)
  const dbPath = join(dataDir, 'parley.db')
  fill(dbPath, channel.id, signedUp.user.id)
  api = startProcess(['bun', resolve(args.api!)], { cwd: ROOT, env: apiEnv })
  await waitForHttp(`${url}/health`, api)
  const auth = { authorization: `Bearer ${token}` }

  const seqs = (() => {
    const next = random(7)
    return () => 51 + Math.floor(next() * (messageCount - 50))
  })()
  const pageUrl = () => `${url}/conversations/${channel.id}/messages?before=${seqs()}`
  const samplePage = await (await expectOk('GET messages page', fetch(pageUrl(), { headers: auth }))).text()
  const pageStatic = await startStatic(dataDir, samplePage)

  const series: Series[] = []
  const staticPage = () => timeHttp('bare Bun.serve, constant page of the same bytes', 'http baseline', pageStatic.process.child.pid, () => `${pageStatic.url}/?before=${seqs()}`, auth, requestCount)
  series.push(await staticPage())
  series.push(await timeHttp('`GET /conversations/:id/messages?before=<random>`', 'subject', api.child.pid, pageUrl, auth, requestCount))
  series.push(await staticPage())

  // The same service calls in this process: the SQL and the mapping, without HTTP, auth or JSON.
  const db = openDatabase(dbPath, { migrate: false })
  try {
    const { MessageService } = await import('../server/src/features/messages/service')
    const { ConversationAccess } = await import('../server/src/features/conversations/access')
    const silent = { toConversation() {}, toUser() {}, membershipChanged() {} }
    const service = new MessageService(db, new ConversationAccess(db), silent)
    series.push(timeInProcess('same page, `MessageService.page` in-process', () => service.page(signedUp.user.id, channel.id, { before: seqs() }), requestCount))
  } catch (error) {
    process.stderr.write(`  (in-process page baseline skipped: ${error instanceof Error ? error.message : error})\n`)
  }

  // Search is measured only where the route exists.
  const probe = await fetch(`${url}/search/messages?q=${encodeURIComponent(PROBES[0].q)}`, { headers: auth })
  let searchNote: string
  if (probe.status === 404) {
    searchNote = '`GET /search/messages` is not in this build (404): search not measured.'
    process.stderr.write(`  ${searchNote}\n`)
  } else {
    if (!probe.ok) throw new Error(`GET /search/messages answered ${probe.status}: ${(await probe.text()).slice(0, 300)}`)
    const searchCount = Math.max(100, Math.round(requestCount / 4))
    const sampleSearch = await probe.text()
    const searchStatic = await startStatic(dataDir, sampleSearch)
    series.push(await timeHttp('bare Bun.serve, constant search page of the same bytes', 'http baseline', searchStatic.process.child.pid, () => `${searchStatic.url}/?q=x`, auth, searchCount))
    for (const p of PROBES) {
      series.push(await timeHttp(`\`GET /search/messages?q=${p.q}\` (${p.label})`, 'subject', api.child.pid, () => `${url}/search/messages?q=${encodeURIComponent(p.q)}`, auth, searchCount))
    }
    series.push(await timeHttp('bare Bun.serve, constant search page of the same bytes', 'http baseline', searchStatic.process.child.pid, () => `${searchStatic.url}/?q=x`, auth, searchCount))
    try {
      const { SearchService } = await import('../server/src/features/search/service')
      const search = new SearchService(db)
      for (const p of PROBES) series.push(timeInProcess(`same search, \`SearchService.searchMessages\` in-process: ${p.q}`, () => search.searchMessages(signedUp.user.id, { q: p.q }), Math.min(searchCount, 200)))
      const allWords = () => search.searchMessages(signedUp.user.id, { q: PHRASE_ALL_WORDS })
      series.push(timeInProcess(`same search, every word of the phrase matched in the index (the previous plan): ${PHRASE_ALL_WORDS}`, allWords, Math.min(searchCount, 200)))
    } catch (error) {
      process.stderr.write(`  (in-process search baseline skipped: ${error instanceof Error ? error.message : error})\n`)
    }
    searchNote = ''
  }
  db.$client.close()
  await cleanup()
  loads.push(loadavg()[0]!)
  report(series, machine, searchNote, Buffer.byteLength(samplePage))
}

function report(series: Series[], machine: ReturnType<typeof describeMachine>, searchNote: string, pageBytes: number): void {
  const p = (s: Series, q: number) => percentile(s.latencies, q)
  // Each subject is compared with the mean of the HTTP baseline runs of its group (pages or search).
  const group = (s: Series) => (s.name.includes('search') ? 'search' : 'page')
  const baselineP = (s: Series, q: number) => {
    const runs = series.filter((b) => b.kind === 'http baseline' && group(b) === group(s))
    return runs.reduce((sum, b) => sum + p(b, q), 0) / runs.length
  }
  const table = markdownTable(series, [
    { title: 'Series', cell: (s) => s.name },
    { title: 'Kind', cell: (s) => s.kind },
    { title: 'Requests', align: 'right', cell: (s) => fmt.rps(s.latencies.length) },
    { title: 'p50 ms', align: 'right', cell: (s) => fmt.ms(p(s, 50)) },
    { title: 'p95 ms', align: 'right', cell: (s) => fmt.ms(p(s, 95)) },
    { title: 'p99 ms', align: 'right', cell: (s) => fmt.ms(p(s, 99)) },
    { title: 'p99 vs bare Bun', align: 'right', cell: (s) => (s.kind === 'http baseline' ? '—' : `${(p(s, 99) / baselineP(s, 99)).toFixed(1)}×`) },
    { title: 'Server CPU µs/req', align: 'right', cell: (s) => (s.cpuMicrosPerRequest === null ? '—' : fmt.micros(s.cpuMicrosPerRequest)) },
  ])
  const page = series.find((s) => s.kind === 'subject' && group(s) === 'page')!
  const searches = series.filter((s) => s.kind === 'subject' && group(s) === 'search')
  const verdict = (met: boolean) => `**${met ? 'met' : 'not met'}**`
  const lines = [
    `- Page: p99 ${fmt.ms(p(page, 99))} ms (target < ${TARGETS.pageP99Ms} ms): ${verdict(p(page, 99) < TARGETS.pageP99Ms)}.`,
    searches.length
      ? `- Search: p95 per query ${searches.map((s) => `${fmt.ms(p(s, 95))} ms`).join(', ')}; worst ${fmt.ms(Math.max(...searches.map((s) => p(s, 95))))} ms (target < ${TARGETS.searchP95Ms} ms): ${verdict(searches.every((s) => p(s, 95) < TARGETS.searchP95Ms))}.`
      : `- Search: ${searchNote}`,
  ]
  const date = new Date().toISOString().slice(0, 10)
  const revision = describeRevision(ROOT)
  const section = [
    '## History and search: `bench/history.ts`',
    '',
    `Measured ${date} at commit ${revision} on ${machine.cpus} CPUs (${machine.cpuModel}), Bun ${machine.bun}, all on loopback; ` +
      `1-minute load average ${loads.map((load) => load.toFixed(1)).join(' at the start, ')} at the end (a shared machine: above ${machine.cpus}, other processes were competing for the cores). ` +
      `One channel holding ${fmt.rps(messageCount)} messages (6–14 pseudo-words each, inserted straight into the API's freshly migrated database, full-text index included). ` +
      `Requests go one at a time (latency without queueing) from a Bun \`fetch\` client, ${WARMUP_REQUESTS} warm-up requests discarded per series. ` +
      `Pages ask for 50 messages before a random seq (${fmt.rps(pageBytes)}-byte answers). *http baseline*: a bare \`Bun.serve\` answering a constant body of the same bytes, measured before and after the subject, so *p99 vs bare Bun* divides by what HTTP and the client cost alone; ` +
      '*in-process*: the same service call made in the benchmark process on the same database file (SQL plus mapping, no HTTP, auth or JSON).',
    '',
    table,
    '',
    ...lines,
  ].join('\n')
  console.log(`\n${section}\n`)
  console.log(JSON.stringify({ bench: 'history', date: new Date().toISOString(), machine, revision, messageCount, requestCount, series: series.map((s) => ({ name: s.name, kind: s.kind, p50Ms: p(s, 50), p95Ms: p(s, 95), p99Ms: p(s, 99), cpuMicrosPerRequest: s.cpuMicrosPerRequest })) }))
  if (args.write) {
    writeSection(DOC, 'bench:history', section)
    process.stderr.write(`wrote the history section of ${DOC}\n`)
  }
}

await runBench('history', main)
