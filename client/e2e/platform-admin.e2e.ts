// Runs after auth.e2e.ts (files run in name order): that file registers the first account, the admin, through the UI.
import { expect, test } from '@playwright/test'
import { ADMIN, adminToken, createAccount, request } from './api'

test('an administrator finds a person, disables them (they can no longer sign in), and reads the audit log', async ({ page }) => {
  await adminToken() // the admin account exists (registered by the UI test or here)
  const target = await createAccount('adminee')
  await page.goto('/login?next=/admin')
  await page.getByLabel('Email or username').fill(ADMIN.username)
  await page.getByLabel('Password').fill(ADMIN.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('heading', { name: 'Administration' })).toBeVisible()

  await page.getByRole('searchbox', { name: 'Search people' }).fill(target.username)
  const row = page.getByRole('row', { name: new RegExp(target.username) })
  await expect(row).toHaveCount(1)
  await row.getByRole('button', { name: 'Disable' }).click()
  await expect(row.getByRole('cell', { name: 'Disabled' })).toBeVisible()
  const login = await request('POST', '/auth/login', { body: { login: target.username, password: target.password } })
  expect(login.status).toBe(403)

  await page.getByRole('tab', { name: 'Audit log' }).click()
  await expect(page.getByRole('tabpanel', { name: 'Audit log' }).getByRole('cell', { name: /disable/i }).first()).toBeVisible()
})

test('the administration page refuses people who are not administrators', async ({ page }) => {
  const someone = await createAccount('notadmin')
  await page.goto('/login?next=/admin')
  await page.getByLabel('Email or username').fill(someone.username)
  await page.getByLabel('Password').fill(someone.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByText('Only platform administrators can open this page.')).toBeVisible()
  await expect(page.getByRole('tab')).toHaveCount(0)
})

test('a lounge moderator mutes someone from their message; the mute holds and lands in the moderation log', async ({ page }) => {
  const token = await adminToken()
  const lounge = await request('POST', '/conversations', { token, body: { kind: 'lounge', name: `Lounge ${Date.now().toString(36)}` } })
  expect(lounge.status).toBe(201)
  const loud = await createAccount('loud')
  const loudLogin = await request('POST', '/auth/login', { body: { login: loud.username, password: loud.password } })
  expect((await request('POST', `/conversations/${lounge.body.id}/join`, { token: loudLogin.body.accessToken })).status).toBe(200)
  expect((await request('POST', `/conversations/${lounge.body.id}/messages`, { token: loudLogin.body.accessToken, body: { content: 'BUY CHEAP STUFF NOW' } })).status).toBe(201)

  await page.goto(`/login?next=/c/${lounge.body.id}`)
  await page.getByLabel('Email or username').fill(ADMIN.username)
  await page.getByLabel('Password').fill(ADMIN.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  const message = page.locator('article.message', { hasText: 'BUY CHEAP STUFF NOW' })
  await message.hover()
  await message.getByRole('button', { name: 'Moderate' }).click()
  const dialog = page.getByRole('dialog', { name: `Moderate ${loud.displayName}` })
  await dialog.getByLabel(/Reason/).fill('spam')
  await dialog.getByRole('button', { name: 'Mute 10 min' }).click()
  await expect(dialog.getByRole('status')).toHaveText('Muted for 10 minutes.')
  await dialog.press('Escape')

  const refused = await request('POST', `/conversations/${lounge.body.id}/messages`, { token: loudLogin.body.accessToken, body: { content: 'still here' } })
  expect(refused.status).toBe(403)
  await page.getByRole('button', { name: 'Conversation options' }).click()
  await page.getByRole('menuitem', { name: 'Moderation log' }).click()
  await expect(page.getByRole('dialog', { name: 'Moderation log' }).getByText('“spam”')).toBeVisible()
})

test('an administrator opens a lounge from the sidebar; it is listed and open to others', async ({ page }) => {
  await adminToken()
  await page.goto('/login')
  await page.getByLabel('Email or username').fill(ADMIN.username)
  await page.getByLabel('Password').fill(ADMIN.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'New lounge' }).click()
  const dialog = page.getByRole('dialog', { name: 'New lounge' })
  const name = `Open lounge ${Date.now().toString(36)}`
  await dialog.getByLabel('Name').fill(name)
  await dialog.getByRole('button', { name: 'Create lounge' }).click()
  await expect(page).toHaveURL(/\/c\//)
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible()

  const visitor = await createAccount('visitor')
  const login = await request('POST', '/auth/login', { body: { login: visitor.username, password: visitor.password } })
  const lounges = await request('GET', '/conversations/lounges', { token: login.body.accessToken })
  expect(lounges.body.map((l: { name: string }) => l.name)).toContain(name)
})
