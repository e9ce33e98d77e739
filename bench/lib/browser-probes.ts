import type { Browser, Page } from 'playwright-core'

/** What one browser can do in a frame at 60 Hz; an interval of n frames counts n − 1 dropped. */
export const FRAME_MS = 1000 / 60

export interface ScrollSample {
  seconds: number
  intervals: number[]
  /** `article.message` (or static) rows in the DOM per frame. */
  domMax: number
  domMean: number
  /** Frames where `scrollTop` had not moved since the last one (nothing left above to scroll to). */
  stalledFrames: number
  lowestSeq: number | null
  /** Long animation frames (Chromium's LoAF entries, > 50 ms) during the scroll and the scripts that ran longest in them. */
  longFrames: { count: number; totalMs: number; blockingMs: number; scriptMs: number; topScripts: Array<{ name: string; ms: number }> }
  /** `…/messages?` requests the page made during the scroll: how long each took and how long the page waited after one before asking for the next. */
  pages: { count: number; fetchMedianMs: number | null; gapMedianMs: number | null }
}

export function dropped(intervals: number[]): { count: number; share: number } {
  const count = intervals.reduce((sum, d) => sum + Math.max(0, Math.round(d / FRAME_MS) - 1), 0)
  return { count, share: count / (count + intervals.length || 1) }
}

/** Waits for `selector`; a timeout says where the page was and what it showed. */
export async function visible(page: Page, selector: string): Promise<void> {
  try {
    await page.locator(selector).first().waitFor({ timeout: 20_000 })
  } catch (error) {
    const text = await page.evaluate(() => document.body.innerText.replace(/\s+/g, ' ').slice(0, 400)).catch(() => '?')
    throw new Error(`${selector} did not appear at ${page.url()} (page shows: ${text})`, { cause: error })
  }
}

export interface OpenSample {
  /** Click → first message row painted, ms. */
  paintMs: number
  /** Click → the request for the conversation's first page sent, and its last byte in, ms (null: none went out before the paint). */
  requestMs: number | null
  responseMs: number | null
}

/**
 * Click on the conversation's sidebar link → first `article.message` painted. The start is the
 * click event's own timestamp; the end is a task queued from the first animation frame after a row
 * entered the DOM (MutationObserver), so that frame has been painted.
 */
export async function timeOpen(page: Page, conversationId: string): Promise<OpenSample> {
  // Leave for the welcome route through the router's own popstate handling, so no rows remain.
  await page.evaluate(() => {
    history.pushState(null, '', '/')
    dispatchEvent(new PopStateEvent('popstate'))
  })
  await page.waitForFunction(() => !document.querySelector('article.message') && location.pathname === '/')
  await page.evaluate(() => {
    const w = window as unknown as { benchPaint: Promise<{ clickedAt: number; paintedAt: number }> }
    w.benchPaint = new Promise((done) => {
      let clickedAt = 0
      document.addEventListener('click', (event) => (clickedAt = event.timeStamp), { capture: true, once: true })
      const observer = new MutationObserver(() => {
        if (!clickedAt || !document.querySelector('article.message')) return
        observer.disconnect()
        requestAnimationFrame(() => {
          const channel = new MessageChannel()
          channel.port1.onmessage = () => done({ clickedAt, paintedAt: performance.now() })
          channel.port2.postMessage(null)
        })
      })
      observer.observe(document.body, { childList: true, subtree: true })
    })
  })
  await page.locator(`a[data-conversation="${conversationId}"]`).click()
  const sample = await page.evaluate(async (id) => {
    const { clickedAt, paintedAt } = await (window as unknown as { benchPaint: Promise<{ clickedAt: number; paintedAt: number }> }).benchPaint
    const request = (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
      .find((e) => e.name.includes(`/conversations/${id}/messages?`) && e.startTime >= clickedAt && e.startTime <= paintedAt)
    return { paintMs: paintedAt - clickedAt, requestMs: request ? request.startTime - clickedAt : null, responseMs: request && request.responseEnd > 0 ? request.responseEnd - clickedAt : null }
  }, conversationId)
  await page.waitForURL(`**/c/${conversationId}`)
  return sample
}

/** Scrolls `selector` up by 120 px a frame for `seconds`, recording frame intervals, rows in the DOM, long frames and page fetches. */
export async function scrollUp(page: Page, selector: string, seconds: number): Promise<ScrollSample> {
  return page.evaluate(async ({ selector, seconds }) => {
    interface Script { duration: number; invoker?: string; sourceFunctionName?: string; sourceURL?: string }
    interface LongFrame { duration: number; blockingDuration?: number; scripts?: Script[] }
    const scroller = document.querySelector<HTMLElement>(selector)!
    const longFrames: LongFrame[] = []
    const observer = new PerformanceObserver((list) => longFrames.push(...(list.getEntries() as unknown as LongFrame[])))
    try {
      observer.observe({ type: 'long-animation-frame' })
    } catch {
      // @NOTE: a browser without LoAF entries still gets every other figure.
    }
    // Settle first: layout of a fresh page and pending work stay out of the measured frames.
    for (let i = 0; i < 30; i++) await new Promise((next) => requestAnimationFrame(next))
    const stamps: number[] = []
    const counts: number[] = []
    let stalledFrames = 0
    let lastTop = scroller.scrollTop
    await new Promise<void>((done) => {
      const frame = (now: number) => {
        stamps.push(now)
        counts.push(scroller.querySelectorAll('article.message, .static-row').length)
        if (scroller.scrollTop === lastTop && stamps.length > 1) stalledFrames++
        lastTop = scroller.scrollTop
        scroller.scrollTop -= 120
        if (now - stamps[0]! < seconds * 1000) requestAnimationFrame(frame)
        else done()
      }
      requestAnimationFrame(frame)
    })
    longFrames.push(...(observer.takeRecords() as unknown as LongFrame[]))
    observer.disconnect()
    const byScript = new Map<string, number>()
    for (const script of longFrames.flatMap((f) => f.scripts ?? [])) {
      const file = (script.sourceURL ?? '').split('/').pop()?.replace(/-[\w-]{8}\.js$/, '.js') ?? ''
      const name = `${script.invoker ?? '?'}${script.sourceFunctionName ? ` → ${script.sourceFunctionName}` : ''}${file ? ` (${file})` : ''}`
      byScript.set(name, (byScript.get(name) ?? 0) + script.duration)
    }
    const median = (values: number[]) => (values.length ? values.sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]! : null)
    const fetches = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).filter((e) => e.name.includes('/messages?') && e.startTime >= stamps[0]!)
    const seqs = [...scroller.querySelectorAll<HTMLElement>('article.message[data-seq]')].map((e) => Number(e.dataset.seq))
    return {
      seconds: (stamps.at(-1)! - stamps[0]!) / 1000,
      intervals: stamps.slice(1).map((t, i) => t - stamps[i]!),
      domMax: Math.max(...counts),
      domMean: counts.reduce((a, b) => a + b, 0) / counts.length,
      stalledFrames,
      lowestSeq: seqs.length ? Math.min(...seqs) : null,
      longFrames: {
        count: longFrames.length,
        totalMs: longFrames.reduce((s, f) => s + f.duration, 0),
        blockingMs: longFrames.reduce((s, f) => s + (f.blockingDuration ?? 0), 0),
        scriptMs: [...byScript.values()].reduce((a, b) => a + b, 0),
        topScripts: [...byScript].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([name, ms]) => ({ name, ms })),
      },
      pages: {
        count: fetches.length,
        fetchMedianMs: median(fetches.map((e) => e.responseEnd - e.startTime)),
        gapMedianMs: median(fetches.slice(1).map((e, i) => e.startTime - fetches[i]!.responseEnd)),
      },
    }
  }, { selector, seconds })
}

/** A plain list of 10,000 divs of `rowHeight`, scrolled the same way: what this browser does with no app at all. */
export async function staticListScroll(browser: Browser, rowHeight: number, seconds: number, text: () => string): Promise<ScrollSample> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  const rows = Array.from({ length: 10_000 }, (_, i) => `<div class="static-row" style="height:${rowHeight}px;padding:4px 16px;box-sizing:border-box;overflow:hidden"><b>Person ${i % 7}</b> ${text()}</div>`).join('')
  await page.setContent(`<!doctype html><body style="margin:0;font:14px system-ui"><div id="list" style="height:100vh;overflow:auto">${rows}</div></body>`)
  await page.evaluate(() => {
    const list = document.getElementById('list')!
    list.scrollTop = list.scrollHeight
  })
  const sample = await scrollUp(page, '#list', seconds)
  await page.close()
  return sample
}
