import { and, eq, sql } from 'drizzle-orm'
import type { AiConfig } from '../config'
import type { Db } from '../db/client'
import { aiUsage, type AiCapability } from '../db/schema'
import { newId } from '../lib/crypto'
import { AiQuotaExceededError } from './errors'

/** Who a call is for: quotas and the ledger are kept per user and per workspace. */
export interface UsageOwner {
  userId: string | null
  workspaceId?: string | null
}

export interface UsageRecord extends UsageOwner {
  capability: AiCapability
  model: string
  inputTokens: number
  outputTokens: number
}

export const utcDay = (date = new Date()) => date.toISOString().slice(0, 10)

function secondsToUtcMidnight(now = new Date()): number {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)
  return Math.max(1, Math.ceil((midnight - now.getTime()) / 1000))
}

/** The token ledger: daily quotas checked before a call, usage and cost recorded after it. */
export class UsageLedger {
  constructor(private db: Db, private config: AiConfig) {}

  tokensToday(owner: { userId?: string | null; workspaceId?: string | null }): number {
    const column = owner.userId ? eq(aiUsage.userId, owner.userId) : eq(aiUsage.workspaceId, owner.workspaceId!)
    const row = this.db.select({ total: sql<number>`coalesce(sum(${aiUsage.inputTokens} + ${aiUsage.outputTokens}), 0)` }).from(aiUsage).where(and(column, eq(aiUsage.day, utcDay()))).get()
    return Number(row?.total ?? 0)
  }

  /** Throws 429 AI_QUOTA_EXCEEDED once the user's (or their workspace's) budget for today is spent. */
  assertWithinQuota(owner: UsageOwner): void {
    const { dailyTokensPerUser, dailyTokensPerWorkspace } = this.config
    if (owner.userId && dailyTokensPerUser > 0 && this.tokensToday({ userId: owner.userId }) >= dailyTokensPerUser) {
      throw new AiQuotaExceededError('user', dailyTokensPerUser, secondsToUtcMidnight())
    }
    if (owner.workspaceId && dailyTokensPerWorkspace > 0 && this.tokensToday({ workspaceId: owner.workspaceId }) >= dailyTokensPerWorkspace) {
      throw new AiQuotaExceededError('workspace', dailyTokensPerWorkspace, secondsToUtcMidnight())
    }
  }

  record(usage: UsageRecord): void {
    const { input, output } = this.config.costPerMillion
    const costMicros = Math.round(usage.inputTokens * input + usage.outputTokens * output)
    const now = new Date()
    this.db.insert(aiUsage).values({
      id: newId(),
      userId: usage.userId,
      workspaceId: usage.workspaceId ?? null,
      capability: usage.capability,
      model: usage.model,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      costMicros,
      day: utcDay(now),
      createdAt: now,
    }).run()
  }

  /** Today's totals for one user, for the usage route. */
  summary(userId: string): { day: string; tokens: number; limit: number; costMicros: number } {
    const row = this.db.select({ cost: sql<number>`coalesce(sum(${aiUsage.costMicros}), 0)` }).from(aiUsage).where(and(eq(aiUsage.userId, userId), eq(aiUsage.day, utcDay()))).get()
    return { day: utcDay(), tokens: this.tokensToday({ userId }), limit: this.config.dailyTokensPerUser, costMicros: Number(row?.cost ?? 0) }
  }
}
