// What the browser tests need from the API directly, over plain HTTP: accounts to start from and the dev outbox.
import { expect, type Page } from '@playwright/test'
import { URL_ENV } from './stack'

export interface Account {
  email: string
  username: string
  displayName: string
  password: string
}

export interface ApiReply<T = any> {
  status: number
  body: T
}

/** The account the first test registers through the UI; as the first account on the server it is the admin. */
export const ADMIN: Account = { email: 'ada@example.com', username: 'ada', displayName: 'Ada Admin', password: 'analytical engine 1843' }

let counter = 0

export function apiUrl(): string {
  const url = process.env[URL_ENV]
  if (!url) throw new Error(`${URL_ENV} is not set: run through the Playwright config, whose global setup starts the API`)
  return url
}

export async function request<T = any>(method: string, path: string, options: { body?: unknown; token?: string } = {}): Promise<ApiReply<T>> {
  const headers: Record<string, string> = {}
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(apiUrl() + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) })
  const text = await response.text()
  return { status: response.status, body: (text && (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text) as T }
}

/** A fresh account with unique names, made over HTTP (the UI registration has its own test). */
export function newAccount(label: string): Account {
  const suffix = `${++counter}${Math.random().toString(36).slice(2, 7)}`
  return { email: `${label}${suffix}@example.com`, username: `${label}${suffix}`, displayName: `${label[0]!.toUpperCase()}${label.slice(1)} ${counter}`, password: 'correct horse battery' }
}

export async function register(account: Account): Promise<{ accessToken: string; user: { id: string; role: string } }> {
  const reply = await request('POST', '/auth/register', { body: account })
  if (reply.status !== 201) throw new Error(`register ${account.username}: ${reply.status} ${JSON.stringify(reply.body)}`)
  return reply.body
}

/** Registers over HTTP and signs that session out again, so the browser's sessions are the account's only ones. */
export async function createAccount(label: string): Promise<Account> {
  adminReady ??= adminToken()
  await adminReady
  const account = newAccount(label)
  const { accessToken } = await register(account)
  const logout = await request('POST', '/auth/logout', { token: accessToken })
  if (logout.status !== 204) throw new Error(`logout after register: ${logout.status} ${JSON.stringify(logout.body)}`)
  return account
}

// Made before any other account, so that in a filtered run (without the UI registration test) the admin is still the first account.
let adminReady: Promise<string> | undefined

/** An access token of the admin; registers the admin over HTTP when the UI registration test did not. */
export async function adminToken(): Promise<string> {
  let reply = await request('POST', '/auth/login', { body: { login: ADMIN.username, password: ADMIN.password } })
  if (reply.status === 401) {
    await register(ADMIN)
    reply = await request('POST', '/auth/login', { body: { login: ADMIN.username, password: ADMIN.password } })
  }
  if (reply.status !== 200 || !reply.body.accessToken) throw new Error(`admin sign-in: ${reply.status} ${JSON.stringify(reply.body)}`)
  return reply.body.accessToken
}

/** The token in the newest mail of `kind` to `to`, read from the dev outbox as the admin; waits for the mail to land. */
export async function mailToken(to: string, kind: 'verify_email' | 'reset_password'): Promise<string> {
  const token = await adminToken()
  let found: string | undefined
  await expect
    .poll(async () => {
      const reply = await request<{ to: string; kind: string; text: string }[]>('GET', '/admin/outbox?limit=100', { token })
      expect(reply.status).toBe(200)
      found = reply.body.find((mail) => mail.to === to && mail.kind === kind)?.text.match(/Token: (\S+)/)?.[1]
      return found
    }, { message: `a ${kind} mail to ${to} in the outbox` })
    .toBeTruthy()
  return found!
}

/** The chat shell is up for this user (where signing in lands). */
export async function expectChat(page: Page, displayName: string): Promise<void> {
  await expect(page.getByText(`Signed in as ${displayName}`)).toBeVisible()
}

/** The account page (profile, two-step, devices) of this user. */
export async function openAccount(page: Page, displayName: string): Promise<void> {
  await page.goto('/account')
  await expect(page.getByRole('heading', { name: `Hello, ${displayName}` })).toBeVisible()
}

/** Signs in through the login form, waits for the chat, then opens `to` (the account page unless told otherwise). */
export async function signIn(page: Page, account: Pick<Account, 'username' | 'password' | 'displayName'>, to: '/account' | '/' = '/account'): Promise<void> {
  await page.goto('/login')
  await page.getByLabel('Email or username').fill(account.username)
  await page.getByLabel('Password').fill(account.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expectChat(page, account.displayName)
  if (to === '/account') await openAccount(page, account.displayName)
}

export async function signOut(page: Page): Promise<void> {
  // The devices list has its own "Sign out" buttons (for other devices); this one sits below it.
  await page.locator('.links').getByRole('button', { name: 'Sign out' }).click()
  await expect(page).toHaveURL(/\/login$/)
}
