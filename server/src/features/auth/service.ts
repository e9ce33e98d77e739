import { count, eq, or } from 'drizzle-orm'
import type { Config } from '../../config'
import type { Db } from '../../db/client'
import { transaction } from '../../db/client'
import { users } from '../../db/schema'
import { ConflictError, ForbiddenError, RateLimitedError, UnauthorizedError } from '../../errors'
import type { RateLimiter } from '../../http/rate-limiter'
import { newId } from '../../lib/crypto'
import type { AuditService, RequestMeta } from '../audit/service'
import type { MailService } from '../mail/service'
import type { MfaService, SecondFactor } from '../mfa/service'
import { OneTimeTokens } from './one-time-tokens'
import type { AttemptThrottle } from './attempts'
import { assertPasswordAcceptable, hashPassword, verifyPassword } from './passwords'
import type { IssuedSession, SessionService } from './sessions'

const VERIFY_TTL_MS = 24 * 3600_000
const RESET_TTL_MS = 3600_000

export interface RegisterInput {
  email: string
  username: string
  displayName: string
  password: string
}

export type LoginOutcome = { kind: 'session'; session: IssuedSession } | { kind: 'mfa'; userId: string }

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

/** Sign-up, sign-in and the mailed-link flows. Knows nothing of HTTP: routes pass RequestMeta. */
export class AuthService {
  readonly tokens: OneTimeTokens

  constructor(
    private db: Db,
    private config: Config,
    private sessions: SessionService,
    private mfa: MfaService,
    private limiter: RateLimiter,
    private attempts: AttemptThrottle,
    private mail: MailService,
    private audit: AuditService,
  ) {
    this.tokens = new OneTimeTokens(db)
  }

  /** Password endpoints cost ~100 ms of CPU each, so anonymous callers get a smaller per-address budget. */
  async #spendAuthBudget(meta: RequestMeta): Promise<void> {
    const result = await this.limiter.hit(`auth-ip:${meta.ip ?? 'unknown'}`, this.config.rateLimit.authPerMinute, 60_000)
    if (!result.allowed) throw new RateLimitedError('Too many sign-in requests from this address', result.retryAfterSeconds)
  }

  async register(input: RegisterInput, meta: RequestMeta): Promise<IssuedSession> {
    await this.#spendAuthBudget(meta)
    const email = normalizeEmail(input.email)
    const username = input.username.toLowerCase()
    assertPasswordAcceptable(input.password, { email, username })
    const passwordHash = await hashPassword(input.password)
    const now = new Date()
    return transaction(this.db, (tx, afterCommit) => {
      const clash = tx.select({ email: users.email, username: users.username }).from(users).where(or(eq(users.email, email), eq(users.username, username))).get()
      if (clash?.email === email) throw new ConflictError('An account with this email already exists', { code: 'EMAIL_TAKEN' })
      if (clash) throw new ConflictError('This username is taken', { code: 'USERNAME_TAKEN' })
      const first = (tx.select({ n: count() }).from(users).get()?.n ?? 0) === 0
      const id = newId()
      tx.insert(users).values({ id, email, username, displayName: input.displayName.trim(), passwordHash, role: first ? 'admin' : 'user', createdAt: now, updatedAt: now }).run()
      this.audit.record({ action: 'auth.register', actorUserId: id, targetUserId: id, meta, details: { firstUserAdmin: first } }, tx)
      const token = this.tokens.issue(id, 'verify_email', VERIFY_TTL_MS, tx)
      afterCommit(() => this.#sendVerification(email, token))
      return this.sessions.create(id, 'register', meta, tx)
    })
  }

  async login(login: string, password: string, meta: RequestMeta): Promise<LoginOutcome> {
    await this.#spendAuthBudget(meta)
    const identifier = login.trim().toLowerCase()
    const user = this.db.select().from(users).where(or(eq(users.email, identifier), eq(users.username, identifier))).get()
    const throttleKey = `login:${user?.id ?? identifier}:${meta.ip ?? 'unknown'}`
    try {
      await this.attempts.assertOpen(throttleKey, 'LOGIN_THROTTLED', 'Too many failed sign-in attempts; try again later')
    } catch (error) {
      this.audit.record({ action: 'auth.login.throttled', targetUserId: user?.id ?? null, meta })
      throw error
    }
    const ok = await verifyPassword(password, user?.passwordHash ?? null)
    if (!user || !ok) {
      await this.attempts.failed(throttleKey)
      this.audit.record({ action: 'auth.login.failure', targetUserId: user?.id ?? null, meta, details: { reason: user ? 'bad_password' : 'unknown_account' } })
      throw new UnauthorizedError('Email/username or password is incorrect', { code: 'INVALID_CREDENTIALS' })
    }
    if (user.disabledAt) throw new ForbiddenError('This account is disabled', { code: 'ACCOUNT_DISABLED' })
    await this.attempts.succeeded(throttleKey)
    if (user.mfaEnabledAt) return { kind: 'mfa', userId: user.id }
    return transaction(this.db, (tx) => {
      this.audit.record({ action: 'auth.login.success', actorUserId: user.id, targetUserId: user.id, meta, details: { method: 'password' } }, tx)
      return { kind: 'session' as const, session: this.sessions.create(user.id, 'password', meta, tx) }
    })
  }

  async completeMfa(userId: string, factor: SecondFactor, meta: RequestMeta): Promise<IssuedSession> {
    await this.#spendAuthBudget(meta)
    const user = this.db.select().from(users).where(eq(users.id, userId)).get()
    if (!user || !user.mfaEnabledAt) throw new UnauthorizedError('The sign-in challenge is no longer valid', { code: 'INVALID_CHALLENGE' })
    if (user.disabledAt) throw new ForbiddenError('This account is disabled', { code: 'ACCOUNT_DISABLED' })
    await this.mfa.verifySecondFactor(user, factor, meta)
    return transaction(this.db, (tx) => {
      this.audit.record({ action: 'auth.login.success', actorUserId: user.id, targetUserId: user.id, meta, details: { method: 'mfa', recoveryCode: Boolean(factor.recoveryCode) } }, tx)
      return this.sessions.create(user.id, 'mfa', meta, tx)
    })
  }

  logout(userId: string, sessionId: string, meta: RequestMeta): void {
    transaction(this.db, (tx) => {
      this.sessions.revoke(sessionId, 'logout', tx)
      this.audit.record({ action: 'auth.logout', actorUserId: userId, targetUserId: userId, meta, details: { sessionId } }, tx)
    })
  }

  verifyEmail(token: string, meta: RequestMeta): string {
    return transaction(this.db, (tx) => {
      const userId = this.tokens.consume(token, 'verify_email', tx)
      tx.update(users).set({ emailVerifiedAt: new Date(), updatedAt: new Date() }).where(eq(users.id, userId)).run()
      this.sessions.userChanged(userId)
      this.audit.record({ action: 'auth.email.verified', actorUserId: userId, targetUserId: userId, meta }, tx)
      return userId
    })
  }

  async resendVerification(userId: string): Promise<void> {
    const user = this.db.select().from(users).where(eq(users.id, userId)).get()
    if (!user) throw new UnauthorizedError('Account not found', { code: 'SESSION_REVOKED' })
    if (user.emailVerifiedAt) throw new ConflictError('Email is already verified', { code: 'EMAIL_ALREADY_VERIFIED' })
    const key = `verify-mail:${userId}`
    const result = await this.limiter.hit(key, 5, 3600_000)
    if (!result.allowed) throw new RateLimitedError('Too many verification emails; try again later', result.retryAfterSeconds)
    const token = transaction(this.db, (tx) => {
      this.tokens.revokeAll(userId, 'verify_email', tx)
      return this.tokens.issue(userId, 'verify_email', VERIFY_TTL_MS, tx)
    })
    await this.#sendVerification(user.email, token)
  }

  /** Always succeeds from the caller's view, so the endpoint does not reveal which emails exist. */
  async forgotPassword(emailInput: string, meta: RequestMeta): Promise<void> {
    const email = normalizeEmail(emailInput)
    const result = await this.limiter.hit(`reset-mail:${email}`, 5, 3600_000)
    if (!result.allowed) return
    const user = this.db.select().from(users).where(eq(users.email, email)).get()
    if (!user || user.disabledAt) return
    const token = transaction(this.db, (tx) => {
      this.tokens.revokeAll(user.id, 'reset_password', tx)
      this.audit.record({ action: 'auth.password.reset_requested', targetUserId: user.id, meta }, tx)
      return this.tokens.issue(user.id, 'reset_password', RESET_TTL_MS, tx)
    })
    const link = `${this.config.publicUrl}/reset-password?token=${token}`
    await this.mail.send({
      to: email,
      kind: 'reset_password',
      secrets: [token],
      subject: 'Reset your Parley password',
      text: `Someone asked to reset the password of your Parley account.\n\nReset it here within one hour:\n${link}\n\nToken: ${token}\n\nIf it was not you, ignore this mail; your password stays the same.`,
    })
  }

  /** Sets a new password and signs out every device. */
  async resetPassword(token: string, password: string, meta: RequestMeta): Promise<void> {
    await this.#spendAuthBudget(meta)
    const passwordHash = await hashPassword(password)
    transaction(this.db, (tx) => {
      const userId = this.tokens.consume(token, 'reset_password', tx)
      const user = tx.select().from(users).where(eq(users.id, userId)).get()!
      assertPasswordAcceptable(password, { email: user.email, username: user.username })
      // A reset link proves control of the mailbox, so it also verifies the address.
      tx.update(users).set({ passwordHash, emailVerifiedAt: user.emailVerifiedAt ?? new Date(), updatedAt: new Date() }).where(eq(users.id, userId)).run()
      const revoked = this.sessions.revokeAllForUser(userId, 'password_reset', {}, tx)
      this.audit.record({ action: 'auth.password.reset', actorUserId: userId, targetUserId: userId, meta, details: { sessionsRevoked: revoked } }, tx)
    })
  }

  async #sendVerification(email: string, token: string): Promise<void> {
    const link = `${this.config.publicUrl}/verify-email?token=${token}`
    await this.mail.send({
      to: email,
      kind: 'verify_email',
      secrets: [token],
      subject: 'Confirm your email for Parley',
      text: `Welcome to Parley!\n\nConfirm your email address within 24 hours:\n${link}\n\nToken: ${token}`,
    })
  }
}
