import { and, eq, isNull, lt, or } from 'drizzle-orm'
import { createHmac } from 'node:crypto'
import QRCode from 'qrcode'
import type { Config } from '../../config'
import type { Db } from '../../db/client'
import { transaction } from '../../db/client'
import { recoveryCodes, users } from '../../db/schema'
import { BadRequestError, ConflictError, UnauthorizedError } from '../../errors'
import { newId, randomToken } from '../../lib/crypto'
import { generateTotpSecret, matchTotpStep, otpauthUri } from '../../lib/totp'
import type { AuditService, RequestMeta } from '../audit/service'
import type { AttemptThrottle } from '../auth/attempts'

export const RECOVERY_CODE_COUNT = 10
type UserRow = typeof users.$inferSelect

export interface SecondFactor {
  code?: string
  recoveryCode?: string
}

/** TOTP second factor with single-use recovery codes (stored as keyed hashes). */
export class MfaService {
  /** `userChanged`: the session cache drops the user's row when two-factor turns on or off (SessionService.userChanged). */
  constructor(private db: Db, private config: Config, private attempts: AttemptThrottle, private audit: AuditService, private userChanged: (userId: string) => void = () => {}) {}

  #hashCode(code: string): string {
    return createHmac('sha256', this.config.jwtSecret).update(code.replace(/[\s-]/g, '').toLowerCase()).digest('hex')
  }

  #user(userId: string): UserRow {
    const user = this.db.select().from(users).where(eq(users.id, userId)).get()
    if (!user) throw new UnauthorizedError('Account not found', { code: 'SESSION_REVOKED' })
    return user
  }

  async setup(userId: string) {
    const user = this.#user(userId)
    if (user.mfaEnabledAt) throw new ConflictError('Two-factor authentication is already enabled', { code: 'MFA_ALREADY_ENABLED' })
    const secret = generateTotpSecret()
    this.db.update(users).set({ mfaSecret: secret, mfaLastUsedStep: null, updatedAt: new Date() }).where(eq(users.id, userId)).run()
    const uri = otpauthUri(secret, user.email, 'Parley')
    const qrSvg = await QRCode.toString(uri, { type: 'svg', margin: 1 })
    return { secret, otpauthUri: uri, qrSvg }
  }

  async confirm(userId: string, code: string, meta: RequestMeta): Promise<string[]> {
    const user = this.#user(userId)
    if (user.mfaEnabledAt) throw new ConflictError('Two-factor authentication is already enabled', { code: 'MFA_ALREADY_ENABLED' })
    if (!user.mfaSecret) throw new BadRequestError('Start two-factor setup first', { details: { next: 'POST /users/me/mfa/setup' } })
    await this.#assertCode(user, { code }, meta)
    return transaction(this.db, (tx) => {
      tx.update(users).set({ mfaEnabledAt: new Date(), updatedAt: new Date() }).where(eq(users.id, userId)).run()
      this.userChanged(userId)
      this.audit.record({ action: 'user.mfa.enabled', actorUserId: userId, targetUserId: userId, meta }, tx)
      return this.#replaceRecoveryCodes(userId, tx)
    })
  }

  async disable(userId: string, proof: SecondFactor & { password?: string }, meta: RequestMeta): Promise<void> {
    const user = this.#user(userId)
    if (!user.mfaEnabledAt) throw new ConflictError('Two-factor authentication is not enabled', { code: 'MFA_NOT_ENABLED' })
    if (proof.password !== undefined && !proof.code && !proof.recoveryCode) {
      await this.attempts.confirmPassword(user, proof.password)
    } else {
      await this.#assertCode(user, proof, meta)
    }
    transaction(this.db, (tx) => {
      tx.update(users).set({ mfaEnabledAt: null, mfaSecret: null, updatedAt: new Date() }).where(eq(users.id, userId)).run()
      this.userChanged(userId)
      tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)).run()
      this.audit.record({ action: 'user.mfa.disabled', actorUserId: userId, targetUserId: userId, meta }, tx)
    })
  }

  async regenerateRecoveryCodes(userId: string, code: string, meta: RequestMeta): Promise<string[]> {
    const user = this.#user(userId)
    if (!user.mfaEnabledAt) throw new ConflictError('Two-factor authentication is not enabled', { code: 'MFA_NOT_ENABLED' })
    await this.#assertCode(user, { code }, meta)
    return transaction(this.db, (tx) => {
      this.audit.record({ action: 'user.mfa.recovery_codes_regenerated', actorUserId: userId, targetUserId: userId, meta }, tx)
      return this.#replaceRecoveryCodes(userId, tx)
    })
  }

  remainingRecoveryCodes(userId: string): number {
    return this.db.select({ id: recoveryCodes.id }).from(recoveryCodes).where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt))).all().length
  }

  /** Checks a TOTP code or consumes a recovery code; repeated failures are throttled per account. */
  async verifySecondFactor(user: UserRow, factor: SecondFactor, meta: RequestMeta): Promise<void> {
    await this.#assertCode(user, factor, meta)
  }

  async #assertCode(user: UserRow, factor: SecondFactor, meta: RequestMeta): Promise<void> {
    const key = `mfa:${user.id}`
    await this.attempts.assertOpen(key, 'MFA_THROTTLED', 'Too many wrong codes; try again later')
    let ok = false
    if (factor.code && user.mfaSecret) ok = this.#consumeTotp(user.id, user.mfaSecret, factor.code)
    else if (factor.recoveryCode) ok = this.#consumeRecoveryCode(user.id, factor.recoveryCode)
    if (!factor.code && !factor.recoveryCode) throw new BadRequestError('Provide a code or a recovery code')
    if (!ok) {
      await this.attempts.failed(key)
      this.audit.record({ action: 'user.mfa.failure', targetUserId: user.id, meta })
      throw new UnauthorizedError('The code is not valid', { code: 'INVALID_MFA_CODE' })
    }
    await this.attempts.succeeded(key)
  }

  /** Accepts a code once: its time step must be later than the last one used, claimed atomically. */
  #consumeTotp(userId: string, secret: string, code: string): boolean {
    const step = matchTotpStep(secret, code)
    if (step === null) return false
    const claimed = this.db
      .update(users)
      .set({ mfaLastUsedStep: step })
      .where(and(eq(users.id, userId), or(isNull(users.mfaLastUsedStep), lt(users.mfaLastUsedStep, step))))
      .returning({ id: users.id })
      .all()
    return claimed.length === 1
  }

  #consumeRecoveryCode(userId: string, code: string): boolean {
    const hash = this.#hashCode(code)
    const result = this.db
      .update(recoveryCodes)
      .set({ usedAt: new Date() })
      .where(and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, hash), isNull(recoveryCodes.usedAt)))
      .returning({ id: recoveryCodes.id })
      .all()
    return result.length === 1
  }

  #replaceRecoveryCodes(userId: string, tx: Parameters<Parameters<Db['transaction']>[0]>[0]): string[] {
    tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)).run()
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => {
      const raw = randomToken(8).replace(/[^A-Za-z0-9]/g, '').toLowerCase().padEnd(10, '0').slice(0, 10)
      return `${raw.slice(0, 5)}-${raw.slice(5)}`
    })
    for (const code of codes) tx.insert(recoveryCodes).values({ id: newId(), userId, codeHash: this.#hashCode(code) }).run()
    return codes
  }
}
