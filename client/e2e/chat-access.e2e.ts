// Access for everyone: keyboard-only use, every screen at phone and desktop sizes, colour contrast (AA).
import { expect, test } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { composer, conversationLink, openAs, openConversation, person, post, sharedChannel, timeline } from './chat-kit'
import { request } from './api'
import { lowContrast } from './contrast'
import { ROOT } from './stack'

const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots')

test('keyboard only: reach the conversation from the sidebar, send, edit with e, open a thread with r, search and close with Escape', async ({ browser }) => {
  const ann = await person('keys')
  const bob = await person('keysbob')
  const channelId = await sharedChannel(ann, bob)
  const { context, page } = await openAs(browser, ann)
  try {
    const link = conversationLink(page, channelId)
    await link.focus()
    await expect(link).toBeFocused()
    // Visible focus: the focus ring is drawn (an outline wider than zero).
    expect(await link.evaluate((el) => parseFloat(getComputedStyle(el).outlineWidth))).toBeGreaterThan(0)
    await page.keyboard.press('Enter')
    await expect(page).toHaveURL(new RegExp(`/c/${channelId}`))
    await expect(page.getByTestId('connection')).toHaveText(/Connected/)

    await composer(page).focus()
    await page.keyboard.type('typed without a mouse')
    await page.keyboard.press('Shift+Enter')
    await page.keyboard.type('second line')
    await page.keyboard.press('Enter')
    const typed = timeline(page).locator('article.message[data-message-id]', { hasText: 'typed without a mouse' })
    await expect(typed).toBeVisible()
    const sent = timeline(page).locator(`article.message[data-message-id="${await typed.getAttribute('data-message-id')}"]`)
    await expect(sent.locator('br')).toHaveCount(1)

    await sent.focus()
    await page.keyboard.press('e')
    const edit = sent.getByRole('textbox', { name: 'Edit message' })
    await expect(edit).toBeFocused()
    await page.keyboard.press('End')
    await page.keyboard.type(' (edited by keyboard)')
    await page.keyboard.press('Enter')
    await expect(sent.getByText('(edited)')).toBeVisible()

    await sent.focus()
    await page.keyboard.press('r')
    await expect(page.getByRole('complementary', { name: 'Thread' })).toBeVisible()

    // The actions as a context menu: Shift+F10 opens it with focus on its first action, Escape closes it; so does a right click.
    await sent.focus()
    await page.keyboard.press('Shift+F10')
    const actions = sent.getByRole('toolbar', { name: 'Message actions' })
    await expect(actions.getByRole('button').first()).toBeFocused()
    await page.keyboard.press('Escape')
    await expect(sent).toBeFocused()
    await composer(page).focus()
    await page.mouse.move(0, 0)
    await expect(actions).toBeHidden()
    await sent.click({ button: 'right', position: { x: 200, y: 10 } })
    await expect(actions).toBeVisible()
    await page.keyboard.press('Escape')

    await page.keyboard.press('Control+k')
    const search = page.getByRole('dialog', { name: 'Search messages' })
    await expect(search.getByRole('searchbox', { name: 'Search messages' })).toBeFocused()
    await page.keyboard.press('Escape')
    await expect(search).toHaveCount(0)
  } finally {
    await context.close()
  }
})

for (const viewport of [{ width: 1440, height: 900 }, { width: 360, height: 740 }]) {
  test(`chat screens at ${viewport.width}×${viewport.height} fit and are captured`, async ({ browser }) => {
    mkdirSync(SCREENSHOTS, { recursive: true })
    const size = `${viewport.width}x${viewport.height}`
    const ann = await person('shotann')
    const bob = await person('shotbob')
    const channelId = await sharedChannel(ann, bob, `general-${viewport.width}`)
    await post(ann, channelId, 'Welcome to the team channel! Code review at **3pm**.')
    await post(bob, channelId, 'Here is the snippet:\n```ts\nconst answer: number = 42\nconsole.log(answer)\n```')
    await post(ann, channelId, '> quoted text\n- one\n- two\nSee https://example.com')
    const dm = await request('POST', '/conversations', { token: bob.token, body: { kind: 'dm', userId: ann.userId } })
    await post(bob, dm.body.id, 'a direct message, newest of all')
    const { context, page } = await openAs(browser, ann, viewport)
    try {
      // Every conversation is listed: channels, then direct messages.
      const links = page.locator('a[data-conversation]')
      await expect(links).toHaveCount(2)
      expect(await links.evaluateAll((all) => all.map((a) => a.getAttribute('data-conversation')))).toEqual([channelId, dm.body.id])
      if (viewport.width < 800) await page.getByRole('button', { name: 'Show conversations' }).click()
      await openConversation(page, channelId)
      await expect(timeline(page).getByText('const answer')).toBeVisible()
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width)
      await page.screenshot({ path: join(SCREENSHOTS, `conversation-${size}.png`) })
      // Colour contrast AA for every visible text, in the light and the dark theme.
      expect(await lowContrast(page)).toEqual([])
      await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'))
      expect(await lowContrast(page)).toEqual([])
      await page.screenshot({ path: join(SCREENSHOTS, `conversation-dark-${size}.png`) })
      await page.evaluate(() => document.documentElement.removeAttribute('data-theme'))
      if (viewport.width < 800) {
        await page.getByRole('button', { name: 'Show conversations' }).click()
        await expect(conversationLink(page, channelId)).toBeInViewport()
        await page.screenshot({ path: join(SCREENSHOTS, `sidebar-${size}.png`) })
      }
    } finally {
      await context.close()
    }
  })
}
