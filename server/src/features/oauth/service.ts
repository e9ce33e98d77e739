import { createHmac, randomBytes } from 'node:crypto'
import { and, count, eq } from 'drizzle-orm'
import { CodeChallengeMethod, generateCodeVerifier, generateState, OAuth2Client, OAuth2RequestError } from 'arctic'
import type { Config, OAuthProviderConfig, OAuthProviderName } from '../../config'
import type { Db, Tx } from '../../db/client'
import { transaction } from '../../db/client'
import { oauthAccounts, users } from '../../db/schema'
import { AppError, BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../../errors'
import { constantTimeEqual, newId } from '../../lib/crypto'
import type { Logger } from '../../logger'
import type { AuditService, RequestMeta } from '../audit/service'
import { normalizeEmail, type LoginOutcome } from '../auth/service'
import { OneTimeTokens } from '../auth/one-time-tokens'
import type { SessionService } from '../auth/sessions'

export const OAUTH_PROVIDERS = ['google', 'github', 'microsoft'] as const satisfies readonly OAuthProviderName[]
/** A client path on this origin: one leading slash, no scheme, host, query, fragment, backslash or control character. */
export const CLIENT_PATH = /^\/(?![/\\])[^\x00-\x20\x7f?#\\]*$/
export const FLOW_TTL_SECONDS = 600
const EXCHANGE_TTL_MS = 60_000
const PROVIDER_TIMEOUT_MS = 10_000

/** What the browser carries between start and callback, in a signed cookie. */
interface FlowState {
  provider: OAuthProviderName
  state: string
  codeVerifier: string
  redirect: string
  expiresAt: number
}

export interface OAuthProfile {
  providerUserId: string
  email: string | null
  emailVerified: boolean
  name: string | null
  login: string | null
}

export interface CallbackParams {
  code?: string
  state?: string
  error?: string
}

/** A failed callback; the browser returns to the client with `?oauth_error=<code>`. */
export class OAuthFlowError extends AppError {
  static override status = 400
  constructor(code: string, message: string, readonly upstream?: unknown) {
    super(message, { code })
  }
}

/**
 * Sign-in with Google, GitHub and Microsoft: authorization code flow with PKCE (S256) and a state
 * bound to a signed cookie. Accounts are linked by an email the provider says is verified. The
 * callback hands the browser a one-time exchange code, never tokens.
 */
export class OAuthService {
  readonly #tokens: OneTimeTokens
  readonly #flowKey: string

  constructor(private db: Db, private config: Config, private sessions: SessionService, private audit: AuditService, private log: Logger) {
    this.#tokens = new OneTimeTokens(db)
    this.#flowKey = `${config.jwtSecret}:oauth-flow`
  }

  enabledProviders(): OAuthProviderName[] {
    return OAUTH_PROVIDERS.filter((name) => this.config.oauth[name])
  }

  /** Builds the provider's authorization URL and the sealed flow state the browser keeps meanwhile. */
  start(providerName: string, redirect = '/'): { authorizationUrl: string; sealedFlow: string } {
    const [name, provider] = this.#provider(providerName)
    this.#clientUrl(redirect, {}) // fails fast on a path that would leave this origin
    const flow: FlowState = { provider: name, state: generateState(), codeVerifier: generateCodeVerifier(), redirect, expiresAt: Date.now() + FLOW_TTL_SECONDS * 1000 }
    const url = this.#client(name, provider).createAuthorizationURLWithPKCE(provider.authorizeUrl, flow.state, CodeChallengeMethod.S256, flow.codeVerifier, provider.scopes)
    return { authorizationUrl: url.toString(), sealedFlow: this.#seal(flow) }
  }

  /**
   * Checks the state, exchanges the code and signs the account in or links or creates it. Returns
   * where the browser goes next: the client path with `oauth_code` on success, `oauth_error` otherwise.
   */
  async complete(providerName: string, params: CallbackParams, sealedFlow: string | undefined, meta: RequestMeta): Promise<string> {
    const [name, provider] = this.#provider(providerName)
    if (!sealedFlow && !params.state) throw new BadRequestError('No OAuth sign-in is in progress; start at /auth/oauth/:provider/start', { code: 'OAUTH_STATE_MISSING' })
    const flow = sealedFlow ? this.#unseal(sealedFlow) : null
    try {
      if (!flow || flow.provider !== name || !params.state || !constantTimeEqual(flow.state, params.state)) {
        throw new OAuthFlowError('OAUTH_STATE_MISMATCH', 'The sign-in state does not match this browser; start again')
      }
      if (params.error) throw new OAuthFlowError(params.error === 'access_denied' ? 'OAUTH_ACCESS_DENIED' : 'OAUTH_PROVIDER_ERROR', `The provider answered ${params.error}`)
      if (!params.code) throw new OAuthFlowError('OAUTH_PROVIDER_ERROR', 'The provider sent no authorization code')
      const accessToken = await this.#exchangeCode(name, provider, params.code, flow.codeVerifier)
      const profile = await this.#fetchProfile(name, provider, accessToken)
      const exchangeCode = this.#signIn(name, profile, meta)
      return this.#clientUrl(flow.redirect, { oauth_code: exchangeCode })
    } catch (error) {
      if (!(error instanceof AppError)) throw error
      this.log.warn('complete() [oauth callback failed]', { provider: name, code: error.code, reason: error.message, upstream: error instanceof OAuthFlowError ? describe(error.upstream) : undefined })
      return this.#clientUrl(flow?.redirect ?? '/', { oauth_error: error.code })
    }
  }

  /** Trades a single-use exchange code (60 s) for a session, or for an MFA challenge when two-factor is on. */
  exchange(code: string, meta: RequestMeta): LoginOutcome {
    const [providerPart, token] = code.split('.', 2)
    const name = OAUTH_PROVIDERS.find((p) => p === providerPart)
    if (!name || !token) throw new BadRequestError('This exchange code is not valid', { code: 'INVALID_EXCHANGE_CODE' })
    const userId = this.#tokens.consume(token, 'oauth_exchange')
    return transaction(this.db, (tx) => {
      const user = tx.select().from(users).where(eq(users.id, userId)).get()
      // The provider prefix is not covered by the token hash, so it must name a provider this account really uses.
      const link = tx.select({ id: oauthAccounts.id }).from(oauthAccounts).where(and(eq(oauthAccounts.userId, userId), eq(oauthAccounts.provider, name))).get()
      if (!user || !link) throw new BadRequestError('This exchange code is not valid', { code: 'INVALID_EXCHANGE_CODE' })
      if (user.disabledAt) throw new ForbiddenError('This account is disabled', { code: 'ACCOUNT_DISABLED' })
      if (user.mfaEnabledAt) return { kind: 'mfa' as const, userId }
      this.audit.record({ action: 'auth.oauth.login', actorUserId: userId, targetUserId: userId, meta, details: { provider: name } }, tx)
      return { kind: 'session' as const, session: this.sessions.create(userId, `oauth:${name}`, meta, tx) }
    })
  }

  /** Finds the account by link, else links by verified email, else creates one; returns an exchange code. */
  #signIn(provider: OAuthProviderName, profile: OAuthProfile, meta: RequestMeta): string {
    const email = profile.email ? normalizeEmail(profile.email) : null
    return transaction(this.db, (tx) => {
      const linked = tx
        .select({ user: users })
        .from(oauthAccounts)
        .innerJoin(users, eq(users.id, oauthAccounts.userId))
        .where(and(eq(oauthAccounts.provider, provider), eq(oauthAccounts.providerUserId, profile.providerUserId)))
        .get()
      let userId = linked?.user.id
      if (linked?.user.disabledAt) throw new ForbiddenError('This account is disabled', { code: 'ACCOUNT_DISABLED' })
      if (!userId) {
        if (!email) throw new OAuthFlowError('OAUTH_EMAIL_MISSING', 'The provider shared no email address')
        const existing = tx.select().from(users).where(eq(users.email, email)).get()
        if (existing) {
          if (!profile.emailVerified) throw new OAuthFlowError('OAUTH_EMAIL_NOT_VERIFIED', 'The provider has not verified this email, so it cannot be linked to the existing account')
          if (existing.disabledAt) throw new ForbiddenError('This account is disabled', { code: 'ACCOUNT_DISABLED' })
          // Whoever registered an unverified address never proved the mailbox; linking would hand them the victim's sign-in.
          if (!existing.emailVerifiedAt) throw new OAuthFlowError('OAUTH_ACCOUNT_NOT_VERIFIED', 'Confirm the email of the existing account (or sign in with its password) before linking')
          userId = existing.id
          this.audit.record({ action: 'auth.oauth.linked', actorUserId: userId, targetUserId: userId, meta, details: { provider } }, tx)
        } else {
          userId = this.#createUser(tx, provider, profile, email, meta)
        }
        tx.insert(oauthAccounts).values({ id: newId(), userId, provider, providerUserId: profile.providerUserId, email, createdAt: new Date() }).run()
      }
      return `${provider}.${this.#tokens.issue(userId, 'oauth_exchange', EXCHANGE_TTL_MS, tx)}`
    })
  }

  #createUser(tx: Tx, provider: OAuthProviderName, profile: OAuthProfile, email: string, meta: RequestMeta): string {
    const now = new Date()
    const first = (tx.select({ n: count() }).from(users).get()?.n ?? 0) === 0
    const id = newId()
    const displayName = (profile.name?.trim() || profile.login?.trim() || email.split('@')[0]!).slice(0, 80)
    tx.insert(users)
      .values({ id, email, username: this.#uniqueUsername(tx, usernameBase(profile, email)), displayName, passwordHash: null, role: first ? 'admin' : 'user', emailVerifiedAt: profile.emailVerified ? now : null, createdAt: now, updatedAt: now })
      .run()
    this.audit.record({ action: 'auth.register', actorUserId: id, targetUserId: id, meta, details: { method: `oauth:${provider}`, firstUserAdmin: first } }, tx)
    return id
  }

  #uniqueUsername(tx: Tx, base: string): string {
    let candidate = base
    for (let attempt = 0; attempt < 20; attempt++) {
      if (!tx.select({ id: users.id }).from(users).where(eq(users.username, candidate)).get()) return candidate
      candidate = `${base.slice(0, 25)}-${randomBytes(6).toString('hex').slice(0, 6)}`
    }
    throw new ConflictError('Could not find a free username', { code: 'USERNAME_TAKEN' })
  }

  async #exchangeCode(name: OAuthProviderName, provider: OAuthProviderConfig, code: string, codeVerifier: string): Promise<string> {
    try {
      const tokens = await withTimeout(this.#client(name, provider).validateAuthorizationCode(provider.tokenUrl, code, codeVerifier), PROVIDER_TIMEOUT_MS)
      // GitHub reports a bad code with 200 and an `error` field.
      if ('error' in tokens.data) throw new OAuth2RequestError(String(tokens.data.error), null, null, null)
      return tokens.accessToken()
    } catch (error) {
      throw new OAuthFlowError('OAUTH_TOKEN_EXCHANGE_FAILED', 'The provider did not accept the authorization code', error)
    }
  }

  async #fetchProfile(name: OAuthProviderName, provider: OAuthProviderConfig, accessToken: string): Promise<OAuthProfile> {
    const info = record(await fetchJson(provider.userInfoUrl, accessToken))
    if (name !== 'github') {
      const sub = info.sub
      if (typeof sub !== 'string' || !sub) throw new OAuthFlowError('OAUTH_PROFILE_FAILED', 'The provider profile has no subject')
      // @NOTE: Microsoft's userinfo usually omits email_verified; such an address creates an account but never links to one.
      return { providerUserId: sub, email: emailAddress(info.email), emailVerified: info.email_verified === true || info.email_verified === 'true', name: text(info.name), login: text(info.preferred_username) }
    }
    if ((typeof info.id !== 'number' && typeof info.id !== 'string') || info.id === '') throw new OAuthFlowError('OAUTH_PROFILE_FAILED', 'The GitHub profile has no id')
    const emails = await fetchJson(provider.emailsUrl!, accessToken)
    const listed = (Array.isArray(emails) ? emails : []).map(record)
    const primary = listed.find((e) => e.primary === true && e.verified === true && emailAddress(e.email))
    return { providerUserId: String(info.id), email: emailAddress(primary?.email) ?? emailAddress(info.email), emailVerified: Boolean(primary), name: text(info.name), login: text(info.login) }
  }

  #provider(name: string): [OAuthProviderName, OAuthProviderConfig] {
    const known = OAUTH_PROVIDERS.find((p) => p === name)
    const provider = known && this.config.oauth[known]
    if (!known || !provider) throw new NotFoundError(`Sign-in with "${name}" is not enabled on this server`, { code: 'OAUTH_PROVIDER_DISABLED' })
    return [known, provider]
  }

  #client(name: OAuthProviderName, provider: OAuthProviderConfig): OAuth2Client {
    return new OAuth2Client(provider.clientId, provider.clientSecret, `${this.config.publicUrl}/auth/oauth/${name}/callback`)
  }

  /** The client page to return to; concatenating onto the public URL keeps it on this origin. */
  #clientUrl(path: string, params: Record<string, string>): string {
    const url = new URL(`${this.config.publicUrl}${path}`)
    if (!CLIENT_PATH.test(path) || url.origin !== new URL(this.config.publicUrl).origin) throw new BadRequestError('redirect must be a path on this site, like /chat', { code: 'INVALID_REDIRECT' })
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value)
    return url.toString()
  }

  #seal(flow: FlowState): string {
    const body = Buffer.from(JSON.stringify(flow)).toString('base64url')
    return `${body}.${this.#mac(body)}`
  }

  #unseal(sealed: string): FlowState | null {
    const [body, mac] = sealed.split('.')
    if (!body || !mac || !constantTimeEqual(mac, this.#mac(body))) return null
    try {
      const flow = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as FlowState
      return typeof flow.expiresAt === 'number' && flow.expiresAt > Date.now() ? flow : null
    } catch {
      return null
    }
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#flowKey).update(body).digest('base64url')
  }
}

async function fetchJson(url: string, accessToken: string): Promise<unknown> {
  let response: Response
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json', 'user-agent': 'Parley' }, signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) })
  } catch (error) {
    throw new OAuthFlowError('OAUTH_PROFILE_FAILED', 'The provider profile could not be fetched', error)
  }
  if (!response.ok) {
    await response.body?.cancel()
    throw new OAuthFlowError('OAUTH_PROFILE_FAILED', `The provider profile answered ${response.status}`)
  }
  try {
    return await response.json()
  } catch (error) {
    throw new OAuthFlowError('OAUTH_PROFILE_FAILED', 'The provider profile is not JSON', error)
  }
}

/** arctic's token request takes no AbortSignal, so the wait is bounded instead. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  const signal = AbortSignal.timeout(ms)
  return Promise.race([promise, new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))])
}

function usernameBase(profile: OAuthProfile, email: string): string {
  for (const candidate of [profile.login?.split('@')[0], profile.name, email.split('@')[0]]) {
    const cleaned = (candidate ?? '').normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 32)
    if (cleaned.length >= 3) return cleaned
  }
  return 'user'
}


function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
}

function emailAddress(value: unknown): string | null {
  const email = text(value)
  return email && email.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? email : null
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() ? value.trim() : null
}

function describe(cause: unknown): string | undefined {
  if (cause instanceof OAuth2RequestError) return `OAuth2RequestError: ${cause.code}`
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : undefined
}
