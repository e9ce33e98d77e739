// Shared setup for the chat browser tests: accounts, a workspace with a channel both people are in, and signed-in pages.
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test'
import { createAccount, request, signIn, type Account } from './api'

export interface Person {
  account: Account
  token: string
  userId: string
}

export async function person(label: string): Promise<Person> {
  const account = await createAccount(label)
  const login = await request('POST', '/auth/login', { body: { login: account.username, password: account.password } })
  if (login.status !== 200) throw new Error(`login ${label}: ${login.status}`)
  return { account, token: login.body.accessToken, userId: login.body.user.id }
}

/** People in one workspace channel (the owner creates it, the others join by link); returns the channel id. */
export async function sharedChannel(owner: Person, members: Person | Person[], name = `room-${Date.now().toString(36)}`): Promise<string> {
  const workspace = await request('POST', '/workspaces', { token: owner.token, body: { name: `Team ${name}` } })
  expect(workspace.status).toBe(201)
  const channel = await request('POST', '/conversations', { token: owner.token, body: { kind: 'channel', workspaceId: workspace.body.id, name } })
  expect(channel.status).toBe(201)
  const invite = await request('POST', `/workspaces/${workspace.body.id}/invites`, { token: owner.token, body: { kind: 'link' } })
  expect(invite.status).toBe(201)
  for (const member of Array.isArray(members) ? members : [members]) {
    expect((await request('POST', `/invites/${invite.body.code}/accept`, { token: member.token })).status).toBe(200)
    expect((await request('POST', `/conversations/${channel.body.id}/join`, { token: member.token })).status).toBe(200)
  }
  return channel.body.id
}

export async function post(author: Person, conversationId: string, content: string): Promise<{ id: string; seq: number }> {
  const reply = await request('POST', `/conversations/${conversationId}/messages`, { token: author.token, body: { content } })
  if (reply.status !== 201) throw new Error(`post: ${reply.status} ${JSON.stringify(reply.body)}`)
  return reply.body
}

export async function messages(reader: Person, conversationId: string): Promise<Array<{ content: string; clientMsgId: string | null; senderId: string }>> {
  const reply = await request('GET', `/conversations/${conversationId}/messages?limit=200`, { token: reader.token })
  expect(reply.status).toBe(200)
  return reply.body.messages
}

/** A signed-in page in its own browser context (own storage, own service worker). */
export async function openAs(browser: Browser, who: Person, viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport })
  const page = await context.newPage()
  // A page that breaks says why in the test output.
  page.on('pageerror', (error) => console.error(`[${who.account.username}] page error: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`[${who.account.username}] console: ${message.text()}`)
  })
  await signIn(page, who.account, '/')
  return { context, page }
}

export function conversationLink(page: Page, conversationId: string) {
  return page.locator(`a[data-conversation="${conversationId}"]`)
}

export async function openConversation(page: Page, conversationId: string): Promise<void> {
  await conversationLink(page, conversationId).click()
  await expect(page).toHaveURL(new RegExp(`/c/${conversationId}`))
  await expect(page.getByTestId('connection')).toHaveText(/Connected/)
}

export function composer(page: Page) {
  return page.locator('.conversation-main .composer textarea')
}

export function timeline(page: Page) {
  return page.getByTestId('message-list')
}

export async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text)
  await composer(page).press('Enter')
}
