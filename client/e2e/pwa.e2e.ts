// The app as an installed, offline-capable PWA: the outbox, the offline shell and manifest, silent token refresh.
import { expect, test } from '@playwright/test'
import { createHmac } from 'node:crypto'
import { messages, openAs, openConversation, person, send, sharedChannel, timeline } from './chat-kit'
import { E2E_JWT_SECRET } from './stack'

/** An access token for this session that expired a minute ago, signed like the API signs them. */
function expiredToken(userId: string, sessionId: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: userId, sid: sessionId, typ: 'access', iat: now - 960, exp: now - 60 })}`
  return `${unsigned}.${createHmac('sha256', E2E_JWT_SECRET).update(unsigned).digest('base64url')}`
}

test('offline outbox: three messages sent offline, a reload in between, each delivered exactly once', async ({ browser }) => {
  const ann = await person('annoff')
  const bob = await person('boboff')
  const channelId = await sharedChannel(ann, bob)
  const { context, page } = await openAs(browser, ann)
  try {
    await openConversation(page, channelId)
    // The service worker controls the page before we go offline, so a reload offline still opens the app.
    await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true)

    await context.setOffline(true)
    await expect(page.getByTestId('connection')).toHaveText(/Offline/, { timeout: 15_000 })
    for (const text of ['offline one', 'offline two']) await send(page, text)
    await expect(timeline(page).locator('article.message.pending')).toHaveCount(2)
    // The third is sent and the page reloaded at once, as when a tab is closed right after Enter.
    await send(page, 'offline three')
    await page.reload()
    await expect(timeline(page).locator('article.message.pending')).toHaveCount(3)
    await expect(timeline(page).getByText('offline two')).toBeVisible()

    await context.setOffline(false)
    await expect(page.getByTestId('connection')).toHaveText(/Connected/, { timeout: 20_000 })
    await expect(timeline(page).locator('article.message.pending')).toHaveCount(0)

    const seen = (await messages(bob, channelId)).filter((m) => m.content.startsWith('offline '))
    expect(seen.map((m) => m.content)).toEqual(['offline one', 'offline two', 'offline three'])
    expect(new Set(seen.map((m) => m.clientMsgId)).size).toBe(3)
  } finally {
    await context.close()
  }
})

test('installable: manifest fields, the service worker controls the page, the shell opens offline', async ({ browser }) => {
  const ann = await person('install')
  const { context, page } = await openAs(browser, ann)
  try {
    const manifestHref = await page.locator('link[rel="manifest"]').getAttribute('href')
    const manifest = await page.evaluate(async (href) => (await fetch(href!)).json(), manifestHref)
    expect(manifest).toMatchObject({ name: 'Parley', short_name: 'Parley', display: 'standalone', start_url: '/', theme_color: expect.any(String) })
    expect(manifest.icons.some((i: { sizes: string }) => i.sizes === '512x512')).toBe(true)
    expect(manifest.icons.some((i: { purpose?: string }) => i.purpose === 'maskable')).toBe(true)
    expect(manifest.shortcuts.length).toBeGreaterThan(0)
    for (const icon of manifest.icons as Array<{ src: string }>) expect((await page.request.get(icon.src)).headers()['content-type']).toBe('image/png')

    await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true)
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.scope)
    expect(scope).toMatch(/\/$/)

    await context.setOffline(true)
    await page.goto('/')
    await expect(page.getByText(`Signed in as`)).toBeVisible()
    await expect(page.getByTestId('connection')).toHaveText(/Offline/, { timeout: 15_000 })
  } finally {
    await context.close()
  }
})

test('an expired access token is refreshed silently: the socket reconnects and sending still works', async ({ browser }) => {
  const ann = await person('expiry')
  const bob = await person('expirybob')
  const channelId = await sharedChannel(ann, bob)
  const { context, page } = await openAs(browser, ann)
  try {
    await openConversation(page, channelId)
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('parley.session')!) as { accessToken: string; refreshToken: string; userId: string })
    const claims = JSON.parse(Buffer.from(stored.accessToken.split('.')[1]!, 'base64url').toString()) as { sid: string }
    const expired = expiredToken(stored.userId, claims.sid)
    await page.evaluate((token) => {
      const session = JSON.parse(localStorage.getItem('parley.session')!)
      localStorage.setItem('parley.session', JSON.stringify({ ...session, accessToken: token }))
    }, expired)

    await page.reload()
    await expect(page.getByTestId('connection')).toHaveText(/Connected/)
    await expect(page).toHaveURL(new RegExp(`/c/${channelId}`))
    const renewed = await page.evaluate(() => JSON.parse(localStorage.getItem('parley.session')!).accessToken as string)
    expect(renewed).not.toBe(expired)
    await send(page, 'sent after a silent refresh')
    await expect.poll(async () => (await messages(bob, channelId)).map((m) => m.content)).toContain('sent after a silent refresh')
  } finally {
    await context.close()
  }
})
