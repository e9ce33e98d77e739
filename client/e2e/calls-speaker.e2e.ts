import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test'
import { signIn } from './api'
import { person, sharedChannel, type Person } from './chat-kit'

// The active speaker against live WebRTC: three browser contexts whose fake microphones beep (Chromium's
// fake device; its level, after the browser's audio processing, stays above media's −70 dBov threshold,
// checked on Chromium 156). Two mute; the third becomes the active speaker for everyone — the tile outline
// and the `activeSpeaker` notification on the socket — then the speaker changes.

const FLOW_TIMEOUT = 30_000

interface Side {
  who: Person
  context: BrowserContext
  page: Page
  /** The peer ids of every `activeSpeaker` notification this page's socket received, in order. */
  speakers: Array<string | null>
}

/** A signed-in page whose socket frames are watched from the first one on. */
async function open(browser: Browser, who: Person): Promise<Side> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  const speakers: Array<string | null> = []
  page.on('websocket', (socket) => {
    socket.on('framereceived', ({ payload }) => {
      if (typeof payload !== 'string' || !payload.includes('activeSpeaker')) return
      const event = JSON.parse(payload) as { type: string; notification?: { name: string; data: { peerId: string | null } } }
      if (event.type === 'call.signal.notification' && event.notification?.name === 'activeSpeaker') speakers.push(event.notification.data.peerId)
    })
  })
  page.on('pageerror', (error) => console.error(`[${who.account.username}] page error: ${error.message}`))
  await signIn(page, who.account, '/')
  return { who, context, page, speakers }
}

function tile(page: Page, peerId: string) {
  return page.getByTestId('call-view').locator(`.call-tile[data-peer="${peerId}"][data-source="camera"]`)
}

async function audioPackets(page: Page, peerId: string): Promise<number> {
  const rows = await page.evaluate(() => (window as unknown as { parleyCall?: { inboundStats(): Promise<Array<{ peerId: string; source: string; packetsReceived: number }>> } | null }).parleyCall?.inboundStats() ?? Promise.resolve([]))
  return rows.find((row) => row.peerId === peerId && row.source === 'mic')?.packetsReceived ?? 0
}

async function expectInCall(page: Page): Promise<void> {
  await expect(page.getByTestId('call-view')).toBeVisible()
  await expect(page.getByTestId('call-status')).toHaveAttribute('data-status', 'connected', { timeout: FLOW_TIMEOUT })
}

/** `speaker` is the active speaker on every page: the outlined tile (one's own on their page) and the last notification. */
async function expectSpeaker(sides: Side[], speaker: Side): Promise<void> {
  for (const side of sides) {
    await expect(tile(side.page, speaker.who.userId)).toHaveClass(/\bspeaking\b/, { timeout: FLOW_TIMEOUT })
    for (const other of sides) if (other !== speaker) await expect(tile(side.page, other.who.userId)).not.toHaveClass(/\bspeaking\b/)
    await expect.poll(() => side.speakers.at(-1), { timeout: FLOW_TIMEOUT, message: `${side.who.account.username} was told ${speaker.who.account.username} speaks` }).toBe(speaker.who.userId)
  }
}

test('active speaker from live audio: two muted, the third is outlined for everyone; then the speaker changes', async ({ browser }) => {
  test.setTimeout(180_000)
  const [ann, ben, cat] = [await person('ann'), await person('ben'), await person('cat')]
  const channelId = await sharedChannel(ann, [ben, cat], `speak-${Date.now().toString(36)}`)
  const sides = [await open(browser, ann), await open(browser, ben), await open(browser, cat)]
  const [a, b, c] = sides as [Side, Side, Side]
  try {
    await a.page.goto(`/c/${channelId}`)
    for (const side of sides) await expect(side.page.getByTestId('connection')).toHaveText(/Connected/)

    await a.page.getByRole('button', { name: 'Start an audio call' }).click()
    await a.page.getByTestId('call-prejoin').getByRole('button', { name: 'Start call' }).click()
    await expectInCall(a.page)
    for (const side of [b, c]) {
      await side.page.getByTestId('incoming-call').getByRole('button', { name: 'Accept' }).click()
      await expectInCall(side.page)
    }
    for (const side of sides) {
      for (const other of sides) {
        if (other === side) continue
        await expect.poll(() => audioPackets(side.page, other.who.userId), { timeout: FLOW_TIMEOUT, message: `${other.who.account.username}'s audio reaches ${side.who.account.username}` }).toBeGreaterThan(0)
      }
    }

    // Ben and Cat mute: Ann is the only one sending audio, so she is the active speaker.
    await b.page.getByRole('button', { name: 'Mute microphone' }).click()
    await c.page.getByRole('button', { name: 'Mute microphone' }).click()
    await expectSpeaker(sides, a)

    // Ann mutes and Ben unmutes: the highlight and the notifications move to Ben.
    await a.page.getByRole('button', { name: 'Mute microphone' }).click()
    await b.page.getByRole('button', { name: 'Unmute microphone' }).click()
    await expectSpeaker(sides, b)
    expect(c.speakers).toContain(a.who.userId)

    await a.page.getByTestId('call-view').getByRole('button', { name: 'End call for everyone' }).click()
    for (const side of sides) await expect(side.page.getByTestId('call-view')).toHaveCount(0)
  } finally {
    for (const side of sides) await side.context.close()
  }
})
