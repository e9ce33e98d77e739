import { and, desc, eq, sql } from 'drizzle-orm'
import type { Config } from '../../config'
import type { Db } from '../../db/client'
import { webhookDeliveries, webhooks } from '../../db/schema'
import { NotFoundError, ValidationError } from '../../errors'
import { newId, randomToken } from '../../lib/crypto'
import type { Logger } from '../../logger'
import { RetryLaterError } from '../jobs/local-queue'
import { MANAGERS, WorkspaceMembership } from '../workspaces/membership'
import { checkDestination, DestinationRefusedError } from './destination'
import { MAX_CONSECUTIVE_FAILURES, RETRY_POLICY, type UpdateWebhookInput, type WebhookEvent } from './model'
import { sendWebhook } from './sender'

export type WebhookRow = typeof webhooks.$inferSelect
export type DeliveryRow = typeof webhookDeliveries.$inferSelect
export type DeliveryStatus = DeliveryRow['status']

/** Thrown by deliver() when an attempt failed and another one is due; queues retry on it. */
export class DeliveryRetryError extends RetryLaterError {
  override name = 'DeliveryRetryError'
  constructor(readonly deliveryId: string, attempt: number, reason: string) {
    super(deliveryId, attempt, `delivery: ${reason}`)
  }
}

/** The JSON body every delivery POSTs; stored with the delivery so each retry sends the same bytes. */
export function deliveryPayload(deliveryId: string, event: WebhookEvent, workspaceId: string, data: Record<string, unknown>, createdAt: Date) {
  return { id: deliveryId, event, createdAt: createdAt.toISOString(), workspaceId, data }
}

/**
 * Outgoing webhooks of a workspace (owners and admins only) and their delivery: signed POSTs,
 * a delivery log, retries driven by a queue, auto-disable after repeated failures.
 */
export class WebhookService {
  #membership: WorkspaceMembership

  constructor(private db: Db, private config: Config, private log: Logger) {
    this.#membership = new WorkspaceMembership(db)
  }

  /** The secret is in the returned row and never readable again. */
  async create(workspaceId: string, actorId: string, input: { url: string; events: string[]; includeBotMessages?: boolean }): Promise<WebhookRow> {
    this.#membership.assertRole(workspaceId, actorId, MANAGERS)
    await this.#assertAllowed(input.url)
    return this.db
      .insert(webhooks)
      .values({ id: newId(), workspaceId, url: input.url, events: input.events, includeBotMessages: input.includeBotMessages ?? false, secret: `whsec_${randomToken(32)}`, createdBy: actorId, createdAt: new Date() })
      .returning()
      .get()
  }

  list(workspaceId: string, actorId: string): WebhookRow[] {
    this.#membership.assertRole(workspaceId, actorId, MANAGERS)
    return this.db.select().from(webhooks).where(eq(webhooks.workspaceId, workspaceId)).orderBy(webhooks.createdAt).all()
  }

  async update(workspaceId: string, hookId: string, actorId: string, input: UpdateWebhookInput): Promise<WebhookRow> {
    const hook = this.#hook(workspaceId, hookId, actorId)
    if (input.url !== undefined) await this.#assertAllowed(input.url)
    const changes: Partial<WebhookRow> = {}
    if (input.url !== undefined) changes.url = input.url
    if (input.events !== undefined) changes.events = input.events
    if (input.includeBotMessages !== undefined) changes.includeBotMessages = input.includeBotMessages
    if (input.enabled === true && hook.disabledAt) Object.assign(changes, { disabledAt: null, disabledReason: null, consecutiveFailures: 0 })
    if (input.enabled === false && !hook.disabledAt) Object.assign(changes, { disabledAt: new Date(), disabledReason: 'disabled_by_admin' })
    if (Object.keys(changes).length === 0) return hook
    return this.db.update(webhooks).set(changes).where(eq(webhooks.id, hook.id)).returning().get()!
  }

  /** Its delivery log goes with it; queued attempts for it find nothing and stop. */
  delete(workspaceId: string, hookId: string, actorId: string): void {
    const hook = this.#hook(workspaceId, hookId, actorId)
    this.db.delete(webhooks).where(eq(webhooks.id, hook.id)).run()
  }

  deliveries(workspaceId: string, hookId: string, actorId: string, limit = 50): DeliveryRow[] {
    const hook = this.#hook(workspaceId, hookId, actorId)
    return this.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, hook.id)).orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id)).limit(limit).all()
  }

  /**
   * Sends a `ping` now, once, even to a disabled webhook (to check it before re-enabling), and returns
   * the logged outcome. A ping neither retries nor counts towards auto-disable.
   */
  async ping(workspaceId: string, hookId: string, actorId: string): Promise<DeliveryRow> {
    const hook = this.#hook(workspaceId, hookId, actorId)
    const id = newId()
    const now = new Date()
    const payload = deliveryPayload(id, 'ping', workspaceId, { webhookId: hook.id, events: hook.events }, now)
    this.db.insert(webhookDeliveries).values({ id, webhookId: hook.id, event: 'ping', payload, status: 'pending', createdAt: now }).run()
    const result = await sendWebhook({ url: hook.url, secret: hook.secret, event: 'ping', deliveryId: id, body: JSON.stringify(payload) }, this.config.webhooks)
    return this.db
      .update(webhookDeliveries)
      .set({ status: result.ok ? 'succeeded' : 'failed', attempts: 1, responseCode: result.responseCode, error: result.error, lastAttemptAt: new Date() })
      .where(eq(webhookDeliveries.id, id))
      .returning()
      .get()!
  }

  /**
   * One attempt of a queued delivery, called by the webhooks worker (or the in-process queue without
   * Redis). Idempotent: a delivery that is no longer pending, or whose webhook is gone, is left alone.
   * A failure with attempts left throws DeliveryRetryError so the queue retries; the last failure (or a
   * refused destination) marks it failed and counts towards disabling the webhook.
   */
  async deliver(deliveryId: string): Promise<DeliveryStatus | 'missing'> {
    const found = this.db.select({ delivery: webhookDeliveries, hook: webhooks }).from(webhookDeliveries).innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId)).where(eq(webhookDeliveries.id, deliveryId)).get()
    if (!found) return 'missing'
    const { delivery, hook } = found
    if (delivery.status !== 'pending') return delivery.status
    if (hook.disabledAt) {
      this.db.update(webhookDeliveries).set({ status: 'failed', error: 'webhook disabled' }).where(eq(webhookDeliveries.id, deliveryId)).run()
      return 'failed'
    }
    const attempt = delivery.attempts + 1
    const result = await sendWebhook({ url: hook.url, secret: hook.secret, event: delivery.event, deliveryId, body: JSON.stringify(delivery.payload) }, this.config.webhooks)
    const status: DeliveryStatus = result.ok ? 'succeeded' : !result.retryable || attempt >= RETRY_POLICY.attempts ? 'failed' : 'pending'
    this.db.transaction((tx) => {
      tx.update(webhookDeliveries).set({ status, attempts: attempt, responseCode: result.responseCode, error: result.error, lastAttemptAt: new Date() }).where(eq(webhookDeliveries.id, deliveryId)).run()
      if (status === 'succeeded' && hook.consecutiveFailures > 0) tx.update(webhooks).set({ consecutiveFailures: 0 }).where(eq(webhooks.id, hook.id)).run()
      if (status === 'failed') {
        const updated = tx.update(webhooks).set({ consecutiveFailures: sql`${webhooks.consecutiveFailures} + 1` }).where(eq(webhooks.id, hook.id)).returning().get()!
        if (updated.consecutiveFailures >= MAX_CONSECUTIVE_FAILURES && !updated.disabledAt) {
          tx.update(webhooks).set({ disabledAt: new Date(), disabledReason: 'too_many_failures' }).where(eq(webhooks.id, hook.id)).run()
          this.log.warn('deliver() [webhook disabled]', { webhookId: hook.id, workspaceId: hook.workspaceId, consecutiveFailures: updated.consecutiveFailures })
        }
      }
    }, { behavior: 'immediate' })
    if (status === 'pending') throw new DeliveryRetryError(deliveryId, attempt, result.error ?? 'unknown error')
    return status
  }

  #hook(workspaceId: string, hookId: string, actorId: string): WebhookRow {
    this.#membership.assertRole(workspaceId, actorId, MANAGERS)
    const hook = this.db.select().from(webhooks).where(and(eq(webhooks.id, hookId), eq(webhooks.workspaceId, workspaceId))).get()
    if (!hook) throw new NotFoundError('Webhook not found', { code: 'WEBHOOK_NOT_FOUND' })
    return hook
  }

  async #assertAllowed(url: string): Promise<void> {
    try {
      await checkDestination(url, this.config.webhooks.allowPrivateNetworks)
    } catch (error) {
      if (error instanceof DestinationRefusedError) throw new ValidationError(error.message, { code: 'WEBHOOK_URL_NOT_ALLOWED' })
      throw error
    }
  }
}
