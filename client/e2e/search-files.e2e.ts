// Search beyond messages: files by name in the search dialog (Ctrl+K → Files), and people you share nothing with found by exact username.
import { expect, test } from '@playwright/test'
import { apiUrl, request } from './api'
import { openAs, openConversation, person, sharedChannel, timeline, type Person } from './chat-kit'

async function upload(owner: Person, name: string): Promise<string> {
  const bytes = new Uint8Array(4_000)
  bytes.set([0x50, 0x4b, 0x03, 0x04], 0) // a zip
  const response = await fetch(`${apiUrl()}/files?name=${encodeURIComponent(name)}`, { method: 'POST', headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/octet-stream' }, body: bytes })
  expect(response.status).toBe(201)
  return ((await response.json()) as { id: string }).id
}

test('search files: a file shared in a channel is found by part of its name and opens at its message', async ({ browser }) => {
  const ann = await person('files')
  const bob = await person('filesbob')
  const channelId = await sharedChannel(ann, bob)
  const fileId = await upload(ann, 'Quarterly budget 2027.zip')
  const shared = await request('POST', `/conversations/${channelId}/messages`, { token: ann.token, body: { content: 'the budget, as promised', attachments: [fileId] } })
  expect(shared.status).toBe(201)
  // Ann's other file is in no conversation Bob can read.
  await upload(ann, 'Quarterly salaries 2027.zip')
  const { context, page } = await openAs(browser, bob)
  try {
    await openConversation(page, channelId)
    await page.keyboard.press('Control+k')
    await page.getByRole('dialog', { name: 'Search messages' }).getByRole('tab', { name: 'Files' }).click()
    const dialog = page.getByRole('dialog', { name: 'Search files' })
    await expect(dialog.getByRole('tab', { name: 'Files' })).toHaveAttribute('aria-selected', 'true')
    const box = dialog.getByRole('searchbox', { name: 'Search files' })
    await expect(box).toBeFocused()
    await box.fill('quarterly')
    const results = dialog.getByRole('option')
    await expect(results).toHaveCount(1)
    await expect(results.first().locator('mark')).toHaveText('Quarterly')
    await expect(results.first()).toContainText('budget 2027.zip')
    await box.fill('salaries')
    await expect(dialog.getByText('No files match.')).toBeVisible()
    await box.fill('budget 20')
    await expect(results.first().locator('mark')).toHaveText(['budget', '20'])
    await box.press('Enter')
    await expect(page).toHaveURL(new RegExp(`focus=${shared.body.id}`))
    await expect(timeline(page).locator(`article.message[data-message-id="${shared.body.id}"]`)).toBeInViewport()
  } finally {
    await context.close()
  }
})

test('new message: someone you share nothing with is found by exact username, not by part of it', async ({ browser }) => {
  const ann = await person('seeker')
  const newcomer = await person('newcomer')
  const { context, page } = await openAs(browser, ann)
  try {
    await page.getByRole('button', { name: 'New message' }).click()
    const dialog = page.getByRole('dialog', { name: 'New message' })
    const to = dialog.getByLabel('To')
    const found = dialog.getByRole('button', { name: new RegExp(`@${newcomer.account.username}`) })
    const fragment = newcomer.account.username.slice(0, -2)
    const answered = page.waitForResponse((response) => response.url().includes(`/search/users?q=${fragment}`) && response.request().method() === 'GET')
    await to.fill(fragment)
    expect(await (await answered).json()).toEqual([])
    await expect(dialog.locator('#people-results li')).toHaveCount(0)
    await to.fill(newcomer.account.username)
    await found.click()
    await dialog.getByRole('button', { name: 'Start conversation' }).click()
    await expect(page).toHaveURL(/\/c\//)
    const conversationId = new URL(page.url()).pathname.split('/').pop()!
    const conversation = await request('GET', `/conversations/${conversationId}`, { token: newcomer.token })
    expect(conversation.status).toBe(200)
    expect(conversation.body.kind).toBe('dm')
  } finally {
    await context.close()
  }
})
