import { eq, inArray } from 'drizzle-orm'
import webpush from 'web-push'
import type { Config } from '../../config'
import type { Db } from '../../db/client'
import { pushSubscriptions, sessions } from '../../db/schema'
import { errorFields, type Logger } from '../../logger'
import { checkEndpoint, EndpointRefusedError } from './endpoint'
import { loadVapidKeys, type VapidKeys } from './keys'
import { loadPushable } from './payload'

type SubscriptionRow = typeof pushSubscriptions.$inferSelect & { sessionEnded: boolean }
type Outcome = 'sent' | 'expired' | 'failed' | 'retry'

/** Some push service answered 429/5xx or could not be reached: the job is tried again later. */
export class PushRetryError extends Error {
  override name = 'PushRetryError'
  constructor(readonly notificationId: string, reason: string) {
    super(`push for notification ${notificationId} failed: ${reason}`)
  }
}

export type PushDelivery = { status: 'skipped'; reason: string } | { status: 'delivered'; sent: number; expired: number; failed: number }

/**
 * Sends one notification to every subscription of its recipient: the payload is encrypted to each
 * browser (RFC 8291, aes128gcm) and signed with our VAPID key (RFC 8292). Subscriptions the push
 * service no longer knows (404/410), that expired, or whose session ended are deleted unsent. Used by the worker and, without
 * Redis, in the API process.
 */
export class PushSender {
  #keys: VapidKeys

  constructor(private db: Db, private config: Config, private log: Logger) {
    this.#keys = loadVapidKeys(db)
  }

  async deliver(notificationId: string): Promise<PushDelivery> {
    const pushable = loadPushable(this.db, notificationId)
    if (!pushable.push) return { status: 'skipped', reason: pushable.reason }
    const now = Date.now()
    const subscriptions = this.db
      .select({ subscription: pushSubscriptions, revokedAt: sessions.revokedAt, expiresAt: sessions.expiresAt })
      .from(pushSubscriptions)
      .leftJoin(sessions, eq(sessions.id, pushSubscriptions.sessionId))
      .where(eq(pushSubscriptions.userId, pushable.userId))
      .all()
      .map(({ subscription, revokedAt, expiresAt }) => ({ ...subscription, sessionEnded: subscription.sessionId !== null && (!expiresAt || expiresAt.getTime() <= now || revokedAt !== null) }))
    if (subscriptions.length === 0) return { status: 'skipped', reason: 'no-subscriptions' }
    const body = JSON.stringify(pushable.payload)
    const outcomes = await Promise.all(subscriptions.map(async (subscription) => [subscription.id, await this.#send(subscription, body, pushable.urgency)] as const))
    const ids = (wanted: Outcome) => outcomes.filter(([, outcome]) => outcome === wanted).map(([id]) => id)
    const [sent, expired, failed, retry] = [ids('sent'), ids('expired'), ids('failed'), ids('retry')]
    if (sent.length > 0) this.db.update(pushSubscriptions).set({ lastSuccessAt: new Date() }).where(inArray(pushSubscriptions.id, sent)).run()
    if (expired.length > 0) this.db.delete(pushSubscriptions).where(inArray(pushSubscriptions.id, expired)).run()
    // @NOTE: a retry resends to the subscriptions that already got it; the same tag makes the browser replace, not repeat, it.
    if (retry.length > 0) throw new PushRetryError(notificationId, `${retry.length} of ${subscriptions.length} subscriptions unreachable`)
    return { status: 'delivered', sent: sent.length, expired: expired.length, failed: failed.length }
  }

  async #send(subscription: SubscriptionRow, body: string, urgency: 'high' | 'normal'): Promise<Outcome> {
    // Signed out (or revoked) there: the browser may be someone else's now.
    if (subscription.sessionEnded || (subscription.expiresAt && subscription.expiresAt.getTime() <= Date.now())) return 'expired'
    try {
      // Checked again before every send: DNS may have changed since the subscription was saved.
      await checkEndpoint(subscription.endpoint, this.config.push.allowLocalEndpoints)
    } catch (error) {
      if (error instanceof EndpointRefusedError) {
        this.log.warn('send() [endpoint refused]', { subscriptionId: subscription.id, reason: error.message })
        return 'failed'
      }
      throw error
    }
    const request = webpush.generateRequestDetails({ endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } }, body, {
      vapidDetails: { subject: this.config.push.subject, ...this.#keys },
      TTL: this.config.push.ttlSeconds,
      urgency,
    })
    try {
      const response = await fetch(request.endpoint, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.config.push.timeoutMs),
        headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)])),
        body: request.body ? new Uint8Array(request.body) : undefined,
      })
      // @NOTE: the body is irrelevant; drain it so the connection can be reused, whatever happens.
      await response.arrayBuffer().catch(() => {})
      if (response.status >= 200 && response.status < 300) return 'sent'
      if (response.status === 404 || response.status === 410) return 'expired'
      if (response.status === 429 || response.status >= 500) return 'retry'
      this.log.warn('send() [push service refused]', { subscriptionId: subscription.id, status: response.status })
      return 'failed'
    } catch (error) {
      this.log.warn('send() [push service unreachable]', { subscriptionId: subscription.id, ...errorFields(error) })
      return 'retry'
    }
  }
}
