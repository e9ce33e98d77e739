// Around the conversations: joining a workspace by link, stories, exports.
import { expect, test } from '@playwright/test'
import { openAs, openConversation, person, post, sharedChannel, timeline } from './chat-kit'
import { request } from './api'

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
