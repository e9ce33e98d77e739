import { and, desc, eq, notInArray } from 'drizzle-orm'
import type { Config } from '../../config'
import { transaction, type Db } from '../../db/client'
import { pushSubscriptions } from '../../db/schema'
import { NotFoundError, ValidationError } from '../../errors'
import { newId } from '../../lib/crypto'
import { checkEndpoint, checkKeys, EndpointRefusedError } from './endpoint'
import { loadVapidKeys, type VapidKeys } from './keys'
import { MAX_SUBSCRIPTIONS_PER_USER, type PushSubscriptionView, type SubscribeInput } from './model'

type SubscriptionRow = typeof pushSubscriptions.$inferSelect

/** A user's browser subscriptions, and the public key browsers subscribe with. */
export class PushSubscriptionService {
  readonly keys: VapidKeys

  constructor(private db: Db, private config: Config) {
    this.keys = loadVapidKeys(db)
  }

  publicKey(): { publicKey: string } {
    return { publicKey: this.keys.publicKey }
  }

  /**
   * Saves a browser's subscription for the session that sent it. An endpoint names one browser
   * profile: subscribing it again refreshes its keys, and when another account signs in there, it
   * moves to that account. Once the session ends, nothing more is pushed to it.
   */
  async subscribe(userId: string, sessionId: string, input: SubscribeInput): Promise<{ subscription: PushSubscriptionView; created: boolean }> {
    try {
      checkKeys(input.keys)
      await checkEndpoint(input.endpoint, this.config.push.allowLocalEndpoints)
    } catch (error) {
      if (error instanceof EndpointRefusedError) throw new ValidationError(error.message, { code: 'PUSH_SUBSCRIPTION_INVALID', details: [{ field: error.field, message: error.message }] })
      throw error
    }
    const fields = {
      userId,
      sessionId,
      p256dh: input.keys.p256dh,
      auth: input.keys.auth,
      userAgent: input.userAgent?.trim() || null,
      expiresAt: input.expirationTime ? new Date(input.expirationTime) : null,
    }
    return transaction(this.db, (tx) => {
      const existing = tx.select({ id: pushSubscriptions.id }).from(pushSubscriptions).where(eq(pushSubscriptions.endpoint, input.endpoint)).get()
      const row = existing
        ? tx.update(pushSubscriptions).set(fields).where(eq(pushSubscriptions.id, existing.id)).returning().get()!
        : tx.insert(pushSubscriptions).values({ id: newId(), endpoint: input.endpoint, createdAt: new Date(), ...fields }).returning().get()
      const keep = tx.select({ id: pushSubscriptions.id }).from(pushSubscriptions).where(eq(pushSubscriptions.userId, userId)).orderBy(desc(pushSubscriptions.id)).limit(MAX_SUBSCRIPTIONS_PER_USER)
      tx.delete(pushSubscriptions).where(and(eq(pushSubscriptions.userId, userId), notInArray(pushSubscriptions.id, keep))).run()
      return { subscription: toView(row), created: !existing }
    })
  }

  list(userId: string): { subscriptions: PushSubscriptionView[] } {
    const rows = this.db.select().from(pushSubscriptions).where(eq(pushSubscriptions.userId, userId)).orderBy(desc(pushSubscriptions.id)).all()
    return { subscriptions: rows.map(toView) }
  }

  /** Someone else's subscription is as absent as a missing one. */
  remove(userId: string, id: string): void {
    const removed = this.db.delete(pushSubscriptions).where(and(eq(pushSubscriptions.id, id), eq(pushSubscriptions.userId, userId))).returning({ id: pushSubscriptions.id }).all()
    if (removed.length === 0) throw new NotFoundError('Push subscription not found', { code: 'PUSH_SUBSCRIPTION_NOT_FOUND' })
  }
}

function toView(row: SubscriptionRow): PushSubscriptionView {
  return {
    id: row.id,
    endpoint: row.endpoint,
    userAgent: row.userAgent,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    lastSuccessAt: row.lastSuccessAt?.toISOString() ?? null,
  }
}
