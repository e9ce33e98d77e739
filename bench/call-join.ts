/**
 * Call join time in Debian's Chromium with fake devices: from clicking "Join call" on the PWA's
 * pre-join screen to the first remote video frame presented, through the full stack (REST join,
 * the API's signaling relay, auth, mediasoup).
 *
 *   bun bench/call-join.ts [--write] [--joins 20]
 *
 * A throwaway Redis, the media process and the API serving client/dist (built when missing). A host
 * page starts a video call; a second user joins and leaves it `--joins` times. The baseline in the
 * same run: a bare page using mediasoup-client directly over the same API socket (REST join, then
 * capabilities → join → recv transport → consume), no PWA, no pre-join, sending nothing.
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { chromium, type Page } from 'playwright-core'
import { percentile, sortedCopy } from './lib/latency'
import { cleanup, freePort, runBench, runProcess, startProcess, startRedis, tempFolder, waitForHttp } from './lib/processes'
import { describeMachine, fmt, markdownTable, writeSection } from './lib/report'

const ROOT = resolve(import.meta.dir, '..')
const DOC = join(ROOT, 'docs/BENCHMARKS.md')
const TARGETS = { medianMs: 1000, p95Ms: 1500 }
const PASSWORD = 'bench-password-1'
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required',
  // The bare page is served by page.route (no address), which Chromium counts as public and would stop from reaching 127.0.0.1.
  '--disable-features=LocalNetworkAccessChecks']
const SECRET = 'bench-call-join-media-secret-0123'

const { values: args } = parseArgs({ options: { write: { type: 'boolean', default: false }, joins: { type: 'string', default: '20' } } })
const joins = Number(args.joins)
if (!(joins >= 1 && joins <= 100)) {
  console.error('--joins must be 1–100')
  process.exit(2)
}

/** In the page: resolves with ms from `t0` to the first frame presented by the video that `find` returns once it exists. */
const FIRST_FRAME = `(find, t0) => new Promise((done, fail) => {
  setTimeout(() => fail(new Error('no remote frame within 20 s')), 20000)
  const watch = () => {
    const video = find()
    if (!video) return requestAnimationFrame(watch)
    video.requestVideoFrameCallback(() => done(performance.now() - t0))
  }
  watch()
})`

async function register(url: string, name: string): Promise<{ id: string; token: string }> {
  const body = { email: `${name}@bench.test`, username: name, displayName: name, password: PASSWORD }
  const created = await fetch(`${url}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (created.status !== 201) throw new Error(`register ${name}: ${created.status} ${await created.text()}`)
  const session = (await created.json()) as { user: { id: string }; accessToken: string }
  return { id: session.user.id, token: session.accessToken }
}

async function signIn(page: Page, url: string, username: string): Promise<void> {
  await page.goto(`${url}/login`)
  await page.getByLabel('Email or username').fill(username)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((target) => !target.pathname.startsWith('/login'))
}

/** One PWA join: banner → pre-join (preview running) → timed click on "Join call" → first remote frame → leave. */
async function pwaJoin(page: Page, url: string, conversationId: string, hostId: string): Promise<number> {
  await page.goto(`${url}/c/${conversationId}`)
  await page.getByTestId('call-banner').getByRole('button', { name: 'Join call' }).click()
  const button = page.getByTestId('call-prejoin').getByRole('button', { name: 'Join call' })
  await button.waitFor()
  await page.getByTestId('call-prejoin').locator('video').waitFor()
  const handle = await button.elementHandle()
  const elapsed = await page.evaluate(
    ([button, selector, firstFrame]) => {
      const t0 = performance.now()
      ;(button as HTMLButtonElement).click()
      // eslint-disable-next-line no-new-func
      return (new Function(`return ${firstFrame}`)() as (find: () => HTMLVideoElement | null, t0: number) => Promise<number>)(() => document.querySelector<HTMLVideoElement>(selector), t0)
    },
    [handle, `[data-testid="call-view"] .call-tile[data-peer="${hostId}"][data-source="camera"] video`, FIRST_FRAME] as const,
  )
  await page.getByRole('button', { name: 'Leave call' }).click()
  await page.getByTestId('call-view').waitFor({ state: 'detached' })
  return elapsed
}

/** The bare page's module: mediasoup-client over the API socket, receive only. */
const BARE = `
import * as mediasoupClient from '/__bench/mediasoup-client.js'
// A CommonJS package bundled to ESM has its exports on the default export.
const { Device } = mediasoupClient.Device ? mediasoupClient : mediasoupClient.default
const FIRST_FRAME = ${FIRST_FRAME}
window.bareJoin = async (token, callId) => {
  const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/ws?token=' + encodeURIComponent(token))
  const pending = new Map()
  const consumers = []
  let onConsumer = null
  let n = 0
  await new Promise((ready) => {
    ws.onmessage = (message) => {
      const event = JSON.parse(message.data)
      if (event.type === 'ready') ready()
      if (event.type === 'call.signal.response') pending.get(event.requestId)?.(event)
      if (event.type === 'call.signal.notification' && event.notification.name === 'newConsumer') {
        consumers.push(event.notification.data)
        onConsumer?.()
      }
    }
  })
  const signal = (name, data = {}) => new Promise((answer, fail) => {
    const requestId = 'b' + ++n
    pending.set(requestId, (event) => (event.ok ? answer(event.data) : fail(new Error(name + ': ' + event.error.code))))
    ws.send(JSON.stringify({ type: 'call.signal', callId, requestId, request: { name, data } }))
  })
  const video = document.createElement('video')
  video.muted = true
  video.autoplay = true
  document.body.append(video)
  const t0 = performance.now()
  const joined = await fetch('/calls/' + callId + '/join', { method: 'POST', headers: { authorization: 'Bearer ' + token } })
  if (!joined.ok) throw new Error('join ' + joined.status)
  const device = new Device()
  await device.load({ routerRtpCapabilities: (await signal('getRouterRtpCapabilities')).rtpCapabilities })
  await signal('join', { displayName: 'bare', rtpCapabilities: device.rtpCapabilities, device: { name: 'bare' } })
  const params = await signal('createWebRtcTransport', { direction: 'recv' })
  const transport = device.createRecvTransport({ id: params.transportId, iceParameters: params.iceParameters, iceCandidates: params.iceCandidates, dtlsParameters: params.dtlsParameters, iceServers: params.iceServers })
  transport.on('connect', ({ dtlsParameters }, ok, fail) => signal('connectTransport', { transportId: params.transportId, dtlsParameters }).then(() => ok(), fail))
  const camera = await new Promise((found) => {
    const look = () => { const c = consumers.find((c) => c.source === 'camera'); if (c) found(c) }
    onConsumer = look
    look()
  })
  const consumer = await transport.consume({ id: camera.consumerId, producerId: camera.producerId, kind: camera.kind, rtpParameters: camera.rtpParameters })
  video.srcObject = new MediaStream([consumer.track])
  await signal('resumeConsumer', { consumerId: camera.consumerId })
  const elapsed = await FIRST_FRAME(() => video, t0)
  await signal('leave').catch(() => undefined)
  await fetch('/calls/' + callId + '/leave', { method: 'POST', headers: { authorization: 'Bearer ' + token } })
  transport.close()
  video.remove()
  ws.close()
  return elapsed
}
`

async function main(): Promise<void> {
  const machine = describeMachine('')
  const dist = join(ROOT, 'client', 'dist')
  if (!existsSync(join(dist, 'index.html'))) {
    const build = await runProcess(['bun', 'run', 'build:client'], 180_000)
    if (build.code !== 0) throw new Error(`build:client failed: ${build.stderr.slice(-2000)}`)
  }
  const mediasoupClient = await Bun.build({ entrypoints: [Bun.resolveSync('mediasoup-client', ROOT)], target: 'browser', format: 'esm', minify: true })
  if (!mediasoupClient.success) throw new Error(`bundling mediasoup-client failed: ${mediasoupClient.logs.join('\n')}`)
  const mediasoupJs = await mediasoupClient.outputs[0]!.text()

  const dataDir = tempFolder('parley-bench-call-join-')
  const redisUrl = await startRedis()
  const mediaPort = await freePort()
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }
  const media = startProcess(['bun', '--no-env-file', 'media/src/index.ts'], { cwd: ROOT, env: { ...base, MEDIA_HOST: '127.0.0.1', MEDIA_PORT: String(mediaPort), MEDIA_SECRET: SECRET, MEDIA_WORKERS: '1' } })
  await waitForHttp(`http://127.0.0.1:${mediaPort}/health`, media)
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const api = startProcess(['bun', '--no-env-file', 'server/src/index.ts'], {
    cwd: ROOT,
    env: {
      ...base, HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: url, REDIS_URL: redisUrl, REDIS_PREFIX: 'bench-call-join:', CLIENT_DIST_DIR: dist,
      MEDIA_URL: `ws://127.0.0.1:${mediaPort}`, MEDIA_SECRET: SECRET, ACCESS_TOKEN_TTL_SECONDS: '3600',
      RATE_LIMIT_AUTH_PER_MINUTE: '100000', RATE_LIMIT_IP_PER_MINUTE: '1000000', RATE_LIMIT_USER_PER_MINUTE: '1000000',
    },
  })
  await waitForHttp(`${url}/health`, api)

  const host = await register(url, 'host')
  const guest = await register(url, 'guest')
  const bare = await register(url, 'bare')
  const group = await fetch(`${url}/conversations`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${host.token}` }, body: JSON.stringify({ kind: 'group', memberIds: [guest.id, bare.id], name: 'Join bench' }) })
  if (group.status !== 201) throw new Error(`group: ${group.status} ${await group.text()}`)
  const conversationId = ((await group.json()) as { id: string }).id

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS })
  const browserVersion = browser.version()
  try {
    const hostPage = await (await browser.newContext({ serviceWorkers: 'block' })).newPage()
    await signIn(hostPage, url, 'host')
    await hostPage.goto(`${url}/c/${conversationId}`)
    await hostPage.getByRole('button', { name: 'Start a video call' }).click()
    await hostPage.getByTestId('call-prejoin').getByRole('button', { name: 'Start call' }).click()
    await hostPage.locator('[data-testid="call-status"][data-status="connected"]').waitFor({ state: 'attached', timeout: 30_000 })
    const calls = await fetch(`${url}/conversations/${conversationId}/calls?limit=1`, { headers: { authorization: `Bearer ${host.token}` } })
    const callId = ((await calls.json()) as { calls: Array<{ id: string }> }).calls[0]!.id

    const guestPage = await (await browser.newContext({ serviceWorkers: 'block' })).newPage()
    await signIn(guestPage, url, 'guest')
    const barePage = await (await browser.newContext({ serviceWorkers: 'block' })).newPage()
    await barePage.route(`${url}/__bench/bare`, (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html><meta charset="utf-8"><script type="module">${BARE}</script>` }))
    await barePage.route(`${url}/__bench/mediasoup-client.js`, (route) => route.fulfill({ contentType: 'text/javascript', body: mediasoupJs }))
    barePage.on('pageerror', (error) => process.stderr.write(`  bare page error: ${error.message}\n`))
    await barePage.goto(`${url}/__bench/bare`)
    await barePage.waitForFunction(() => 'bareJoin' in window)

    process.stderr.write('  host in the call; warming up\n')
    // Warm-up (first compile of each path), then alternate so both see the same machine load.
    await pwaJoin(guestPage, url, conversationId, host.id)
    process.stderr.write('  PWA warm-up done\n')
    await barePage.evaluate(([token, id]) => (window as any).bareJoin(token, id), [bare.token, callId] as const)
    const pwa: number[] = []
    const baseline: number[] = []
    for (let i = 0; i < joins; i++) {
      pwa.push(await pwaJoin(guestPage, url, conversationId, host.id))
      baseline.push(await barePage.evaluate(([token, id]) => (window as any).bareJoin(token, id), [bare.token, callId] as const))
      process.stderr.write(`  join ${i + 1}/${joins}: PWA ${fmt.ms(pwa.at(-1)!)} ms, bare ${fmt.ms(baseline.at(-1)!)} ms\n`)
    }
    report({ pwa, baseline, machine, browserVersion })
  } finally {
    await browser.close()
  }
}

function report(r: { pwa: number[]; baseline: number[]; machine: ReturnType<typeof describeMachine>; browserVersion: string }): void {
  const stats = (values: number[]) => {
    const sorted = sortedCopy(values)
    return { median: percentile(sorted, 50), p95: percentile(sorted, 95), min: sorted[0]!, max: sorted[sorted.length - 1]! }
  }
  const pwa = stats(r.pwa)
  const bare = stats(r.baseline)
  const rows = [
    { path: 'PWA: click "Join call" → first remote frame', ...pwa },
    { path: 'Bare mediasoup-client over the API socket', ...bare },
  ]
  const table = markdownTable(rows, [
    { title: 'Path', cell: (row) => row.path },
    { title: 'Median ms', align: 'right', cell: (row) => fmt.ms(row.median) },
    { title: 'p95 ms', align: 'right', cell: (row) => fmt.ms(row.p95) },
    { title: 'Min ms', align: 'right', cell: (row) => fmt.ms(row.min) },
    { title: 'Max ms', align: 'right', cell: (row) => fmt.ms(row.max) },
  ])
  const verdict = `Target median < ${TARGETS.medianMs} ms: ${pwa.median < TARGETS.medianMs ? 'met' : 'missed'}; p95 < ${TARGETS.p95Ms} ms: ${pwa.p95 < TARGETS.p95Ms ? 'met' : 'missed'}. ` +
    `PWA / bare: ${(pwa.median / bare.median).toFixed(2)}× at the median, ${(pwa.p95 / bare.p95).toFixed(2)}× at p95.`
  const section = [
    '## Call join time (`bench/call-join.ts`)',
    '',
    `${r.pwa.length} joins each, alternating, on ${r.machine.cpus} CPUs (${r.machine.cpuModel}), Bun ${r.machine.bun}, Chromium ${r.browserVersion} headless with fake devices; one media worker, the API serving client/dist, a throwaway Redis.`,
    '',
    table,
    '',
    verdict,
    '',
    'PWA: the guest opens the conversation, the banner\'s "Join call", waits for the pre-join preview, then the timed click; it ends when the host\'s camera tile presents its first frame (`requestVideoFrameCallback`). ' +
      'It includes the REST join, the socket relay, device load, send and receive transports, producing the guest\'s own camera and microphone, and consuming. ' +
      'Bare: the same REST join and relay with mediasoup-client in a blank page, receive only, the socket already open.',
  ].join('\n')
  console.log(section)
  if (args.write) writeSection(DOC, 'call-join', section)
}

await runBench('call-join', async () => {
  await main()
  await cleanup()
})
