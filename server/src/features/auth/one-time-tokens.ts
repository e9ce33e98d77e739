import { and, eq, isNull } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { oneTimeTokens } from '../../db/schema'
import { newId, randomToken, sha256 } from '../../lib/crypto'
import { BadRequestError } from '../../errors'

export type TokenPurpose = (typeof oneTimeTokens.$inferSelect)['purpose']

/** Single-use tokens stored hashed: a database leak does not hand out working links. */
export class OneTimeTokens {
  constructor(private db: Db) {}

  issue(userId: string, purpose: TokenPurpose, ttlMs: number, tx: Db | Tx = this.db): string {
    const token = randomToken()
    const now = Date.now()
    tx.insert(oneTimeTokens).values({ id: newId(), userId, purpose, tokenHash: sha256(token), createdAt: new Date(now), expiresAt: new Date(now + ttlMs) }).run()
    return token
  }

  /** Marks the token used and returns its user id; an unknown, used or expired token is one error. */
  consume(token: string, purpose: TokenPurpose, tx: Db | Tx = this.db): string {
    const row = tx.select().from(oneTimeTokens).where(and(eq(oneTimeTokens.tokenHash, sha256(token)), eq(oneTimeTokens.purpose, purpose))).get()
    const code = purpose === 'verify_email' ? 'INVALID_VERIFICATION_TOKEN' : purpose === 'reset_password' ? 'INVALID_RESET_TOKEN' : 'INVALID_EXCHANGE_CODE'
    if (!row) throw tokenError(code, 'This link is not valid')
    if (row.usedAt) throw tokenError(code, 'This link was already used')
    if (row.expiresAt.getTime() <= Date.now()) throw tokenError(code, 'This link has expired')
    const updated = tx.update(oneTimeTokens).set({ usedAt: new Date() }).where(and(eq(oneTimeTokens.id, row.id), isNull(oneTimeTokens.usedAt))).returning({ id: oneTimeTokens.id }).all()
    if (updated.length !== 1) throw tokenError(code, 'This link was already used')
    return row.userId
  }

  /** Invalidates outstanding tokens of one purpose, e.g. older reset links once a new one is sent. */
  revokeAll(userId: string, purpose: TokenPurpose, tx: Db | Tx = this.db): void {
    tx.update(oneTimeTokens).set({ usedAt: new Date() }).where(and(eq(oneTimeTokens.userId, userId), eq(oneTimeTokens.purpose, purpose), isNull(oneTimeTokens.usedAt))).run()
  }
}

function tokenError(code: string, message: string) {
  return new BadRequestError(message, { code })
}
