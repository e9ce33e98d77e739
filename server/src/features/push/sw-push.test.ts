// The service worker's push handlers (client/src/offline/sw-push.ts) in Debian's Chromium: pushes
// are delivered through the DevTools protocol, the way the browser's push service would.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type BrowserContext, type CDPSession, type Page, type Worker } from 'playwright-core'
import type { PushPayload } from './model'

const SW_PUSH = resolve(import.meta.dir, '../../../../client/src/offline/sw-push.ts')
const ICON_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')

let workDir: string
let server: ReturnType<typeof Bun.serve>
let origin: string
let context: BrowserContext
let page: Page
let worker: Worker
let cdp: CDPSession
let registrationId: string

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'parley-sw-push-'))
  const entry = join(workDir, 'sw.ts')
  writeFileSync(entry, [
    `import { installPushHandlers } from ${JSON.stringify(SW_PUSH)}`,
    'declare const self: ServiceWorkerGlobalScope & { shows: number }',
    // Counts finished shows, so the test reads notifications only when none is being written:
    // Chromium's getNotifications() forgets one it reads while it is still being displayed.
    'self.shows = 0',
    'const show = self.registration.showNotification.bind(self.registration)',
    'self.registration.showNotification = (title, options) => show(title, options).then(() => void self.shows++)',
    "installPushHandlers(self, { icon: '/icon.png' })",
    'self.addEventListener("install", () => void self.skipWaiting())',
    'self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()))',
  ].join('\n'))
  const built = await Bun.build({ entrypoints: [entry], target: 'browser', format: 'esm' })
  if (!built.success) throw new Error(built.logs.join('\n'))
  const script = await built.outputs[0]!.text()
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(request) {
      const { pathname, search } = new URL(request.url)
      if (pathname === '/sw.js') return new Response(script, { headers: { 'content-type': 'text/javascript' } })
      if (pathname === '/icon.png') return new Response(ICON_PNG, { headers: { 'content-type': 'image/png' } })
      return new Response(`<!doctype html><title>${pathname}${search}</title><script>navigator.serviceWorker.register('/sw.js')</script>`, { headers: { 'content-type': 'text/html' } })
    },
  })
  origin = `http://127.0.0.1:${server.port}`
  context = await chromium.launchPersistentContext(join(workDir, 'profile'), {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  await context.grantPermissions(['notifications'], { origin })
  page = context.pages()[0] ?? (await context.newPage())
  cdp = await context.newCDPSession(page)
  const registrations: string[] = []
  cdp.on('ServiceWorker.workerRegistrationUpdated', (event) => registrations.push(...event.registrations.filter((r) => r.scopeURL === `${origin}/` && !r.isDeleted).map((r) => r.registrationId)))
  await cdp.send('ServiceWorker.enable')
  await page.goto(`${origin}/`)
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null)
  for (let i = 0; i < 100 && registrations.length === 0; i++) await Bun.sleep(50)
  registrationId = registrations[0]!
  worker = context.serviceWorkers()[0]!
}, 60_000)

afterAll(async () => {
  await context?.close()
  server?.stop(true)
  rmSync(workDir, { recursive: true, force: true })
})

let pushes = 0

/** Delivers a push and waits until the handler has finished showing its notification. */
async function deliver(data: string): Promise<void> {
  await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data })
  pushes++
  for (let i = 0; i < 400; i++) {
    if ((await worker.evaluate(() => (self as unknown as { shows: number }).shows)) >= pushes) return
    await Bun.sleep(25)
  }
  throw new Error(`push ${pushes} showed no notification`)
}

function shown(tag: string) {
  return page.evaluate(async (wanted) => {
    const list = await (await navigator.serviceWorker.ready).getNotifications({ tag: wanted })
    return list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, icon: n.icon, data: n.data as unknown }))
  }, tag)
}

function payload(overrides: Partial<PushPayload> = {}): PushPayload {
  return { title: 'Ann mentioned you in #design', body: '@bob look at this', url: '/c/c1?message=m1', tag: 'conversation:c1', notificationId: 'n1', kind: 'mention', conversationId: 'c1', messageId: 'm1', createdAt: new Date().toISOString(), ...overrides }
}

test('a push shows its notification; a newer one of the same conversation replaces it', async () => {
  await deliver(JSON.stringify(payload()))
  expect(await shown('conversation:c1')).toEqual([{ title: 'Ann mentioned you in #design', body: '@bob look at this', tag: 'conversation:c1', icon: `${origin}/icon.png`, data: { url: '/c/c1?message=m1', notificationId: 'n1' } }])
  await deliver(JSON.stringify(payload({ body: 'and this', url: '/c/c1?message=m2', notificationId: 'n2', messageId: 'm2' })))
  expect((await shown('conversation:c1')).map((n) => [n.body, n.data])).toEqual([['and this', { url: '/c/c1?message=m2', notificationId: 'n2' }]])
})

test('a push that is not our JSON still shows, as plain text', async () => {
  await deliver('hello from elsewhere')
  expect(await shown('parley')).toEqual([{ title: 'Parley', body: 'hello from elsewhere', tag: 'parley', icon: `${origin}/icon.png`, data: { url: '/', notificationId: null } }])
})

/** A click, as far as a script can make one: the handler runs, without the user activation a real click brings. */
async function click(tag: string): Promise<void> {
  await worker.evaluate(async (wanted) => {
    // The server's type-check knows the DOM, not the worker scope: just what this needs of it.
    const scope = self as unknown as EventTarget & { registration: ServiceWorkerRegistration; NotificationEvent: new (type: string, init: { notification: Notification }) => Event }
    const [notification] = await scope.registration.getNotifications({ tag: wanted })
    // @NOTE: waitUntil throws for a script-made event; the handler has started its work before that.
    scope.addEventListener('error', (event: Event) => event.preventDefault(), { once: true })
    scope.dispatchEvent(new scope.NotificationEvent('notificationclick', { notification: notification! }))
  }, tag)
}

test('clicking a notification takes the open window to its conversation; other origins are never opened', async () => {
  await deliver(JSON.stringify(payload({ tag: 'conversation:c9', url: '/c/c9?message=m9&thread=r1' })))
  await click('conversation:c9')
  await page.waitForURL(`${origin}/c/c9?message=m9&thread=r1`)
  // The click closed it.
  expect(await shown('conversation:c9')).toEqual([])

  await deliver(JSON.stringify(payload({ tag: 'conversation:evil', url: 'https://evil.example/phish' })))
  await click('conversation:evil')
  await page.waitForURL(`${origin}/`)
})
