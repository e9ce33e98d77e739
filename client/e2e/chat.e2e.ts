import { expect, test } from '@playwright/test'
import { createHmac } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { composer, conversationLink, messages, openAs, openConversation, person, post, send, sharedChannel, timeline } from './chat-kit'
import { request } from './api'
import { lowContrast } from './contrast'
import { E2E_JWT_SECRET, ROOT } from './stack'

/** An access token for this session that expired a minute ago, signed like the API signs them. */
function expiredToken(userId: string, sessionId: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: userId, sid: sessionId, typ: 'access', iat: now - 960, exp: now - 60 })}`
  return `${unsigned}.${createHmac('sha256', E2E_JWT_SECRET).update(unsigned).digest('base64url')}`
}

const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots')

test('two people chat in real time: send, typing, unread badge, edit, react, thread reply', async ({ browser }) => {
  const ann = await person('ann')
  const bob = await person('bob')
  const channelId = await sharedChannel(ann, bob)
  const annSide = await openAs(browser, ann)
  const bobSide = await openAs(browser, bob)
  try {
    const a = annSide.page
    const b = bobSide.page
    await openConversation(a, channelId)

    // Bob is elsewhere (no conversation open): Ann's message raises his unread badge live.
    await expect(b.getByTestId('connection')).toHaveText(/Connected/)
    await send(a, 'Hello **Bob**, first message')
    await expect(timeline(a).getByText('first message')).toBeVisible()
    await expect(conversationLink(b, channelId).locator('.unread-badge')).toHaveText('1')

    await openConversation(b, channelId)
    await expect(timeline(b).locator('strong', { hasText: 'Bob' })).toBeVisible()
    await expect(conversationLink(b, channelId).locator('.unread-badge')).toHaveCount(0)

    // Typing reaches the other side while the text is still in the composer.
    await composer(b).pressSequentially('typing something', { delay: 10 })
    await expect(a.locator('.typing-line')).toHaveText(`${bob.account.displayName} is typing…`)
    await composer(b).press('Enter')
    await expect(timeline(a).getByText('typing something')).toBeVisible()
    await expect(a.locator('.typing-line')).toHaveText('')

    // Ann edits her message; Bob sees the new text and the edited mark.
    const messageId = await a.locator('article.message', { hasText: 'first message' }).getAttribute('data-message-id')
    const annMessage = a.locator(`article.message[data-message-id="${messageId}"]`)
    await annMessage.hover()
    await annMessage.getByRole('button', { name: 'Edit message' }).click()
    const editBox = annMessage.getByRole('textbox', { name: 'Edit message' })
    await editBox.fill('Hello Bob, edited message')
    await editBox.press('Enter')
    const bobView = timeline(b).locator('article.message', { hasText: 'edited message' })
    await expect(bobView).toBeVisible()
    await expect(bobView.getByText('(edited)')).toBeVisible()

    // Bob reacts; Ann sees the count and who reacted.
    await bobView.hover()
    await bobView.getByRole('button', { name: 'React with thumbs up' }).click()
    await expect(timeline(a).locator('article.message', { hasText: 'edited message' }).locator('.reaction')).toHaveText(/👍\s*1/)

    // Ann replies in a thread; Bob sees the reply count and the reply in the thread panel.
    await annMessage.hover()
    await annMessage.getByRole('button', { name: 'Reply in thread' }).click()
    const thread = a.getByRole('complementary', { name: 'Thread' })
    await thread.getByRole('textbox', { name: 'Reply in thread' }).fill('a reply in the thread')
    await thread.getByRole('textbox', { name: 'Reply in thread' }).press('Enter')
    await expect(thread.getByText('a reply in the thread')).toBeVisible()
    const replies = timeline(b).locator('article.message', { hasText: 'edited message' }).getByRole('button', { name: '1 reply' })
    await expect(replies).toBeVisible()
    await replies.click()
    await expect(b.getByRole('complementary', { name: 'Thread' }).getByText('a reply in the thread')).toBeVisible()
    // The reply stays out of the main timeline.
    await expect(timeline(b).getByText('a reply in the thread')).toHaveCount(0)
  } finally {
    await annSide.context.close()
    await bobSide.context.close()
  }
})

test('forward a message to a DM, and find a followed thread in the threads inbox', async ({ browser }) => {
  const ann = await person('fwdann')
  const bob = await person('fwdbob')
  const channelId = await sharedChannel(ann, bob)
  const dm = await request('POST', '/conversations', { token: ann.token, body: { kind: 'dm', userId: bob.userId } })
  const root = await post(bob, channelId, 'release checklist for Friday')
  expect((await request('POST', `/conversations/${channelId}/messages`, { token: ann.token, body: { content: 'I will take the changelog', parentId: root.id } })).status).toBe(201)
  const { context, page } = await openAs(browser, ann)
  try {
    await openConversation(page, channelId)
    const message = timeline(page).locator('article.message', { hasText: 'release checklist' })
    await message.hover()
    await message.getByRole('button', { name: 'Forward message' }).click()
    const dialog = page.getByRole('dialog', { name: 'Forward message' })
    await dialog.getByRole('checkbox', { name: bob.account.displayName }).check()
    await dialog.getByRole('button', { name: 'Forward' }).click()
    await expect.poll(async () => (await messages(bob, dm.body.id)).map((m) => m.content)).toContain('release checklist for Friday')

    // Ann replied in the thread, so she follows it: it is in her threads inbox and opens the thread.
    await page.getByRole('button', { name: 'Threads' }).click()
    const inbox = page.getByRole('complementary', { name: 'Threads' })
    await inbox.getByRole('button', { name: /release checklist for Friday/ }).click()
    await expect(page.getByRole('complementary', { name: 'Thread' }).getByText('I will take the changelog')).toBeVisible()
  } finally {
    await context.close()
  }
})

test('direct messages show "Seen" once the other person has read', async ({ browser }) => {
  const ann = await person('seenann')
  const bob = await person('seenbob')
  const dm = await request('POST', '/conversations', { token: ann.token, body: { kind: 'dm', userId: bob.userId } })
  expect(dm.status).toBe(201)
  const annSide = await openAs(browser, ann)
  const bobSide = await openAs(browser, bob)
  try {
    await openConversation(annSide.page, dm.body.id)
    await send(annSide.page, 'are you there?')
    const mine = timeline(annSide.page).locator('article.message', { hasText: 'are you there?' })
    await expect(mine).toBeVisible()
    await expect(mine.getByText('Seen', { exact: true })).toHaveCount(0)
    await openConversation(bobSide.page, dm.body.id)
    await expect(timeline(bobSide.page).getByText('are you there?')).toBeVisible()
    await expect(mine.getByText('Seen', { exact: true })).toBeVisible()
  } finally {
    await annSide.context.close()
    await bobSide.context.close()
  }
})

test('an invite link made in the app lets a newcomer join the workspace after signing in', async ({ browser }) => {
  const owner = await person('inviter')
  const newcomer = await person('newcomer')
  const workspace = await request('POST', '/workspaces', { token: owner.token, body: { name: 'Invite Co' } })
  const channel = await request('POST', '/conversations', { token: owner.token, body: { kind: 'channel', workspaceId: workspace.body.id, name: 'welcome' } })
  expect(channel.status).toBe(201)
  const ownerSide = await openAs(browser, owner)
  const context = await browser.newContext()
  try {
    await ownerSide.page.getByRole('button', { name: 'Invite people' }).click()
    const dialog = ownerSide.page.getByRole('dialog', { name: 'Invite people to Invite Co' })
    await dialog.getByRole('button', { name: /Create an invite link/ }).click()
    const url = await dialog.getByLabel('Invite link').inputValue()
    expect(url).toMatch(/\/join\/[A-Za-z0-9_-]{16,}$/)

    const page = await context.newPage()
    await page.goto(new URL(url).pathname)
    await expect(page).toHaveURL(/\/login\?next=/)
    await page.getByLabel('Email or username').fill(newcomer.account.username)
    await page.getByLabel('Password').fill(newcomer.account.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect(page.getByRole('heading', { name: 'Join Invite Co' })).toBeVisible()
    await page.getByRole('button', { name: 'Join workspace' }).click()
    await expect(page.getByText(`Signed in as ${newcomer.account.displayName}`)).toBeVisible()
    await expect(page.getByLabel('Workspace')).toHaveValue(workspace.body.id)

    // Public channels are found by browsing, and joined from there.
    await page.getByRole('button', { name: 'Browse channels' }).click()
    await page.getByRole('dialog', { name: 'Browse channels' }).getByRole('button', { name: /#welcome/ }).click()
    await expect(page).toHaveURL(new RegExp(`/c/${channel.body.id}`))
    await expect(page.locator(`a[data-conversation="${channel.body.id}"]`)).toBeVisible()
  } finally {
    await ownerSide.context.close()
    await context.close()
  }
})

test('stories: one posts a text story, the other sees it as new, views it and replies into their DM', async ({ browser }) => {
  const ann = await person('storyann')
  const bob = await person('storybob')
  await sharedChannel(ann, bob)
  const annSide = await openAs(browser, ann)
  try {
    await annSide.page.getByRole('button', { name: 'Add a story' }).click()
    const dialog = annSide.page.getByRole('dialog', { name: 'New story' })
    await dialog.getByLabel(/Text/).fill('Shipping the new release today 🚀')
    await dialog.getByRole('button', { name: 'Share story' }).click()
    await expect(annSide.page.getByRole('button', { name: `${ann.account.displayName}'s story` })).toBeVisible()
  } finally {
    await annSide.context.close()
  }
  const bobSide = await openAs(browser, bob)
  try {
    const page = bobSide.page
    await page.getByRole('button', { name: `${ann.account.displayName}'s story, new` }).click()
    const viewer = page.getByRole('dialog', { name: `${ann.account.displayName}'s story` })
    await expect(viewer.getByText('Shipping the new release today')).toBeVisible()
    await viewer.getByRole('textbox', { name: 'Reply to the story' }).fill('Congrats!')
    await viewer.getByRole('button', { name: 'Send' }).click()
    await expect(page).toHaveURL(/\/c\//)
    await expect(timeline(page).getByText('Congrats!')).toBeVisible()
    // Viewed: the ring no longer says new.
    await expect(page.getByRole('button', { name: `${ann.account.displayName}'s story`, exact: true })).toBeVisible()
  } finally {
    await bobSide.context.close()
  }
})

test('a voice message recorded in the composer plays for the other person and can be transcribed; a conversation summary works without an AI provider', async ({ browser }) => {
  test.setTimeout(120_000)
  const ann = await person('voiceann')
  const bob = await person('voicebob')
  const channelId = await sharedChannel(ann, bob)
  for (const text of ['The launch moves to Thursday because the database migration needs another review.', 'Marketing needs the final screenshots by Wednesday noon.', 'I can review the migration tomorrow morning.']) await post(ann, channelId, text)
  const annSide = await openAs(browser, ann)
  const bobSide = await openAs(browser, bob)
  try {
    await openConversation(annSide.page, channelId)
    await annSide.page.getByRole('button', { name: 'Record a voice message' }).click()
    const recorder = annSide.page.getByRole('group', { name: 'Voice message' })
    await expect(recorder).toContainText('Recording 0:02', { timeout: 15_000 })
    await recorder.getByRole('button', { name: 'Send' }).click()
    await expect(recorder).toHaveCount(0, { timeout: 20_000 })

    await openConversation(bobSide.page, channelId)
    const voice = timeline(bobSide.page).locator('article.message', { hasText: 'Voice message' })
    await expect(voice.locator('audio')).toBeVisible()
    await voice.getByRole('button', { name: 'Transcribe' }).click()
    await expect(voice.getByText(/^Transcript:/)).toBeVisible({ timeout: 60_000 })

    await bobSide.page.getByRole('button', { name: 'Conversation options' }).click()
    await bobSide.page.getByRole('menuitem', { name: 'Summarize' }).click()
    const summary = bobSide.page.getByRole('dialog', { name: 'Summary' })
    await expect(summary.getByText(/picked by TextRank/)).toBeVisible()
    await expect(summary.locator('.summary-text')).toContainText(/migration/)
    await summary.press('Escape')

    // LLM-only help says how to configure a provider instead of failing silently.
    const first = timeline(bobSide.page).locator('article.message', { hasText: 'Marketing needs' })
    await first.hover()
    await first.getByRole('button', { name: 'AI: suggest replies, translate' }).click()
    await first.getByRole('button', { name: 'Suggest replies', exact: true }).click()
    await expect(first.getByRole('alert')).toContainText(/OPENAI_BASE_URL|provider/i)
  } finally {
    await annSide.context.close()
    await bobSide.context.close()
  }
})

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

test('export a conversation from the options menu: the worker writes it, the download holds the messages', async ({ browser }) => {
  const ann = await person('export')
  const bob = await person('exportbob')
  const channelId = await sharedChannel(ann, bob)
  for (let i = 0; i < 30; i++) await post(i % 2 ? bob : ann, channelId, `export line ${i}`)
  const { context, page } = await openAs(browser, ann)
  try {
    await openConversation(page, channelId)
    await page.getByRole('button', { name: 'Conversation options' }).click()
    await page.getByRole('menuitem', { name: 'Export…' }).click()
    const dialog = page.getByRole('dialog', { name: 'Export conversation' })
    await dialog.getByRole('button', { name: 'Export' }).click()
    await expect(dialog.getByRole('status')).toHaveText('Ready: 30 messages.', { timeout: 30_000 })
    const href = await dialog.getByRole('link', { name: 'Download' }).getAttribute('href')
    const markdown = await (await page.request.get(href!)).text()
    expect(markdown.match(/export line \d+/g)).toHaveLength(30)
    expect(markdown).toContain(`**${bob.account.displayName}**`)
  } finally {
    await context.close()
  }
})

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
    for (const text of ['offline one', 'offline two', 'offline three']) await send(page, text)
    await expect(timeline(page).locator('article.message.pending')).toHaveCount(3)

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

test('hostile markdown stays inert: no script runs, links are safe', async ({ browser }) => {
  const ann = await person('xss')
  const bob = await person('xssbob')
  const channelId = await sharedChannel(ann, bob)
  const payloads = [
    '<img src=x onerror="window.__pwned=1">',
    '[click me](javascript:window.__pwned=2)',
    '<script>window.__pwned=3</script>',
    '<a href="javascript:window.__pwned=4">raw link</a>',
    '[tab scheme](java\tscript:window.__pwned=5) and <svg onload="window.__pwned=6">',
    'safe link https://example.com/path?q=1',
  ]
  for (const content of payloads) await post(ann, channelId, content)
  const { context, page } = await openAs(browser, bob)
  try {
    const dialogs: string[] = []
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message())
      void dialog.dismiss()
    })
    await openConversation(page, channelId)
    await expect(timeline(page).getByText('safe link')).toBeVisible()
    // The payloads show as text…
    await expect(timeline(page).getByText('<img src=x onerror="window.__pwned=1">')).toBeVisible()
    await expect(timeline(page).getByText('<script>window.__pwned=3</script>')).toBeVisible()
    // …no element from them exists…
    await expect(timeline(page).locator('img, script, svg, iframe, [onerror], [onload]')).toHaveCount(0)
    // …the javascript: link is not a link, and the real one opens safely.
    await expect(timeline(page).locator('a[href^="javascript"]')).toHaveCount(0)
    const safe = timeline(page).locator('a[href="https://example.com/path?q=1"]')
    await expect(safe).toHaveAttribute('rel', /noopener/)
    await expect(safe).toHaveAttribute('target', '_blank')
    await timeline(page).getByText('click me').click()
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined()
    expect(dialogs).toEqual([])
  } finally {
    await context.close()
  }
})

test('search (Ctrl+K) finds an old message and jumps to it far up a long conversation', async ({ browser }) => {
  const ann = await person('search')
  const bob = await person('searchbob')
  const channelId = await sharedChannel(ann, bob)
  const target = await post(ann, channelId, 'the quarterly zebrafish report is ready')
  let last = target
  for (let i = 0; i < 250; i++) last = await post(bob, channelId, `filler message number ${i}`)
  // Ann has read it all, so the conversation opens at its end.
  expect((await request('POST', `/conversations/${channelId}/read`, { token: ann.token, body: { seq: last.seq } })).status).toBe(200)
  const { context, page } = await openAs(browser, ann)
  try {
    await openConversation(page, channelId)
    await expect(timeline(page).getByText('filler message number 249')).toBeVisible()
    await expect(timeline(page).getByText('zebrafish')).toHaveCount(0)

    await page.keyboard.press('Control+k')
    const dialog = page.getByRole('dialog', { name: 'Search messages' })
    await dialog.getByRole('searchbox', { name: 'Search messages' }).fill('zebrafish')
    const result = dialog.getByRole('option').first()
    await expect(result.locator('mark')).toHaveText('zebrafish')
    await dialog.getByRole('searchbox', { name: 'Search messages' }).press('Enter')

    await expect(page).toHaveURL(new RegExp(`focus=${target.id}`))
    const found = timeline(page).locator(`article.message[data-message-id="${target.id}"]`)
    await expect(found).toBeInViewport()
    await expect(found).toHaveClass(/focused/)
  } finally {
    await context.close()
  }
})

test('scrolling up pages through the whole history, keeping only a window of rows in the page', async ({ browser }) => {
  const ann = await person('scroll')
  const bob = await person('scrollbob')
  const channelId = await sharedChannel(ann, bob)
  let last = await post(bob, channelId, 'the very first message')
  for (let i = 0; i < 320; i++) last = await post(bob, channelId, `history line ${i}`)
  expect((await request('POST', `/conversations/${channelId}/read`, { token: ann.token, body: { seq: last.seq } })).status).toBe(200)
  const { context, page } = await openAs(browser, ann)
  try {
    await openConversation(page, channelId)
    await expect(timeline(page).getByText('history line 319')).toBeVisible()
    // A reader holding the scrollbar at the top: older pages keep arriving until the beginning.
    await expect(async () => {
      await timeline(page).evaluate((el) => el.scrollBy(0, -100_000))
      await expect(timeline(page).getByText('the very first message')).toBeVisible({ timeout: 1000 })
    }).toPass({ timeout: 20_000 })
    expect(await timeline(page).locator('article.message').count()).toBeLessThan(80)
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

test('file upload: progress, then the other person sees the image in the message', async ({ browser }) => {
  const ann = await person('upload')
  const bob = await person('uploadbob')
  const channelId = await sharedChannel(ann, bob)
  const annSide = await openAs(browser, ann)
  const bobSide = await openAs(browser, bob)
  try {
    const page = annSide.page
    await openConversation(page, channelId)
    await openConversation(bobSide.page, channelId)
    const png = readFileSync(join(ROOT, 'client', 'public', 'icons', 'icon-512.png'))
    await page.locator('.conversation-main .composer input[type=file]').setInputFiles({ name: 'diagram.png', mimeType: 'image/png', buffer: png })
    const row = page.getByRole('list', { name: 'Attachments' }).getByRole('listitem')
    await expect(row).toContainText('diagram.png')
    await expect(page.getByRole('button', { name: 'Remove diagram.png' })).toBeVisible()
    await composer(page).fill('here is the diagram')
    await composer(page).press('Enter')
    await expect(row).toHaveCount(0)

    const image = timeline(bobSide.page).locator('article.message', { hasText: 'here is the diagram' }).getByRole('img', { name: 'diagram.png' })
    await expect(image).toBeVisible()
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0)
  } finally {
    await annSide.context.close()
    await bobSide.context.close()
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
