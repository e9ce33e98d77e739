/**
 * The PWA in Debian's Chromium: bundle sizes, opening a 10,000-message conversation, scrolling it.
 *
 *   bun bench/client.ts [--write] [--opens 15] [--cold 10] [--scroll-seconds 5] [--messages 10000] [--profile]
 *
 * `--profile` builds the client unminified and prints where the scroll's script time went (a CPU profile of
 * the app's scroll, self time per function); its figures are not written, since profiling slows the page.
 *
 * A fresh client build (into a temp folder, so a running e2e suite keeps its client/dist) is served
 * by a real API on a fresh DATA_DIR with a throwaway Redis. Every figure has a baseline from the same
 * run: the 10k conversation against a 50-message one, the app's scroll against a static list of
 * 10,000 divs in the same browser, the login bundle against its 120 KB target. See docs/BENCHMARKS.md.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { chromium, type Browser, type Page } from 'playwright-core'
import { dropped, FRAME_MS, scrollUp, staticListScroll, timeOpen, visible, type OpenSample, type ScrollSample } from './lib/browser-probes'
import { openShared, seedMembers } from './lib/chat-fixtures'
import { percentile, sortedCopy } from './lib/latency'
import { cleanup, freePort, runBench, runProcess, startProcess, startRedis, stopProcess, tempFolder, waitForHttp, type Abort } from './lib/processes'
import { describeMachine, fmt, markdownTable, writeSection } from './lib/report'

const ROOT = resolve(import.meta.dir, '..')
const DOC = join(ROOT, 'docs/BENCHMARKS.md')
const TARGETS = { loginJsGzipKb: 120, firstPaintMs: 300 }
/** A scroll that stands still this often is not "scrolling through" the history, however smooth its frames. */
const MAX_STALLED_SHARE = 0.02
const HIGH_LIMIT = '100000000'
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const PASSWORD = 'bench-password-1'

const { values: args } = parseArgs({
  options: {
    write: { type: 'boolean', default: false },
    opens: { type: 'string', default: '15' },
    cold: { type: 'string', default: '10' },
    'scroll-seconds': { type: 'string', default: '5' },
    messages: { type: 'string', default: '10000' },
    profile: { type: 'boolean', default: false },
  },
})
const opens = Number(args.opens)
const coldOpens = Number(args.cold)
const scrollSeconds = Number(args['scroll-seconds'])
const messageCount = Number(args.messages)
if (!(opens >= 1 && opens <= 100) || !(coldOpens >= 0 && coldOpens <= 50) || !(scrollSeconds >= 1 && scrollSeconds <= 30) || !(messageCount >= 100 && messageCount <= 200_000)) {
  console.error('--opens must be 1–100, --cold 0–50, --scroll-seconds 1–30, --messages 100–200,000')
  process.exit(2)
}

interface Asset { file: string; raw: number; gzip: number; login: boolean; chat: boolean }
interface Opened { label: string; big: OpenSample[]; small: OpenSample[] }
interface Scroll extends ScrollSample { label: string; loaded: number }

/** Every JS and CSS file of the build with its raw and gzip -9 size. */
function measureAssets(dist: string): Asset[] {
  const dir = join(dist, 'assets')
  return readdirSync(dir).filter((f) => /\.(js|css)$/.test(f)).map((f) => {
    const bytes = readFileSync(join(dir, f))
    return { file: `assets/${f}`, raw: statSync(join(dir, f)).size, gzip: Bun.gzipSync(bytes, { level: 9 }).length, login: false, chat: false }
  }).sort((a, b) => b.gzip - a.gzip)
}

/** The JS and CSS `/login` fetches before any interaction, recorded in the browser (service workers blocked). */
async function loginAssets(browser: Browser, url: string): Promise<Set<string>> {
  const context = await browser.newContext({ serviceWorkers: 'block' })
  const page = await context.newPage()
  const seen = new Set<string>()
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname
    if (/^\/assets\/.+\.(js|css)$/.test(path) && response.ok()) seen.add(path.slice(1))
  })
  await page.goto(`${url}/login`)
  await page.locator('input[name=login]').waitFor()
  await page.waitForLoadState('networkidle')
  await context.close()
  return seen
}

/** Deterministic chat-like text (mulberry32): 4–30 pseudo-words, sometimes bold, code or a link. */
function textGenerator(seed: number): () => string {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = Math.imul(state ^ (state >>> 15), state | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const syllables = ['ka', 'lo', 'mi', 'ra', 'te', 'su', 'no', 'vi', 'da', 'pe', 'ru', 'sho', 'gen', 'tal']
  const word = () => Array.from({ length: 1 + Math.floor(next() * 3) }, () => syllables[Math.floor(next() * syllables.length)]).join('')
  return () => {
    const words = Array.from({ length: 4 + Math.floor(next() * 27) }, word)
    const roll = next()
    if (roll < 0.1) words.push(`**${word()}**`)
    else if (roll < 0.15) words.push(`\`${word()}()\``)
    else if (roll < 0.18) words.push(`https://example.com/${word()}`)
    return words.join(' ')
  }
}

/** Messages straight into the API's database (it is stopped meanwhile), with gap-free seqs and versions; read up to the end. */
function fill(dbPath: string, conversationId: string, senders: string[], count: number, readerId: string): void {
  const db = openShared(dbPath)
  const text = textGenerator(count)
  const insert = db.prepare(`insert into messages (id, conversation_id, seq, sender_id, type, content, version, created_at) values (?, ?, ?, ?, 'text', ?, ?, ?)`)
  const firstAt = Date.now() - count * 45_000
  db.transaction(() => {
    for (let seq = 1; seq <= count; seq++) insert.run(Bun.randomUUIDv7(), conversationId, seq, senders[Math.floor(seq / 3) % senders.length]!, text(), seq, firstAt + seq * 45_000)
    db.prepare('update conversations set last_seq = ?, last_version = ?, last_message_at = ? where id = ?').run(count, count, Date.now(), conversationId)
    db.prepare('update participants set last_read_seq = ? where conversation_id = ? and user_id = ?').run(count, conversationId, readerId)
  })()
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)')
  db.close()
}

async function post<T>(url: string, path: string, body: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }
  const response = await fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${(await response.text()).slice(0, 300)}`)
  return (await response.json()) as T
}

async function main(abort: Abort): Promise<void> {
  setTimeout(() => void abort('over the time budget of 10 minutes', 1), 10 * 60_000).unref()
  const machine = describeMachine('')
  const loadBefore = loadavg()[0]!
  process.stderr.write(`bench/client: ${machine.cpus} CPUs (${machine.cpuModel}), Bun ${machine.bun}\n  building the client…\n`)
  const dist = tempFolder('parley-bench-client-dist-')
  const build = await runProcess(['bun', 'run', 'build:client', '--outDir', dist, '--emptyOutDir', ...(args.profile ? ['--minify', 'false'] : [])], 180_000)
  if (build.code !== 0) throw new Error(`build:client failed (${build.code}): ${build.stderr.slice(-2000)}`)
  const assets = measureAssets(dist)

  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const dataDir = tempFolder('parley-bench-client-data-')
  const apiEnv = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dataDir, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: url,
    DATA_DIR: dataDir, REDIS_URL: await startRedis(), REDIS_PREFIX: 'bench-client:', LOG_LEVEL: 'warn', CLIENT_DIST_DIR: dist, ACCESS_TOKEN_TTL_SECONDS: '3600',
    RATE_LIMIT_IP_PER_MINUTE: HIGH_LIMIT, RATE_LIMIT_USER_PER_MINUTE: HIGH_LIMIT, RATE_LIMIT_AUTH_PER_MINUTE: HIGH_LIMIT, LOGIN_MAX_FAILURES: HIGH_LIMIT,
  }
  const startApi = async () => {
    const api = startProcess(['bun', '--no-env-file', 'server/src/index.ts'], { cwd: ROOT, env: apiEnv })
    await waitForHttp(`${url}/health`, api)
    return api
  }
  let api = await startApi()
  const reader = await post<{ accessToken: string; user: { id: string } }>(url, '/auth/register', { email: 'reader@parley.test', username: 'reader', displayName: 'Reader', password: PASSWORD })
  const workspace = await post<{ id: string }>(url, '/workspaces', { name: 'Bench' }, reader.accessToken)
  const big = await post<{ id: string }>(url, '/conversations', { kind: 'channel', workspaceId: workspace.id, name: 'ten-thousand' }, reader.accessToken)
  const small = await post<{ id: string }>(url, '/conversations', { kind: 'channel', workspaceId: workspace.id, name: 'fifty' }, reader.accessToken)
  await stopProcess(api.child)
  process.stderr.write(`  seeding ${fmt.rps(messageCount)} + 50 messages…\n`)
  const dbPath = join(dataDir, 'parley.db')
  const db = openShared(dbPath)
  const [peer] = seedMembers(db, { count: 1, tag: 'peer', workspaceId: workspace.id, conversationId: big.id })
  db.prepare(`insert into participants (conversation_id, user_id, role, joined_at) values (?, ?, 'member', ?)`).run(small.id, peer!.userId, Date.now())
  db.close()
  fill(dbPath, big.id, [reader.user.id, peer!.userId], messageCount, reader.user.id)
  fill(dbPath, small.id, [reader.user.id, peer!.userId], 50, reader.user.id)
  api = await startApi()

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS })
  const browserVersion = browser.version()
  const loginFiles = await loginAssets(browser, url)
  for (const asset of assets) asset.login = loginFiles.has(asset.file)

  // Signed in through the form; service workers blocked so precaching never competes with a measurement.
  const context = await browser.newContext({ serviceWorkers: 'block', viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  // @NOTE: with service workers blocked, `register()` resolves to undefined and the app's update check throws; nothing else is ignored.
  page.on('pageerror', (error) => void (error.message.includes("reading 'waiting'") || process.stderr.write(`  page error: ${error.message}\n`)))
  const loaded = new Set<string>()
  const chatFiles = new Set<string>()
  page.on('response', async (response) => {
    const path = new URL(response.url()).pathname
    if (/^\/assets\/.+\.(js|css)$/.test(path) && response.ok()) chatFiles.add(path.slice(1))
    if (!response.url().includes(`/conversations/${big.id}/messages`) || !response.ok()) return
    const body = (await response.json().catch(() => null)) as { messages?: Array<{ id: string }> } | null
    for (const message of body?.messages ?? []) loaded.add(message.id)
  })
  await page.goto(`${url}/login`)
  await page.locator('input[name=login]').fill('reader')
  await page.locator('input[name=password]').fill(PASSWORD)
  await page.locator('button[type=submit]').click()
  await visible(page, `a[data-conversation="${big.id}"]`)
  await page.waitForLoadState('networkidle')
  const storage = await context.storageState()

  process.stderr.write(`  ${opens} reopens and ${coldOpens} first opens per conversation…\n`)
  const reopen: Opened = { label: 'reopen (same tab, messages in memory)', big: [], small: [] }
  // The first click on each is a first visit in this tab: kept out of the reopen series.
  await timeOpen(page, big.id)
  for (const asset of assets) asset.chat = chatFiles.has(asset.file)
  await timeOpen(page, small.id)
  for (let i = 0; i < opens; i++) {
    reopen.big.push(await timeOpen(page, big.id))
    reopen.small.push(await timeOpen(page, small.id))
  }
  const first: Opened = { label: 'first open (fresh tab, empty cache)', big: [], small: [] }
  for (let i = 0; i < coldOpens * 2; i++) {
    const target = i % 2 === 0 ? big.id : small.id
    const fresh = await browser.newContext({ serviceWorkers: 'block', viewport: { width: 1280, height: 800 }, storageState: storage })
    const tab = await fresh.newPage()
    await tab.goto(`${url}/`)
    await visible(tab, `a[data-conversation="${target}"]`)
    await tab.waitForLoadState('networkidle')
    ;(target === big.id ? first.big : first.small).push(await timeOpen(tab, target))
    await fresh.close()
  }

  process.stderr.write(`  scrolling for ${scrollSeconds} s…\n`)
  // Reopening replaces the window with the latest page; count what the scroll loads from there.
  loaded.clear()
  await timeOpen(page, big.id)
  await page.waitForLoadState('networkidle')
  const rowHeight = await page.evaluate(() => {
    const rows = [...document.querySelectorAll('[data-testid=message-list] .row-slot')].map((e) => e.getBoundingClientRect().height)
    return Math.round(rows.reduce((a, b) => a + b, 0) / Math.max(1, rows.length))
  })
  // The static baseline runs before and after the app, so load from the rest of the machine hits both alike.
  const staticRun = async (): Promise<Scroll> => ({ label: `static list, 10,000 divs of ${rowHeight} px`, loaded: 10_000, ...(await staticListScroll(browser, rowHeight, scrollSeconds, textGenerator(7))) })
  const baseBefore = await staticRun()
  const profiler = args.profile ? await startProfile(page) : null
  const appScroll: Scroll = { label: `Parley, ${fmt.rps(messageCount)}-message channel`, loaded: 0, ...(await scrollUp(page, '[data-testid=message-list]', scrollSeconds)) }
  if (profiler) {
    await profiler()
    await stallProbe(page)
  }
  appScroll.loaded = loaded.size
  const baseAfter = await staticRun()
  await browser.close()
  await cleanup()
  const load = { before: loadBefore, after: loadavg()[0]! }
  report({ assets, loginFiles, reopen, first, appScroll, baseScrolls: [baseBefore, baseAfter], machine, browserVersion, rowHeight, load })
}

/** Two more seconds of the same scroll, printing where the list stood in each frame that did not move. */
async function stallProbe(page: Page): Promise<void> {
  const stalls = await page.evaluate(async () => {
    const scroller = document.querySelector<HTMLElement>('[data-testid=message-list]')!
    const seen: string[] = []
    let lastTop = scroller.scrollTop
    const started = performance.now()
    await new Promise<void>((done) => {
      const frame = (now: number) => {
        if (scroller.scrollTop === lastTop && now > started + 20) seen.push(`top ${scroller.scrollTop} of ${scroller.scrollHeight}, first seq ${scroller.querySelector<HTMLElement>('article.message[data-seq]')?.dataset.seq}`)
        lastTop = scroller.scrollTop
        scroller.scrollTop -= 120
        if (now - started < 2000) requestAnimationFrame(frame)
        else done()
      }
      requestAnimationFrame(frame)
    })
    return seen
  })
  process.stderr.write(`  frames that did not move in 2 more seconds: ${stalls.length}\n${stalls.map((s) => `    ${s}`).join('\n')}\n`)
}

/** Starts a CPU profile of the page; the returned function stops it and prints the top self times. */
async function startProfile(page: Page): Promise<() => Promise<void>> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
  await cdp.send('Profiler.start')
  return async () => {
    const { profile } = await cdp.send('Profiler.stop')
    const self = new Map<string, number>()
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
    const deltas = profile.timeDeltas ?? []
    ;(profile.samples ?? []).forEach((id, i) => {
      const frame = nodes.get(id)!.callFrame
      const name = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop()}:${frame.lineNumber + 1}`
      self.set(name, (self.get(name) ?? 0) + (deltas[i] ?? 0) / 1000)
    })
    const top = [...self].filter(([name]) => !name.startsWith('(idle)') && !name.startsWith('(program)')).sort((a, b) => b[1] - a[1]).slice(0, 25)
    process.stderr.write(`  CPU profile of the app's scroll, self time (ms):\n${top.map(([name, ms]) => `    ${ms.toFixed(1).padStart(7)}  ${name}`).join('\n')}\n`)
  }
}

function clientRevision(): string {
  const git = (...a: string[]) => Bun.spawnSync(['git', '-C', ROOT, ...a], { stderr: 'ignore' }).stdout.toString().trim()
  const head = git('rev-parse', '--short', 'HEAD') || 'unknown revision'
  return `${head}${git('status', '--porcelain', '--', 'client', 'server') ? ' with uncommitted client/server changes' : ''}`
}

function report(r: { assets: Asset[]; loginFiles: Set<string>; reopen: Opened; first: Opened; appScroll: Scroll; baseScrolls: Scroll[]; machine: ReturnType<typeof describeMachine>; browserVersion: string; rowHeight: number; load: { before: number; after: number } }): void {
  const kb = (n: number) => (n / 1024).toFixed(1)
  const js = r.assets.filter((a) => a.file.endsWith('.js'))
  const loginJs = js.filter((a) => a.login).reduce((s, a) => s + a.gzip, 0)
  const unrecorded = [...r.loginFiles].filter((f) => !r.assets.some((a) => a.file === f))
  const assetTable = markdownTable(r.assets, [
    { title: 'Asset', cell: (a) => `\`${a.file}\`` },
    { title: 'Raw KB', align: 'right', cell: (a) => kb(a.raw) },
    { title: 'gzip -9 KB', align: 'right', cell: (a) => kb(a.gzip) },
    { title: 'Loaded by /login', cell: (a) => (a.login ? 'yes' : '') },
    { title: 'Loaded to open a conversation', cell: (a) => (a.chat ? 'yes' : '') },
  ])
  const stat = (values: number[], p: number) => percentile(sortedCopy(values), p)
  const paints = (samples: OpenSample[]) => samples.map((o) => o.paintMs)
  // Medians of the opens whose first-page request went out before the paint (first opens; reopens paint from memory).
  const phase = (samples: OpenSample[]) => {
    const fetched = samples.filter((o) => o.requestMs !== null && o.responseMs !== null)
    if (fetched.length === 0) return 'painted from memory'
    const median = (values: number[]) => fmt.ms(stat(values, 50))
    return `${median(fetched.map((o) => o.requestMs!))} / ${median(fetched.map((o) => o.responseMs!))} / ${median(fetched.map((o) => o.paintMs))}`
  }
  const openRows = [r.reopen, r.first].filter((o) => o.big.length > 0).flatMap((o) => [
    { series: o.label, conversation: `${fmt.rps(messageCount)} messages`, samples: o.big, ratio: `${(stat(paints(o.big), 50) / stat(paints(o.small), 50)).toFixed(2)}×` },
    { series: o.label, conversation: '50 messages (baseline)', samples: o.small, ratio: '—' },
  ])
  const openTable = markdownTable(openRows, [
    { title: 'Series', cell: (o) => o.series },
    { title: 'Conversation', cell: (o) => o.conversation },
    { title: 'Opens', align: 'right', cell: (o) => String(o.samples.length) },
    { title: 'median ms', align: 'right', cell: (o) => fmt.ms(stat(paints(o.samples), 50)) },
    { title: 'p95 ms', align: 'right', cell: (o) => fmt.ms(stat(paints(o.samples), 95)) },
    { title: 'max ms', align: 'right', cell: (o) => fmt.ms(Math.max(...paints(o.samples))) },
    { title: 'median vs 50', align: 'right', cell: (o) => o.ratio },
    { title: 'click → request sent / response in / painted (median ms)', align: 'right', cell: (o) => phase(o.samples) },
  ])
  const scrolls = [r.baseScrolls[0]!, r.appScroll, r.baseScrolls[1]!]
  const scrollTable = markdownTable(scrolls, [
    { title: 'Scrolled', cell: (s) => s.label },
    { title: 's', align: 'right', cell: (s) => s.seconds.toFixed(1) },
    { title: 'Frames', align: 'right', cell: (s) => String(s.intervals.length + 1) },
    { title: 'Frame p50 / p99 / max ms', align: 'right', cell: (s) => [50, 99].map((p) => fmt.ms(stat(s.intervals, p))).concat(fmt.ms(Math.max(...s.intervals))).join(' / ') },
    { title: '> 25 ms', align: 'right', cell: (s) => String(s.intervals.filter((d) => d > FRAME_MS * 1.5).length) },
    { title: '> 50 ms', align: 'right', cell: (s) => String(s.intervals.filter((d) => d > 50).length) },
    { title: 'Dropped frames', align: 'right', cell: (s) => `${dropped(s.intervals).count} (${fmt.pct(dropped(s.intervals).share)})` },
    { title: 'Frames not moving', align: 'right', cell: (s) => String(s.stalledFrames) },
    { title: 'Rows in DOM mean / max', align: 'right', cell: (s) => `${s.domMean.toFixed(0)} / ${s.domMax}` },
    { title: 'Messages loaded', align: 'right', cell: (s) => fmt.rps(s.loaded) },
    { title: 'Long frames (LoAF) / ms', align: 'right', cell: (s) => `${s.longFrames.count} / ${Math.round(s.longFrames.totalMs)}` },
  ])
  const ms = (v: number | null) => (v === null ? '—' : `${fmt.ms(v)} ms`)
  const appDrop = dropped(r.appScroll.intervals).share
  const stalledShare = r.appScroll.stalledFrames / (r.appScroll.intervals.length + 1)
  const baseDrop = (dropped(r.baseScrolls[0]!.intervals).share + dropped(r.baseScrolls[1]!.intervals).share) / 2
  const verdict = (met: boolean) => `**${met ? 'met' : 'not met'}**`
  const firstPaint = [r.first, r.reopen].filter((o) => o.big.length).map((o) => ({ label: o.label, median: stat(paints(o.big), 50), p95: stat(paints(o.big), 95) }))
  const section = [
    '## PWA client: `bench/client.ts`',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} at commit ${clientRevision()} on ${r.machine.cpus} CPUs (${r.machine.cpuModel}), Bun ${r.machine.bun}, Chromium ${r.browserVersion} headless (\`--disable-gpu\`), 1280×800, all on loopback; 1-minute load average ${r.load.before.toFixed(1)} at the start, ${r.load.after.toFixed(1)} at the end (other work shares these cores, so compare within a run). ` +
      'A fresh `bun run build:client` (into a temp folder) served by `bun server/src/index.ts` (`NODE_ENV=production`, fresh `DATA_DIR`, throwaway Redis); service workers blocked so precaching never runs during a measurement. ' +
      `One channel of ${fmt.rps(messageCount)} messages and a baseline channel of 50 (4–30 pseudo-words, some bold, code or links; two alternating senders; inserted straight into the migrated database, read up to the end, so both open at the latest page).`,
    '',
    `### Bundle (gzip -9 of each file; *Loaded by /login*: the JS and CSS Chromium fetched for \`/login\` before any interaction; *to open a conversation*: everything one tab fetched from \`/login\` through signing in to the first conversation painted)`,
    '',
    assetTable,
    '',
    `- Initial JS for \`/login\`: ${kb(loginJs)} KB gzipped in ${js.filter((a) => a.login).length} files = ${fmt.pct(loginJs / 1024 / TARGETS.loginJsGzipKb)} of the ${TARGETS.loginJsGzipKb} KB target: ${verdict(loginJs / 1024 <= TARGETS.loginJsGzipKb)}. Signed in with a conversation open: ${kb(js.filter((a) => a.chat).reduce((s, a) => s + a.gzip, 0))} KB of JS gzipped in ${js.filter((a) => a.chat).length} files. All JS: ${kb(js.reduce((s, a) => s + a.gzip, 0))} KB gzipped in ${js.length} files.${unrecorded.length ? ` (Fetched but not in the build: ${unrecorded.join(', ')}.)` : ''}`,
    '',
    '### Opening a conversation (click on the sidebar link → first `article.message` painted: the click event\'s timestamp to a task queued from the next `requestAnimationFrame` after the row entered the DOM)',
    '',
    'Reopens alternate the two conversations in one signed-in tab, leaving for `/` between opens (the first visit of each is discarded); first opens use a fresh browser context each (same session, empty memory and IndexedDB), so the page comes from the network. The last column gives medians from the click: the first page\'s request sent, its response in, and the paint; reopens paint the messages held in memory before that response arrives.',
    '',
    openTable,
    '',
    `- First paint of the ${fmt.rps(messageCount)}-message conversation (target < ${TARGETS.firstPaintMs} ms): ${firstPaint.map((f) => `${f.label.split(' (')[0]} median ${fmt.ms(f.median)} ms, p95 ${fmt.ms(f.p95)} ms`).join('; ')}: ${verdict(firstPaint.every((f) => f.median < TARGETS.firstPaintMs))} at the median, ${verdict(firstPaint.every((f) => f.p95 < TARGETS.firstPaintMs)).replaceAll('**', '')} at p95.`,
    '',
    `### Scrolling (\`scrollTop -= 120\` px per animation frame for ${scrollSeconds} s from the newest message; the list loads older pages as it goes; baseline: a static list of 10,000 divs of the app's mean row height, ${r.rowHeight} px, in the same browser)`,
    '',
    scrollTable,
    '',
    `- Smooth scrolling (target: no dropped frames): ${fmt.pct(appDrop)} of frames dropped (an interval of n × 16.7 ms counts n − 1) against ${fmt.pct(baseDrop)} for the static list (mean of its two runs; ${baseDrop > 0 ? `${(appDrop / baseDrop).toFixed(2)}×` : 'baseline dropped none'}), and the list did not move in ${fmt.pct(stalledShare)} of its frames: ${verdict(appDrop <= baseDrop && stalledShare <= MAX_STALLED_SHARE)} (met needs no more dropped frames than this headless browser drops with no app at all, and movement in at least ${fmt.pct(1 - MAX_STALLED_SHARE)} of frames).`,
    `- Virtualization: at most ${r.appScroll.domMax} \`article.message\` rows in the DOM while ${fmt.rps(r.appScroll.loaded)} messages were loaded; the scroll reached seq ${r.appScroll.lowestSeq ?? '—'} of ${fmt.rps(messageCount)}; *frames not moving*: frames where \`scrollTop\` had not changed (at the top of what is loaded: waiting for an older page, or never asking for one; see the notes below the section).`,
    `- Loading older pages: ${r.appScroll.pages.count} page requests during the scroll, median ${ms(r.appScroll.pages.fetchMedianMs)} from request to last byte, median ${ms(r.appScroll.pages.gapMedianMs)} from one page's last byte to the next request (the list asks, at most once per frame, when it is within three screen heights, at least 400 px, of the top of what it holds).`,
    `- Long animation frames (Chromium LoAF, > 50 ms) while scrolling the app: ${r.appScroll.longFrames.count}, ${Math.round(r.appScroll.longFrames.totalMs)} ms in all (${Math.round(r.appScroll.longFrames.blockingMs)} ms blocking); scripts ran ${Math.round(r.appScroll.longFrames.scriptMs)} ms of it, the rest is rendering (style, layout, paint); longest scripts: ${r.appScroll.longFrames.topScripts.map((t) => `${t.name.replaceAll('`', '')} ${Math.round(t.ms)} ms`).join('; ') || 'none'}.`,
  ].join('\n')
  console.log(`\n${section}\n`)
  console.log(JSON.stringify({ bench: 'client', date: new Date().toISOString(), machine: r.machine, chromium: r.browserVersion, loginJsGzipBytes: loginJs, opens: { reopen: r.reopen, first: r.first }, scroll: scrolls.map((s) => ({ ...s, intervals: undefined, dropped: dropped(s.intervals) })), rowHeight: r.rowHeight }))
  if (args.write && !args.profile) {
    writeSection(DOC, 'bench:client', section)
    process.stderr.write(`wrote the client section of ${DOC}\n`)
  }
}

await runBench('client', main)
