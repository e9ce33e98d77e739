import { expect, test, type Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { request } from './api'
import { openAs, person, sharedChannel, type Person } from './chat-kit'
import { ROOT } from './stack'

// Three real browsers in one video call through the PWA, media through the real mediasoup process.
// Each page exposes its CallSession as window.parleyCall; inboundStats() reads consumer.getStats()
// (the consumer's own receiver, so the recv transport's probator entry never counts).

const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots')
const FLOW_TIMEOUT = 30_000

interface Inbound {
  peerId: string
  source: string
  kind: string
  framesDecoded: number
  packetsReceived: number
}

function inbound(page: Page): Promise<Inbound[]> {
  return page.evaluate(() => (window as unknown as { parleyCall?: { inboundStats(): Promise<Inbound[]> } | null }).parleyCall?.inboundStats() ?? Promise.resolve([]))
}

/** Media from `peerId`'s `source` keeps arriving at `page`: the counter grows past a first non-zero reading. */
async function expectFlowing(page: Page, peerId: string, source: 'mic' | 'camera' | 'screen'): Promise<void> {
  const counter = (rows: Inbound[]) => {
    const row = rows.find((r) => r.peerId === peerId && r.source === source)
    if (!row) return 0
    return source === 'mic' ? row.packetsReceived : row.framesDecoded
  }
  let first = 0
  await expect.poll(async () => (first = counter(await inbound(page))), { timeout: FLOW_TIMEOUT, message: `${source} of ${peerId} starts arriving` }).toBeGreaterThan(0)
  await expect.poll(async () => counter(await inbound(page)), { timeout: FLOW_TIMEOUT, message: `${source} of ${peerId} keeps arriving` }).toBeGreaterThan(first)
}

/** The tile really paints the remote picture: Chromium's fake camera is mostly green. */
async function expectPicture(page: Page, peerId: string): Promise<void> {
  const video = tile(page, peerId, 'camera').locator('video')
  const green = () => video.evaluate((element: HTMLVideoElement) => {
    const canvas = document.createElement('canvas')
    canvas.width = canvas.height = 8
    const context = canvas.getContext('2d')!
    context.drawImage(element, 0, 0, 8, 8)
    const [red, green, blue] = context.getImageData(4, 4, 1, 1).data
    return green! - Math.max(red!, blue!)
  })
  await expect.poll(green, { timeout: FLOW_TIMEOUT, message: `the tile of ${peerId} shows the camera picture` }).toBeGreaterThan(60)
}

async function expectSeesAll(page: Page, others: Person[]): Promise<void> {
  for (const other of others) {
    await expectFlowing(page, other.userId, 'camera')
    await expectFlowing(page, other.userId, 'mic')
  }
}

function callView(page: Page) {
  return page.getByTestId('call-view')
}

function tile(page: Page, peerId: string, source: 'camera' | 'screen') {
  return callView(page).locator(`.call-tile[data-peer="${peerId}"][data-source="${source}"]`)
}

async function expectInCall(page: Page): Promise<void> {
  await expect(callView(page)).toBeVisible()
  await expect(page.getByTestId('call-status')).toHaveAttribute('data-status', 'connected', { timeout: FLOW_TIMEOUT })
}

test('three browsers in one video call: media both ways, mute, screen share, reload and rejoin, end for all', async ({ browser }) => {
  test.setTimeout(240_000)
  mkdirSync(SCREENSHOTS, { recursive: true })
  const [ann, ben, cat] = [await person('ann'), await person('ben'), await person('cat')]
  const channelId = await sharedChannel(ann, [ben, cat], `call-${Date.now().toString(36)}`)
  const sides = [await openAs(browser, ann, { width: 1440, height: 900 }), await openAs(browser, ben, { width: 1440, height: 900 }), await openAs(browser, cat, { width: 1440, height: 900 })]
  const [a, b, c] = sides.map((side) => side.page) as [Page, Page, Page]
  try {
    for (const page of [a, c]) await page.goto(`/c/${channelId}`)
    await expect(b.getByTestId('connection')).toHaveText(/Connected/)
    await expect(a.getByTestId('connection')).toHaveText(/Connected/)

    // Ann starts a video call from the channel header, through the pre-join screen (preview, meter, pickers).
    await a.getByRole('button', { name: 'Start a video call' }).click()
    const prejoin = a.getByTestId('call-prejoin')
    await expect(prejoin.locator('video')).toBeVisible()
    await expect(prejoin.getByRole('meter', { name: 'Microphone level' })).toBeVisible()
    await expect(prejoin.getByLabel('Camera')).toBeEnabled()
    await prejoin.getByRole('button', { name: 'Start call' }).click()
    await expectInCall(a)

    // Ben is rung wherever he is in the app and accepts.
    const ring = b.getByTestId('incoming-call')
    await expect(ring).toContainText(ann.account.displayName)
    await ring.getByRole('button', { name: 'Accept' }).click()
    await expectInCall(b)
    // Cat declines the ring first (the call goes on for the others), then changes her mind.
    await c.getByTestId('incoming-call').getByRole('button', { name: 'Decline' }).click()
    await expect(c.getByTestId('incoming-call')).toHaveCount(0)
    await expect(c.getByTestId('call-banner')).toBeVisible()
    await c.getByTestId('call-banner').getByRole('button', { name: 'Join call' }).click()
    await c.getByTestId('call-prejoin').getByRole('button', { name: 'Join call' }).click()
    await expectInCall(c)

    // Everyone decodes video and receives audio from the two others.
    await expectSeesAll(a, [ben, cat])
    await expectSeesAll(b, [ann, cat])
    await expectSeesAll(c, [ann, ben])
    await expectPicture(a, ben.userId)
    await expectPicture(c, ann.userId)

    // Ben mutes: the others see it on his tile; unmuting clears it.
    for (const page of [a, c]) await expect(tile(page, ben.userId, 'camera').getByTestId('muted')).toHaveCount(0)
    await b.getByRole('button', { name: 'Mute microphone' }).click()
    for (const page of [a, c]) await expect(tile(page, ben.userId, 'camera').getByTestId('muted')).toBeVisible()
    await b.getByRole('button', { name: 'Unmute microphone' }).click()
    for (const page of [a, c]) await expect(tile(page, ben.userId, 'camera').getByTestId('muted')).toHaveCount(0)

    // Ann shares her (fake) screen: a screen tile with decoded frames for both others.
    await a.getByRole('button', { name: 'Share your screen' }).click()
    for (const page of [b, c]) {
      await expect(tile(page, ann.userId, 'screen')).toBeVisible()
      await expectFlowing(page, ann.userId, 'screen')
    }
    await callView(a).getByRole('button', { name: 'Speaker view' }).click()
    await a.bringToFront()
    await a.screenshot({ path: join(SCREENSHOTS, 'call-1440x900.png') })
    await callView(a).getByRole('button', { name: 'Grid view' }).click()

    // Cat reloads: the tab rejoins by itself, the others see her again with video flowing, and she them.
    await c.reload()
    await expectInCall(c)
    for (const page of [a, b]) {
      await expect(tile(page, cat.userId, 'camera')).toBeVisible()
      await expectFlowing(page, cat.userId, 'camera')
      await expectFlowing(page, cat.userId, 'mic')
    }
    await expectSeesAll(c, [ann, ben])
    await expectFlowing(c, ann.userId, 'screen')
    await c.setViewportSize({ width: 360, height: 740 })
    await expect(c.getByRole('toolbar', { name: 'Call controls' })).toBeInViewport()
    await c.screenshot({ path: join(SCREENSHOTS, 'call-360x740.png') })

    // Minimised, the call stays in a bar while Ben moves around the app; expanding brings the call back.
    await b.getByRole('button', { name: 'Minimise call' }).click()
    await expect(b.getByTestId('call-bar')).toBeVisible()
    await b.goto('/')
    await expectInCall(b)
    await b.getByRole('button', { name: 'Minimise call' }).click()
    await expect(b.getByTestId('call-bar')).toBeVisible()
    await b.getByTestId('call-bar').getByRole('button', { name: /Return to the call/ }).click()
    await expect(callView(b)).toBeVisible()

    // Only the caller sees "End for all"; ending it closes the call everywhere.
    await expect(callView(b).getByRole('button', { name: 'End call for everyone' })).toHaveCount(0)
    await callView(a).getByRole('button', { name: 'End call for everyone' }).click()
    for (const page of [a, b, c]) await expect(callView(page)).toHaveCount(0)
    const history = await request('GET', `/conversations/${channelId}/calls`, { token: ann.token })
    expect(history.body.calls[0]).toMatchObject({ active: false, endedReason: 'ended' })
  } finally {
    for (const side of sides) await side.context.close()
  }
})
