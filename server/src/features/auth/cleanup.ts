import { and, isNotNull, lt, or } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { transaction } from '../../db/client'
import { oneTimeTokens, refreshTokens, sessions } from '../../db/schema'

export interface PurgeResult {
  oneTimeTokens: number
  refreshTokens: number
  sessions: number
}

/**
 * Deletes auth rows that can never be used again. Revoked sessions are kept `olderThanDays` for the
 * sessions page and investigations, then removed with their tokens (cascade). Idempotent.
 */
export function purgeExpiredAuthData(db: Db, olderThanDays = 30, now = Date.now()): PurgeResult {
  const cutoff = new Date(now - olderThanDays * 86_400_000)
  const current = new Date(now)
  return transaction(db, (tx) => ({
    oneTimeTokens: tx.delete(oneTimeTokens).where(or(lt(oneTimeTokens.expiresAt, current), isNotNull(oneTimeTokens.usedAt))).returning({ id: oneTimeTokens.id }).all().length,
    refreshTokens: tx.delete(refreshTokens).where(or(lt(refreshTokens.expiresAt, current), and(isNotNull(refreshTokens.rotatedAt), lt(refreshTokens.rotatedAt, cutoff)))).returning({ id: refreshTokens.id }).all().length,
    sessions: tx.delete(sessions).where(or(lt(sessions.expiresAt, cutoff), and(isNotNull(sessions.revokedAt), lt(sessions.revokedAt, cutoff)))).returning({ id: sessions.id }).all().length,
  }))
}
