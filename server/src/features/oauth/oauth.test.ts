import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { and, count, eq } from 'drizzle-orm'
import { OAuth2Server } from 'oauth2-mock-server'
import { oauthAccounts, sessions } from '../../db/schema'
import { expectErrorShape, startServer, totpNow, type Session, type TestServer } from '../../../test/harness'

// The client's public origin; the browser steps below map it onto the test server's loopback address.
const PUBLIC_URL = 'http://parley.test'

let provider: OAuth2Server
let githubApi: ReturnType<typeof Bun.serve>
let server: TestServer
let admin: Session

/** What the mock's /userinfo and the GitHub API answer next. */
let userinfo: Record<string, unknown> = {}
let githubUser: Record<string, unknown> = {}
let githubEmails: Array<{ email: string; primary: boolean; verified: boolean }> = []
/** Form bodies the mock's token endpoint received. */
const tokenRequests: Array<Record<string, unknown>> = []

function providerEnv(issuer: string, github: string, names: Array<'GOOGLE' | 'GITHUB' | 'MICROSOFT'>): Record<string, string> {
  const env: Record<string, string> = { PUBLIC_URL }
  for (const name of names) {
    env[`OAUTH_${name}_CLIENT_ID`] = `${name.toLowerCase()}-client`
    env[`OAUTH_${name}_CLIENT_SECRET`] = `${name.toLowerCase()}-secret`
    env[`OAUTH_${name}_AUTHORIZE_URL`] = `${issuer}/authorize`
    env[`OAUTH_${name}_TOKEN_URL`] = `${issuer}/token`
    env[`OAUTH_${name}_USERINFO_URL`] = name === 'GITHUB' ? `${github}/user` : `${issuer}/userinfo`
  }
  if (names.includes('GITHUB')) env.OAUTH_GITHUB_EMAILS_URL = `${github}/user/emails`
  return env
}

beforeAll(async () => {
  provider = new OAuth2Server()
  await provider.issuer.keys.generate('RS256')
  await provider.start(0, '127.0.0.1')
  provider.service.on('beforeUserinfo', (response) => {
    response.body = userinfo
  })
  provider.service.on('beforeResponse', (_response, request) => {
    tokenRequests.push({ ...(request.body as Record<string, unknown>) })
  })
  githubApi = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(request) {
      if (!request.headers.get('authorization')?.startsWith('Bearer ')) return Response.json({ message: 'Requires authentication' }, { status: 401 })
      const path = new URL(request.url).pathname
      if (path === '/user') return Response.json(githubUser)
      if (path === '/user/emails') return Response.json(githubEmails)
      return new Response('not found', { status: 404 })
    },
  })
  const issuer = `http://127.0.0.1:${provider.address().port}`
  server = await startServer(providerEnv(issuer, `http://127.0.0.1:${githubApi.port}`, ['GOOGLE', 'GITHUB', 'MICROSOFT']))
  admin = await server.register()
})

afterAll(async () => {
  await server.stop()
  await githubApi.stop(true)
  await provider.stop()
})

interface Flow {
  authorizeUrl: URL
  startCookie: string
  callbackUrl: URL
  callbackResponse: Response
  /** Where the browser lands on the client at the end. */
  landing: URL
}

/** The browser's part: start, the provider's authorize redirect, then our callback with the cookie. */
async function browse(name: string, options: { redirect?: string; editCallback?: (url: URL) => void; cookie?: (cookie: string) => string } = {}): Promise<Flow> {
  const start = await fetch(`${server.url}/auth/oauth/${name}/start${options.redirect ? `?redirect=${encodeURIComponent(options.redirect)}` : ''}`, { redirect: 'manual' })
  expect(start.status).toBe(302)
  const startCookie = start.headers.getSetCookie().find((c) => c.startsWith('parley_oauth='))!
  expect(startCookie).toBeDefined()
  const authorizeUrl = new URL(start.headers.get('location')!)
  const authorize = await fetch(authorizeUrl, { redirect: 'manual' })
  expect(authorize.status).toBe(302)
  const callbackUrl = new URL(authorize.headers.get('location')!)
  expect(callbackUrl.origin).toBe(PUBLIC_URL)
  options.editCallback?.(callbackUrl)
  const pair = startCookie.split(';')[0]!
  const callbackResponse = await fetch(`${server.url}${callbackUrl.pathname}${callbackUrl.search}`, { redirect: 'manual', headers: { cookie: options.cookie ? options.cookie(pair) : pair } })
  expect(callbackResponse.status).toBe(302)
  return { authorizeUrl, startCookie, callbackUrl, callbackResponse, landing: new URL(callbackResponse.headers.get('location')!) }
}

function exchange(code: string) {
  return server.request('POST', '/auth/oauth/exchange', { body: { code } })
}

/** Runs the whole flow and swaps the code for tokens. */
async function signIn(name: string, redirect?: string) {
  const flow = await browse(name, { redirect })
  const code = flow.landing.searchParams.get('oauth_code')
  if (!code) throw new Error(`no oauth_code: ${flow.landing}`)
  const tokens = await exchange(code)
  expect(tokens.status).toBe(200)
  return { flow, tokens: tokens.body }
}

async function me(accessToken: string) {
  const response = await server.request('GET', '/users/me', { token: accessToken })
  expect(response.status).toBe(200)
  return response.body
}

function linkCount(providerName: 'google' | 'github' | 'microsoft', providerUserId: string): number {
  return server.ctx.db.select({ n: count() }).from(oauthAccounts).where(and(eq(oauthAccounts.provider, providerName), eq(oauthAccounts.providerUserId, providerUserId))).get()!.n
}

function sessionCount(): number {
  return server.ctx.db.select({ n: count() }).from(sessions).get()!.n
}

async function verifyEmail(session: Session) {
  const token = server.mailToken(session.user.email, 'verify_email')
  expect((await server.request('POST', '/auth/verify-email', { body: { token } })).status).toBe(200)
}

describe('sign-in flows', () => {
  test('google: a new account is created with a verified email, lands on the client path and the tokens work', async () => {
    userinfo = { sub: 'google-ada', email: 'Ada@Example.test', email_verified: true, name: 'Ada Lovelace' }
    const { flow, tokens } = await signIn('google', '/chat/general')
    expect(flow.landing.origin).toBe(PUBLIC_URL)
    expect(flow.landing.pathname).toBe('/chat/general')
    expect([...flow.landing.searchParams.keys()]).toEqual(['oauth_code'])
    const user = await me(tokens.accessToken)
    expect(user).toMatchObject({ email: 'ada@example.test', emailVerified: true, displayName: 'Ada Lovelace', username: 'ada-lovelace', role: 'user' })
    expect(tokens.refreshToken.length).toBeGreaterThan(30)
    expect(server.ctx.services.users.get(user.id).passwordHash).toBeNull()
    const listed = await server.request('GET', '/users/me/sessions', { token: tokens.accessToken })
    expect(listed.body.map((s: { method: string }) => s.method)).toEqual(['oauth:google'])
    expect(server.ctx.audit.list({ limit: 10, userId: user.id }).map((e) => e.action)).toEqual(['auth.oauth.login', 'auth.register'])
    expect(linkCount('google', 'google-ada')).toBe(1)
  })

  test('the flow cookie is httpOnly, SameSite=Lax, scoped to /auth/oauth for 10 minutes, and cleared by the callback', async () => {
    userinfo = { sub: 'google-cookie', email: 'cookie@example.test', email_verified: true }
    const { flow } = await signIn('google')
    const attributes = flow.startCookie.toLowerCase()
    for (const attribute of ['httponly', 'samesite=lax', 'path=/auth/oauth', 'max-age=600']) expect(attributes).toContain(attribute)
    expect(flow.startCookie).not.toContain(flow.authorizeUrl.searchParams.get('state')!)
    const cleared = flow.callbackResponse.headers.getSetCookie().find((c) => c.startsWith('parley_oauth='))!
    expect(cleared.toLowerCase()).toContain('max-age=0')
    expect(cleared.toLowerCase()).toContain('path=/auth/oauth')
    expect(flow.landing.pathname).toBe('/')
  })

  test('github: the primary verified address is used, not the public or an unverified one', async () => {
    githubUser = { id: 4242, login: 'Octo-Cat', name: 'The Octocat', email: 'public@octo.test' }
    githubEmails = [
      { email: 'old@octo.test', primary: false, verified: true },
      { email: 'primary@octo.test', primary: true, verified: true },
      { email: 'unverified@octo.test', primary: false, verified: false },
    ]
    const { tokens } = await signIn('github')
    const user = await me(tokens.accessToken)
    expect(user).toMatchObject({ email: 'primary@octo.test', emailVerified: true, username: 'octo-cat', displayName: 'The Octocat' })
    expect(linkCount('github', '4242')).toBe(1)
    const again = await signIn('github')
    expect(again.tokens.user.id).toBe(user.id)
  })

  test('microsoft: links to the password account with the same verified email; password and OAuth reach the same user', async () => {
    const account = await server.register({ email: 'grace@contoso.test' })
    await verifyEmail(account)
    userinfo = { sub: 'ms-grace', email: 'Grace@Contoso.test', email_verified: true, name: 'Grace Hopper' }
    const { tokens } = await signIn('microsoft')
    expect(tokens.user.id).toBe(account.user.id)
    expect(tokens.user.username).toBe(account.user.username)
    expect(linkCount('microsoft', 'ms-grace')).toBe(1)
    expect(server.ctx.audit.list({ limit: 10, userId: account.user.id }).map((e) => e.action)).toContain('auth.oauth.linked')

    const password = await server.login(account.user.email, account.password)
    expect(password.status).toBe(200)
    expect(password.body.user.id).toBe(account.user.id)
    const linkedAgain = await signIn('microsoft')
    expect(linkedAgain.tokens.user.id).toBe(account.user.id)
    expect(linkCount('microsoft', 'ms-grace')).toBe(1)
  })

  test('a first OAuth sign-up on an empty server becomes its administrator', async () => {
    const issuer = `http://127.0.0.1:${provider.address().port}`
    const fresh = await startServer(providerEnv(issuer, `http://127.0.0.1:${githubApi.port}`, ['GOOGLE']))
    try {
      userinfo = { sub: 'google-founder', email: 'founder@example.test', email_verified: true, name: 'Founder' }
      const start = await fetch(`${fresh.url}/auth/oauth/google/start`, { redirect: 'manual' })
      const pair = start.headers.getSetCookie()[0]!.split(';')[0]!
      const callback = new URL((await fetch(start.headers.get('location')!, { redirect: 'manual' })).headers.get('location')!)
      const landing = new URL((await fetch(`${fresh.url}${callback.pathname}${callback.search}`, { redirect: 'manual', headers: { cookie: pair } })).headers.get('location')!)
      const tokens = await fresh.request('POST', '/auth/oauth/exchange', { body: { code: landing.searchParams.get('oauth_code') } })
      expect(tokens.status).toBe(200)
      expect(tokens.body.user.role).toBe('admin')
    } finally {
      await fresh.stop()
    }
  })
})

describe('linking rules', () => {
  test('an unverified provider email that matches an existing account is refused and not linked', async () => {
    const account = await server.register({ email: 'bob@example.test' })
    await verifyEmail(account)
    userinfo = { sub: 'google-mallory', email: 'bob@example.test', email_verified: false }
    const before = sessionCount()
    const flow = await browse('google', { redirect: '/settings' })
    expect(flow.landing.pathname).toBe('/settings')
    expect(flow.landing.searchParams.get('oauth_error')).toBe('OAUTH_EMAIL_NOT_VERIFIED')
    expect(flow.landing.searchParams.has('oauth_code')).toBe(false)
    expect(linkCount('google', 'google-mallory')).toBe(0)
    expect(sessionCount()).toBe(before)
  })

  test('a verified provider email does not take over an account whose own email was never confirmed', async () => {
    const squatter = await server.register({ email: 'carol@example.test' })
    userinfo = { sub: 'google-carol', email: 'carol@example.test', email_verified: true }
    const flow = await browse('google')
    expect(flow.landing.searchParams.get('oauth_error')).toBe('OAUTH_ACCOUNT_NOT_VERIFIED')
    expect(linkCount('google', 'google-carol')).toBe(0)
    expect((await server.login(squatter.user.email, squatter.password)).body.user.id).toBe(squatter.user.id)
  })

  test('a GitHub account without a verified primary address signs up unverified', async () => {
    githubUser = { id: 777, login: 'nomail', name: null, email: 'shown@nomail.test' }
    githubEmails = [{ email: 'shown@nomail.test', primary: true, verified: false }]
    const { tokens } = await signIn('github')
    expect(tokens.user).toMatchObject({ email: 'shown@nomail.test', emailVerified: false, username: 'nomail', displayName: 'nomail' })
  })

  test('a disabled user is sent back with ACCOUNT_DISABLED and gets no session', async () => {
    userinfo = { sub: 'google-dave', email: 'dave@example.test', email_verified: true }
    const { tokens } = await signIn('google')
    expect((await server.request('POST', `/admin/users/${tokens.user.id}/disable`, { token: admin.accessToken })).status).toBe(200)
    const before = sessionCount()
    const flow = await browse('google')
    expect(flow.landing.searchParams.get('oauth_error')).toBe('ACCOUNT_DISABLED')
    expect(sessionCount()).toBe(before)
  })

  test('with two-factor on, the exchange answers an MFA challenge that a recovery code completes', async () => {
    userinfo = { sub: 'google-erin', email: 'erin@example.test', email_verified: true }
    const { tokens } = await signIn('google')
    const setup = await server.request('POST', '/users/me/mfa/setup', { token: tokens.accessToken })
    const confirm = await server.request('POST', '/users/me/mfa/confirm', { token: tokens.accessToken, body: { code: await totpNow(setup.body.secret) } })
    expect(confirm.status).toBe(200)
    const flow = await browse('google')
    const challenge = await exchange(flow.landing.searchParams.get('oauth_code')!)
    expect(challenge.status).toBe(200)
    expect(challenge.body).toMatchObject({ mfaRequired: true })
    expect(challenge.body.accessToken).toBeUndefined()
    const verified = await server.request('POST', '/auth/mfa/verify', { body: { challengeToken: challenge.body.challengeToken, recoveryCode: confirm.body.recoveryCodes[0] } })
    expect(verified.status).toBe(200)
    expect(verified.body.user.id).toBe(tokens.user.id)
  })
})

describe('state, PKCE and the exchange code', () => {
  test('PKCE: the authorize URL carries an S256 challenge and the token request the matching verifier', async () => {
    userinfo = { sub: 'google-pkce', email: 'pkce@example.test', email_verified: true }
    const { flow } = await signIn('google')
    const params = flow.authorizeUrl.searchParams
    expect(params.get('code_challenge_method')).toBe('S256')
    expect(params.get('response_type')).toBe('code')
    expect(params.get('client_id')).toBe('google-client')
    expect(params.get('redirect_uri')).toBe(`${PUBLIC_URL}/auth/oauth/google/callback`)
    expect(params.get('scope')).toBe('openid email profile')
    expect(params.get('state')!.length).toBeGreaterThanOrEqual(43)
    expect(flow.authorizeUrl.search).not.toContain('google-secret')
    const sent = tokenRequests.at(-1)!
    expect(sent.grant_type).toBe('authorization_code')
    expect(sent.code).toBe(flow.callbackUrl.searchParams.get('code'))
    expect(typeof sent.code_verifier).toBe('string')
    expect(createHash('sha256').update(String(sent.code_verifier)).digest('base64url')).toBe(params.get('code_challenge')!)
  })

  test('a tampered state, a tampered cookie or a cookie from another provider end in OAUTH_STATE_MISMATCH without a token request or session', async () => {
    userinfo = { sub: 'google-eve', email: 'eve@example.test', email_verified: true }
    const tokenCalls = tokenRequests.length
    const sessionsBefore = sessionCount()

    const badState = await browse('google', { redirect: '/inbox', editCallback: (url) => url.searchParams.set('state', `${url.searchParams.get('state')}x`) })
    expect(badState.landing.searchParams.get('oauth_error')).toBe('OAUTH_STATE_MISMATCH')
    expect(badState.landing.pathname).toBe('/inbox')

    const badCookie = await browse('google', { cookie: (pair) => pair.slice(0, -2) + (pair.endsWith('A') ? 'BB' : 'AA') })
    expect(badCookie.landing.searchParams.get('oauth_error')).toBe('OAUTH_STATE_MISMATCH')
    expect(badCookie.landing.pathname).toBe('/')

    const crossed = await browse('google', { editCallback: (url) => (url.pathname = '/auth/oauth/microsoft/callback') })
    expect(crossed.landing.searchParams.get('oauth_error')).toBe('OAUTH_STATE_MISMATCH')

    const noCookie = await browse('google', { cookie: () => '' })
    expect(noCookie.landing.searchParams.get('oauth_error')).toBe('OAUTH_STATE_MISMATCH')

    expect(tokenRequests.length).toBe(tokenCalls)
    expect(sessionCount()).toBe(sessionsBefore)
    expect(linkCount('google', 'google-eve')).toBe(0)
  })

  test('a callback with neither cookie nor state is 400 OAUTH_STATE_MISSING', async () => {
    const response = await server.request('GET', '/auth/oauth/google/callback?code=abc')
    expect(response.status).toBe(400)
    expectErrorShape(response.body, 'OAUTH_STATE_MISSING')
  })

  test('a provider error or a refused token exchange comes back as oauth_error', async () => {
    provider.service.once('beforeAuthorizeRedirect', ({ url }) => {
      url.searchParams.delete('code')
      url.searchParams.set('error', 'access_denied')
    })
    const denied = await browse('google', { redirect: '/welcome' })
    expect(denied.landing.pathname).toBe('/welcome')
    expect(denied.landing.searchParams.get('oauth_error')).toBe('OAUTH_ACCESS_DENIED')

    provider.service.once('beforeResponse', (response) => {
      response.statusCode = 400
      response.body = { error: 'invalid_grant' }
    })
    const refused = await browse('google')
    expect(refused.landing.searchParams.get('oauth_error')).toBe('OAUTH_TOKEN_EXCHANGE_FAILED')

    provider.service.once('beforeUserinfo', (response) => {
      response.statusCode = 401
      response.body = { error: 'invalid_token' }
    })
    const noProfile = await browse('google')
    expect(noProfile.landing.searchParams.get('oauth_error')).toBe('OAUTH_PROFILE_FAILED')
  })

  test('the exchange code is single use; garbled and unknown-field bodies are refused', async () => {
    userinfo = { sub: 'google-frank', email: 'frank@example.test', email_verified: true }
    const flow = await browse('google')
    const code = flow.landing.searchParams.get('oauth_code')!
    expect((await exchange(code)).status).toBe(200)
    const replay = await exchange(code)
    expect(replay.status).toBe(400)
    expectErrorShape(replay.body, 'INVALID_EXCHANGE_CODE')
    const relabelled = await exchange(code.replace(/^google\./, 'github.'))
    expect(relabelled.status).toBe(400)
    expectErrorShape(relabelled.body, 'INVALID_EXCHANGE_CODE')
    const garbled = await exchange('not-a-code')
    expect(garbled.status).toBe(400)
    expectErrorShape(garbled.body, 'INVALID_EXCHANGE_CODE')
    const extra = await server.request('POST', '/auth/oauth/exchange', { body: { code, userId: 'x' } })
    expect(extra.status).toBe(422)
    expectErrorShape(extra.body, 'VALIDATION_FAILED')
  })

  test('start refuses a redirect that would leave the site', async () => {
    for (const redirect of ['//evil.test/x', 'https://evil.test/', '/\\evil.test', 'chat', '/chat?next=//evil.test', '/a b']) {
      const response = await server.request('GET', `/auth/oauth/google/start?redirect=${encodeURIComponent(redirect)}`)
      expect(response.status).toBe(422)
      expectErrorShape(response.body, 'VALIDATION_FAILED')
      expect(response.headers.get('set-cookie')).toBeNull()
    }
  })
})

describe('configured providers', () => {
  test('only configured providers are listed; others answer 404 OAUTH_PROVIDER_DISABLED', async () => {
    const issuer = `http://127.0.0.1:${provider.address().port}`
    const githubOnly = await startServer(providerEnv(issuer, `http://127.0.0.1:${githubApi.port}`, ['GITHUB']))
    try {
      const listed = await githubOnly.request('GET', '/auth/oauth/providers')
      expect(listed.status).toBe(200)
      expect(listed.body).toEqual({ providers: [{ name: 'github', startUrl: `${PUBLIC_URL}/auth/oauth/github/start` }] })
      for (const path of ['/auth/oauth/google/start', '/auth/oauth/microsoft/callback?code=a&state=b', '/auth/oauth/twitter/start']) {
        const response = await githubOnly.request('GET', path)
        expect(response.status).toBe(404)
        expectErrorShape(response.body, 'OAUTH_PROVIDER_DISABLED')
      }
    } finally {
      await githubOnly.stop()
    }
    const all = await server.request('GET', '/auth/oauth/providers')
    expect(all.body.providers.map((p: { name: string }) => p.name)).toEqual(['google', 'github', 'microsoft'])
  })
})
