// Accessibility audit with axe-core on every main screen, at desktop and phone sizes; each audited screen is also saved as a screenshot.
import { expect, test, type Page } from '@playwright/test'
import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { ADMIN, adminToken, request } from './api'
import { composer, openAs, openConversation, person, post, sharedChannel, timeline } from './chat-kit'
import { ROOT } from './stack'

const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots')
// The page's CSP is `script-src 'self'`, which refuses an injected <script>; evaluating the source through the
// DevTools protocol is not subject to it, so the CSP stays as it ships.
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
// axe walks the whole page on each screen; on two shared cores one run can take seconds.
test.describe.configure({ timeout: 180_000 })
const VIEWPORTS = [{ width: 1440, height: 900 }, { width: 360, height: 740 }]

interface Violation {
  id: string
  impact: string | null
  help: string
  nodes: Array<{ target: unknown[]; failureSummary?: string }>
}

/** Runs axe on the page (WCAG 2.1 A/AA and best practices) and returns the serious and critical violations, readably. */
async function audit(page: Page, screen: string): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE)
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: Violation[] }> } }).axe
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] })
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }))
  })
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${screen}: [${v.impact}] ${v.id} — ${v.help}\n${v.nodes.slice(0, 5).map((n) => `    ${JSON.stringify(n.target)}: ${(n.failureSummary ?? '').replaceAll('\n', ' ')}`).join('\n')}`)
}

async function capture(page: Page, name: string, size: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-${size}.png`) })
}

for (const viewport of VIEWPORTS) {
  const size = `${viewport.width}x${viewport.height}`
  const phone = viewport.width < 800

  test(`axe at ${size}: sign-in and registration`, async ({ browser }) => {
    const context = await browser.newContext({ viewport })
    const page = await context.newPage()
    try {
      const found: string[] = []
      await page.goto('/login')
      await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible()
      found.push(...(await audit(page, 'login')))
      await page.goto('/register')
      await expect(page.getByRole('heading', { level: 1 })).toBeVisible()
      found.push(...(await audit(page, 'register')))
      expect(found, found.join('\n')).toEqual([])
    } finally {
      await context.close()
    }
  })

  test(`axe at ${size}: conversation with reactions and a thread, search, notifications, settings, new message, call pre-join, account`, async ({ browser }) => {
    const ann = await person('axeann')
    const bob = await person('axebob')
    const channelId = await sharedChannel(ann, bob, `axe-${viewport.width}`)
    const root = await post(bob, channelId, `Hello @${ann.account.username}, the **release notes** are ready:\n\`\`\`ts\nconst ready = true\n\`\`\``)
    await post(ann, channelId, 'Thanks! See https://example.com for the draft.')
    expect((await request('PUT', `/conversations/${channelId}/messages/${root.id}/reactions/${encodeURIComponent('👍')}`, { token: ann.token })).status).toBe(200)
    expect((await request('POST', `/conversations/${channelId}/messages`, { token: ann.token, body: { content: 'A reply in the thread', parentId: root.id } })).status).toBe(201)
    const { context, page } = await openAs(browser, ann, viewport)
    try {
      const found: string[] = []
      await expect(page.getByTestId('connection')).toHaveText(/Connected/)
      if (phone) await page.getByRole('button', { name: 'Show conversations' }).click()
      found.push(...(await audit(page, 'sidebar')))
      await openConversation(page, channelId)
      await expect(timeline(page).getByText('release notes')).toBeVisible()
      await expect(timeline(page).locator('.reactions button').first()).toBeVisible()
      found.push(...(await audit(page, 'conversation')))

      await page.goto(`/c/${channelId}?thread=${root.id}`)
      const thread = page.getByRole('complementary', { name: 'Thread' })
      await expect(thread.getByText('A reply in the thread')).toBeVisible()
      found.push(...(await audit(page, 'thread')))
      await capture(page, 'thread', size)
      await thread.getByRole('button', { name: 'Close thread' }).click()

      await composer(page).focus()
      await page.keyboard.press('Control+k')
      const search = page.getByRole('dialog', { name: 'Search messages' })
      await search.getByRole('searchbox', { name: 'Search messages' }).fill('release')
      await expect(search.locator('mark').first()).toBeVisible()
      found.push(...(await audit(page, 'search')))
      await capture(page, 'search', size)
      // The first Escape in a filled search box clears it (the browser's own behaviour); an empty one closes the dialog.
      await search.getByRole('searchbox', { name: 'Search messages' }).fill('')
      await page.keyboard.press('Escape')
      await expect(search).toHaveCount(0)

      await page.locator('header.topbar').getByRole('button', { name: /^Notifications/ }).click()
      const notifications = page.getByRole('complementary', { name: 'Notifications' })
      await expect(notifications.getByRole('button', { name: /mentioned you/ })).toBeVisible()
      found.push(...(await audit(page, 'notifications')))
      await capture(page, 'notifications', size)
      await notifications.getByRole('button', { name: 'Close notifications' }).click()

      await openTopAction(page, phone, 'Settings')
      const settings = page.getByRole('dialog', { name: 'Settings' })
      await expect(settings.getByRole('radiogroup', { name: 'Theme' })).toBeVisible()
      found.push(...(await audit(page, 'settings')))
      await capture(page, 'settings', size)
      await page.keyboard.press('Escape')
      await expect(settings).toHaveCount(0)

      if (phone) await page.getByRole('button', { name: 'Show conversations' }).click()
      await page.getByRole('button', { name: 'New message' }).click()
      const start = page.getByRole('dialog', { name: 'New message' })
      await start.getByRole('searchbox').fill(bob.account.username.slice(0, 6))
      await expect(start.getByRole('list', { name: 'People found' }).getByRole('button', { name: new RegExp(bob.account.username) })).toBeVisible()
      found.push(...(await audit(page, 'new message')))
      await capture(page, 'new-message', size)
      await start.getByRole('searchbox').fill('')
      await page.keyboard.press('Escape')
      await expect(start).toHaveCount(0)

      if (phone) {
        // The open sidebar covers its own toggle on a phone: Escape closes it and focus returns to the toggle.
        await page.keyboard.press('Escape')
        await expect(page.getByRole('button', { name: 'Show conversations' })).toHaveAttribute('aria-expanded', 'false')
        await expect(page.getByRole('button', { name: 'Show conversations' })).toBeFocused()
      }
      await page.getByRole('button', { name: 'Start a video call' }).click()
      const prejoin = page.getByRole('dialog', { name: /call/i })
      await expect(prejoin.locator('video')).toBeVisible()
      found.push(...(await audit(page, 'call pre-join')))
      await page.keyboard.press('Escape')
      await expect(prejoin).toHaveCount(0)

      await page.goto('/account')
      await expect(page.getByRole('heading', { name: `Hello, ${ann.account.displayName}` })).toBeVisible()
      found.push(...(await audit(page, 'account')))
      expect(found, found.join('\n')).toEqual([])
    } finally {
      await context.close()
    }
  })

  test(`axe at ${size}: administration, its tabs by keyboard`, async ({ browser }) => {
    await adminToken()
    const context = await browser.newContext({ viewport })
    const page = await context.newPage()
    try {
      // /admin is also an API prefix, so the page is reached inside the app (as after signing in with next=/admin).
      await page.goto('/login?next=/admin')
      await page.getByLabel('Email or username').fill(ADMIN.username)
      await page.getByLabel('Password').fill(ADMIN.password)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await expect(page.getByRole('heading', { name: 'Administration' })).toBeVisible()
      await expect(page.locator('table, .admin-table').first()).toBeVisible()
      const found = await audit(page, 'admin')
      await capture(page, 'admin', size)
      // The sections are ARIA tabs: arrows move the selection and the focus, the panel follows.
      await page.getByRole('tab', { name: 'People' }).focus()
      await page.keyboard.press('ArrowRight')
      await expect(page.getByRole('tab', { name: 'Audit log' })).toBeFocused()
      await expect(page.getByRole('tab', { name: 'Audit log' })).toHaveAttribute('aria-selected', 'true')
      await expect(page.getByRole('tabpanel', { name: 'Audit log' })).toBeVisible()
      await page.keyboard.press('End')
      await expect(page.getByRole('tabpanel', { name: 'Outgoing mail' })).toBeVisible()
      found.push(...(await audit(page, 'admin outgoing mail')))
      await page.keyboard.press('ArrowRight')
      await expect(page.getByRole('tab', { name: 'People' })).toBeFocused()
      expect(found, found.join('\n')).toEqual([])
    } finally {
      await context.close()
    }
  })
}

/** A top-bar action: a button of its own on wide screens, an item of the More menu on phones. */
async function openTopAction(page: Page, phone: boolean, name: string | RegExp): Promise<void> {
  if (!phone) return void (await page.locator('header.topbar').getByRole('button', { name }).click())
  await page.getByRole('button', { name: 'More actions' }).click()
  await page.getByRole('menu', { name: 'More actions' }).getByRole('menuitem', { name }).click()
}

test('at 360×740 the top bar is one row; its More menu opens from the keyboard, moves with arrows, closes on Escape and runs its items', async ({ browser }) => {
  const ann = await person('barann')
  const { context, page } = await openAs(browser, ann, { width: 360, height: 740 })
  try {
    const bar = page.locator('header.topbar')
    await expect(page.getByTestId('connection')).toHaveText(/Connected/)
    // One row: every visible control of the bar shares the same vertical band, and nothing spills past the screen.
    const boxes = await bar.locator(':scope > *').evaluateAll((all) =>
      all.map((el) => el.getBoundingClientRect()).filter((box) => box.width > 0).map((box) => ({ top: box.top, bottom: box.bottom, right: box.right })),
    )
    expect(boxes.length).toBeGreaterThanOrEqual(4)
    const barBox = (await bar.boundingBox())!
    for (const box of boxes) {
      expect(box.top).toBeLessThan(boxes[0]!.bottom)
      expect(box.bottom).toBeGreaterThan(boxes[0]!.top)
      expect(box.right).toBeLessThanOrEqual(360)
    }
    expect(barBox.height).toBeLessThan(60)
    await expect(bar.getByRole('button', { name: 'Settings' })).toBeHidden()

    const more = bar.getByRole('button', { name: 'More actions' })
    await expect(more).toHaveAttribute('aria-haspopup', 'menu')
    await more.focus()
    await page.keyboard.press('Enter')
    const menu = page.getByRole('menu', { name: 'More actions' })
    await expect(more).toHaveAttribute('aria-expanded', 'true')
    await expect(menu.getByRole('menuitem', { name: 'Threads' })).toBeFocused()
    await page.keyboard.press('ArrowDown')
    await expect(menu.getByRole('menuitem', { name: 'Settings' })).toBeFocused()
    await page.keyboard.press('End')
    await expect(menu.getByRole('menuitem', { name: 'Account' })).toBeFocused()
    await page.keyboard.press('ArrowDown')
    await expect(menu.getByRole('menuitem', { name: 'Threads' })).toBeFocused()
    await page.keyboard.press('Escape')
    await expect(menu).toHaveCount(0)
    await expect(more).toBeFocused()
    await expect(more).toHaveAttribute('aria-expanded', 'false')

    // The items do what their wide-screen buttons do.
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Enter')
    await expect(page.getByRole('dialog', { name: 'Settings' })).toBeVisible()
    await page.keyboard.press('Escape')
    await more.click()
    await menu.getByRole('menuitem', { name: 'Threads' }).click()
    const threads = page.getByRole('complementary', { name: 'Threads' })
    await expect(threads).toBeVisible()
    await threads.getByRole('button', { name: /close/i }).click()
    // The open sidebar closes on a tap beside it, and that tap presses nothing underneath.
    await page.getByRole('button', { name: 'Show conversations' }).click()
    await expect(page.getByRole('button', { name: 'Show conversations' })).toHaveAttribute('aria-expanded', 'true')
    await more.click()
    await expect(page.getByRole('button', { name: 'Show conversations' })).toHaveAttribute('aria-expanded', 'false')
    await expect(menu).toHaveCount(0)
    await more.click()
    await menu.getByRole('menuitem', { name: 'Account' }).click()
    await expect(page).toHaveURL(/\/account$/)
  } finally {
    await context.close()
  }
})
