import { expect, test, type Page } from '@playwright/test'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { totpAt } from '../../server/src/lib/totp.ts'
import { ADMIN, createAccount, expectChat, mailToken, openAccount, request, signIn, signOut } from './api'
import { lowContrast } from './contrast'
import { ROOT } from './stack'

const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots')

function sessionsList(page: Page) {
  return page.getByRole('list', { name: 'Sessions' })
}

// Declared first: on the fresh server of this run, the account made here is the first one.
test('registering through the UI makes the first account the admin; the display name saves', async ({ page }) => {
  await page.goto('/register')
  await page.getByLabel('Email').fill(ADMIN.email)
  await page.getByLabel('Username').fill(ADMIN.username)
  await page.getByLabel('Display name').fill(ADMIN.displayName)
  await page.getByLabel('Password').fill(ADMIN.password)
  await page.getByRole('button', { name: 'Create account' }).click()

  await expect(page).toHaveURL(/\/$/)
  await expectChat(page, ADMIN.displayName)
  await openAccount(page, ADMIN.displayName)
  await expect(page.getByText(`@${ADMIN.username}`)).toBeVisible()
  await expect(page.getByText('admin', { exact: true })).toBeVisible()
  await expect(sessionsList(page).getByRole('listitem')).toHaveCount(1)
  await expect(sessionsList(page).getByText('this device')).toBeVisible()

  await page.getByLabel('Display name').fill('Ada Lovelace')
  await page.getByRole('button', { name: 'Save' }).click()
  await expect(page.getByRole('status')).toHaveText('Profile saved.')
  await expect(page.getByRole('heading', { name: 'Hello, Ada Lovelace' })).toBeVisible()

  await page.reload()
  await expect(page.getByRole('heading', { name: 'Hello, Ada Lovelace' })).toBeVisible()
  await expect(page.getByLabel('Display name')).toHaveValue('Ada Lovelace')
})

test('a wrong password shows the server message and keeps the form filled', async ({ page }) => {
  const account = await createAccount('wrongpw')
  const expected = await request('POST', '/auth/login', { body: { login: account.username, password: 'not the password' } })
  expect(expected.status).toBe(401)
  expect(expected.body.error.code).toBe('INVALID_CREDENTIALS')

  await page.goto('/login')
  await page.getByLabel('Email or username').fill(account.username)
  await page.getByLabel('Password').fill('not the password either')
  await page.getByRole('button', { name: 'Sign in' }).click()

  await expect(page.getByRole('alert')).toHaveText(expected.body.error.message)
  await expect(page).toHaveURL(/\/login$/)
  await expect(page.getByLabel('Email or username')).toHaveValue(account.username)
  await expect(page.getByLabel('Password')).toHaveValue('not the password either')
})

test('two-step verification: set up with the QR key, sign in with a code, then with a recovery code', async ({ page }) => {
  const account = await createAccount('mfa')
  await signIn(page, account)

  await page.getByRole('button', { name: 'Set up' }).click()
  const qr = page.getByRole('img', { name: 'QR code for your authenticator app' })
  await expect(qr).toBeVisible()
  expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml/)
  const secret = (await page.locator('code.secret').textContent())!.trim()
  expect(secret).toMatch(/^[A-Z2-7]{16,}$/)

  // The current step confirms; the next one signs in below (the server refuses a step it has seen).
  await page.getByLabel('Code from the app').fill(totpAt(secret, Date.now()))
  await page.getByRole('button', { name: 'Turn on' }).click()
  const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')
  await expect(codes).toHaveCount(10)
  const recoveryCodes = (await codes.allTextContents()).map((code) => code.trim())
  expect(new Set(recoveryCodes).size).toBe(10)
  await expect(page.getByText('on · 10 recovery codes left')).toBeVisible()

  await signOut(page)
  await page.getByLabel('Email or username').fill(account.username)
  await page.getByLabel('Password').fill(account.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible()
  await page.getByLabel('Code').fill(totpAt(secret, Date.now() + 30_000))
  await page.getByRole('button', { name: 'Verify' }).click()
  await expectChat(page, account.displayName)

  await openAccount(page, account.displayName)
  await signOut(page)
  await page.getByLabel('Email or username').fill(account.username)
  await page.getByLabel('Password').fill(account.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible()
  await page.getByLabel('Code').fill(recoveryCodes[0]!)
  await page.getByRole('button', { name: 'Verify' }).click()
  await expectChat(page, account.displayName)
  await openAccount(page, account.displayName)
  await expect(page.getByText('on · 9 recovery codes left')).toBeVisible()
})

test('revoking another device signs that browser out', async ({ page, browser }) => {
  const account = await createAccount('devices')
  await signIn(page, account)
  const other = await browser.newContext()
  try {
    const otherPage = await other.newPage()
    await signIn(otherPage, account)

    await page.reload()
    const rows = sessionsList(page).getByRole('listitem')
    await expect(rows).toHaveCount(2)
    await rows.filter({ hasNotText: 'this device' }).getByRole('button', { name: 'Sign out' }).click()
    await expect(page.getByRole('status')).toHaveText('Device signed out.')
    await expect(rows).toHaveCount(1)
    await expect(rows.getByText('this device')).toBeVisible()

    await otherPage.reload()
    await expect(otherPage).toHaveURL(/\/login$/)
    await expect(otherPage.getByRole('heading', { name: 'Sign in' })).toBeVisible()
    expect(await otherPage.evaluate(() => localStorage.getItem('parley.session'))).toBeNull()
  } finally {
    await other.close()
  }
})

test('forgot password: the mailed link sets a new password; only the new one signs in', async ({ page }) => {
  const account = await createAccount('reset')
  await page.goto('/forgot-password')
  await page.getByLabel('Email').fill(account.email)
  await page.getByRole('button', { name: 'Send reset link' }).click()
  await expect(page.getByRole('status')).toContainText('reset link is on its way')

  const token = await mailToken(account.email, 'reset_password')
  const newPassword = 'a brand new passphrase'
  await page.goto(`/reset-password?token=${encodeURIComponent(token)}`)
  await page.getByLabel('New password', { exact: true }).fill(newPassword)
  await page.getByRole('button', { name: 'Set password' }).click()
  await expect(page).toHaveURL(/\/login\?reset=1$/)
  await expect(page.getByRole('status')).toContainText('Your password was changed')

  await page.getByLabel('Email or username').fill(account.username)
  await page.getByLabel('Password').fill(account.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('alert')).toHaveText('Email/username or password is incorrect')

  await page.getByLabel('Password').fill(newPassword)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expectChat(page, account.displayName)
})

test('the email verification link confirms once', async ({ page }) => {
  const account = await createAccount('verify')
  const token = await mailToken(account.email, 'verify_email')

  await page.goto(`/verify-email?token=${encodeURIComponent(token)}`)
  await expect(page.getByRole('status')).toHaveText('Your email address is confirmed.')
  const login = await request('POST', '/auth/login', { body: { login: account.username, password: account.password } })
  const me = await request('GET', '/users/me', { token: login.body.accessToken })
  expect(me.body.emailVerified).toBe(true)

  await page.reload()
  await expect(page.getByRole('alert')).toContainText('This link was already used')
  await expect(page.getByText('Your email address is confirmed.')).toHaveCount(0)
})

for (const viewport of [{ width: 1440, height: 900 }, { width: 360, height: 740 }]) {
  test.describe(`at ${viewport.width}×${viewport.height}`, () => {
    test.use({ viewport })

    test('login, register and account pages fit and are captured', async ({ page }) => {
      mkdirSync(SCREENSHOTS, { recursive: true })
      const size = `${viewport.width}x${viewport.height}`
      const fitsWidth = () => page.evaluate(() => document.documentElement.scrollWidth)

      await page.goto('/login')
      await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible()
      expect(await fitsWidth()).toBeLessThanOrEqual(viewport.width)
      await page.screenshot({ path: join(SCREENSHOTS, `login-${size}.png`), fullPage: true })
      expect(await lowContrast(page)).toEqual([])

      await page.goto('/register')
      await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible()
      expect(await fitsWidth()).toBeLessThanOrEqual(viewport.width)
      await page.screenshot({ path: join(SCREENSHOTS, `register-${size}.png`), fullPage: true })

      const account = await createAccount('shot')
      await signIn(page, account)
      await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible()
      await expect(page.getByRole('button', { name: 'Set up' })).toBeVisible()
      await expect(sessionsList(page).getByText('this device')).toBeVisible()
      expect(await fitsWidth()).toBeLessThanOrEqual(viewport.width)
      await page.screenshot({ path: join(SCREENSHOTS, `account-${size}.png`), fullPage: true })
      expect(await lowContrast(page)).toEqual([])
      await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'))
      expect(await lowContrast(page)).toEqual([])
    })
  })
}
