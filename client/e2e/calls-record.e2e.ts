import { expect, test, type Page } from '@playwright/test'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openAs, person, sharedChannel } from './chat-kit'

// Two browsers in a video call through the PWA: the caller records, both see the indicator, the caller
// stops, and the conversation shows the system message with the recording, which downloads and plays.

const FLOW_TIMEOUT = 30_000

interface Inbound {
  peerId: string
  source: string
  packetsReceived: number
}

/** Audio packets `page` has received from `peerId` so far. */
async function audioPackets(page: Page, peerId: string): Promise<number> {
  const rows = await page.evaluate(() => (window as unknown as { parleyCall?: { inboundStats(): Promise<Inbound[]> } | null }).parleyCall?.inboundStats() ?? Promise.resolve([]))
  return rows.find((row) => row.peerId === peerId && row.source === 'mic')?.packetsReceived ?? 0
}

function indicator(page: Page) {
  return page.getByTestId('call-view').getByRole('status').filter({ hasText: 'Recording' })
}

async function expectInCall(page: Page): Promise<void> {
  await expect(page.getByTestId('call-view')).toBeVisible()
  await expect(page.getByTestId('call-status')).toHaveAttribute('data-status', 'connected', { timeout: FLOW_TIMEOUT })
}

function ffprobe(path: string): { streams: Array<{ codec_type: string; codec_name: string }>; format: { duration: string } } {
  const probe = spawnSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', path], { encoding: 'utf8' })
  if (probe.status !== 0) throw new Error(`ffprobe failed: ${probe.stderr}`)
  return JSON.parse(probe.stdout)
}

test('recording a call: both see the indicator, the recording lands in the conversation and plays', async ({ browser }) => {
  test.setTimeout(180_000)
  const [ann, ben] = [await person('ann'), await person('ben')]
  const channelId = await sharedChannel(ann, [ben], `rec-${Date.now().toString(36)}`)
  const sides = [await openAs(browser, ann), await openAs(browser, ben)]
  const [a, b] = sides.map((side) => side.page) as [Page, Page]
  const scratch = mkdtempSync(join(tmpdir(), 'parley-e2e-recording-'))
  try {
    await a.goto(`/c/${channelId}`)
    await expect(b.getByTestId('connection')).toHaveText(/Connected/)
    await a.getByRole('button', { name: 'Start a video call' }).click()
    await a.getByTestId('call-prejoin').getByRole('button', { name: 'Start call' }).click()
    await expectInCall(a)
    await b.getByTestId('incoming-call').getByRole('button', { name: 'Accept' }).click()
    await expectInCall(b)
    await expect.poll(() => audioPackets(a, ben.userId), { timeout: FLOW_TIMEOUT, message: "Ben's audio reaches Ann" }).toBeGreaterThan(0)

    // Only the caller has the toggle; nobody records yet.
    await expect(b.getByRole('button', { name: 'Record the call' })).toHaveCount(0)
    for (const page of [a, b]) await expect(indicator(page)).toHaveCount(0)
    await a.getByRole('button', { name: 'Record the call' }).click()
    for (const page of [a, b]) await expect(indicator(page)).toBeVisible({ timeout: FLOW_TIMEOUT })
    await expect(a.getByRole('button', { name: 'Stop recording' })).toHaveAttribute('aria-pressed', 'true')

    // Let media flow a while into the recording: 150 more audio packets is about three seconds.
    const before = await audioPackets(a, ben.userId)
    await expect.poll(() => audioPackets(a, ben.userId), { timeout: FLOW_TIMEOUT, message: 'audio keeps flowing while recorded' }).toBeGreaterThan(before + 150)
    await a.getByRole('button', { name: 'Stop recording' }).click()
    for (const page of [a, b]) await expect(indicator(page)).toHaveCount(0, { timeout: FLOW_TIMEOUT })

    // Ben looks at the conversation (the call minimises): the system message carries the recording as a video.
    await b.goto(`/c/${channelId}`)
    const announcement = b.locator('.message.system').filter({ hasText: 'A recording of the call is available' })
    await expect(announcement).toBeVisible({ timeout: 60_000 })
    const video = announcement.locator('video')
    await expect(video).toHaveAttribute('aria-label', /^call-recording-.*\.webm$/)
    await expect.poll(() => video.evaluate((element: HTMLVideoElement) => (Number.isFinite(element.duration) ? element.duration : 0)), { timeout: FLOW_TIMEOUT, message: 'the browser reads the recording' }).toBeGreaterThan(1)

    // The file itself: downloaded through its signed URL, probed here.
    const url = await video.evaluate((element: HTMLVideoElement) => element.currentSrc || element.src)
    const download = await fetch(url)
    expect(download.status).toBe(200)
    const local = join(scratch, 'recording.webm')
    writeFileSync(local, Buffer.from(await download.arrayBuffer()))
    const probed = ffprobe(local)
    expect(probed.streams.map((stream) => `${stream.codec_type}/${stream.codec_name}`).sort()).toEqual(['audio/opus', 'video/vp8'])
    expect(Number(probed.format.duration)).toBeGreaterThan(1)

    await a.getByTestId('call-view').getByRole('button', { name: 'End call for everyone' }).click()
    await expect(a.getByTestId('call-view')).toHaveCount(0)
  } finally {
    for (const side of sides) await side.context.close()
    rmSync(scratch, { recursive: true, force: true })
  }
})
