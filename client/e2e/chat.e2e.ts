// Messaging between people in the browser: live chat, threads, receipts, search, history, files, voice, safe rendering.
import { expect, test } from '@playwright/test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { composer, conversationLink, messages, openAs, openConversation, person, post, send, sharedChannel, timeline } from './chat-kit'
import { request } from './api'
import { ROOT } from './stack'

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
