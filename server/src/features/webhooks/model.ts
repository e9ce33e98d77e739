import { t } from 'elysia'
import type { incomingWebhooks, webhookDeliveries, webhooks } from '../../db/schema'
import { Iso, NullableIso, strict } from '../../http/schemas'
import { QUEUES } from '../../contracts/jobs'
import { jobPolicy } from '../jobs/policy'

/**
 * Events a webhook can subscribe to (payloads in docs/WEBHOOKS.md). Message events come from the send
 * path, in channels of the workspace: a top-level message is `message.created`, a reply in a thread
 * `thread.replied`. Member events cover the workspace and its channels (`scope`); conversation events,
 * its channels. `ping` is only sent by the test endpoint.
 */
export const MESSAGE_EVENTS = ['message.created', 'thread.replied', 'message.updated', 'message.deleted'] as const
export const MEMBER_EVENTS = ['member.joined', 'member.left', 'member.removed', 'member.role_changed'] as const
export const CONVERSATION_EVENTS = ['conversation.created', 'conversation.archived', 'conversation.unarchived'] as const
export const WEBHOOK_EVENTS = [...MESSAGE_EVENTS, ...MEMBER_EVENTS, ...CONVERSATION_EVENTS] as const
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number] | 'ping'

const policy = jobPolicy(QUEUES.webhooks)
/** Every delivery is tried this often (the `webhooks` queue policy); retries back off exponentially from baseDelayMs with jitter. */
export const RETRY_POLICY = { attempts: policy.attempts, baseDelayMs: policy.backoffMs, jitter: policy.jitter } as const

/** After this many deliveries in a row end failed, the webhook is disabled (`too_many_failures`). */
export const MAX_CONSECUTIVE_FAILURES = 10

const Id = t.String({ minLength: 1, maxLength: 64 })
const Event = t.Union(WEBHOOK_EVENTS.map((event) => t.Literal(event)))
const Events = t.Array(Event, { minItems: 1, maxItems: WEBHOOK_EVENTS.length, uniqueItems: true, description: `Any of ${WEBHOOK_EVENTS.join(', ')}` })
const Url = t.String({ minLength: 8, maxLength: 2048, pattern: '^[hH][tT][tT][pP][sS]?://', description: 'http or https; must not resolve to a loopback, private or link-local address unless the server allows it' })

export const WorkspaceParams = t.Object({ id: Id })
export const WebhookParams = t.Object({ id: Id, hookId: Id })
export const DeliveriesQuery = t.Object({ limit: t.Optional(t.Numeric({ minimum: 1, maximum: 200, description: 'Default 50, newest first' })) })

const IncludeBotMessages = t.Boolean({ description: "Also deliver message events of messages this workspace's incoming webhooks posted (default false, so an integration that answers a hook cannot loop)" })

export const CreateWebhookBody = t.Object({ url: Url, events: Events, includeBotMessages: t.Optional(IncludeBotMessages) }, strict)
export const UpdateWebhookBody = t.Object({ url: t.Optional(Url), events: t.Optional(Events), includeBotMessages: t.Optional(IncludeBotMessages), enabled: t.Optional(t.Boolean({ description: 'true re-enables (and resets the failure count), false disables' })) }, strict)
export type UpdateWebhookInput = typeof UpdateWebhookBody.static

export const Webhook = t.Object(
  {
    id: t.String(),
    workspaceId: t.String(),
    url: t.String(),
    events: t.Array(t.String()),
    includeBotMessages: t.Boolean(),
    enabled: t.Boolean(),
    disabledAt: NullableIso,
    disabledReason: t.Union([t.String({ description: 'disabled_by_admin or too_many_failures' }), t.Null()]),
    consecutiveFailures: t.Number(),
    createdBy: t.Union([t.String(), t.Null()]),
    createdAt: Iso,
  },
  { title: 'Webhook' },
)
export const CreatedWebhook = t.Composite([Webhook, t.Object({ secret: t.String({ description: 'Signs every delivery (HMAC-SHA256); shown only in this response' }) })], { title: 'CreatedWebhook' })

export const Delivery = t.Object(
  {
    id: t.String(),
    webhookId: t.String(),
    event: t.String(),
    status: t.Union([t.Literal('pending'), t.Literal('succeeded'), t.Literal('failed')]),
    attempts: t.Number(),
    responseCode: t.Union([t.Number(), t.Null()]),
    error: t.Union([t.String(), t.Null()]),
    createdAt: Iso,
    lastAttemptAt: NullableIso,
  },
  { title: 'WebhookDelivery' },
)

export const ConversationParams = t.Object({ id: Id })
export const IncomingParams = t.Object({ id: Id, hookId: Id })
export const TokenParams = t.Object({ token: t.String({ minLength: 1, maxLength: 128 }) })
export const CreateIncomingBody = t.Object({ name: t.String({ minLength: 1, maxLength: 80, description: 'Shown as the author of posted messages' }) }, strict)
export const IncomingPostBody = t.Object(
  { text: t.String({ minLength: 1, maxLength: 4000 }), username: t.Optional(t.String({ minLength: 1, maxLength: 80, description: 'Overrides the webhook name for this message' })) },
  strict,
)

export const IncomingWebhook = t.Object(
  { id: t.String(), conversationId: t.String(), name: t.String(), createdBy: t.Union([t.String(), t.Null()]), createdAt: Iso, revokedAt: NullableIso },
  { title: 'IncomingWebhook' },
)
export const CreatedIncomingWebhook = t.Composite([IncomingWebhook, t.Object({ url: t.String({ description: 'Anyone holding it can post; shown only in this response' }) })], { title: 'CreatedIncomingWebhook' })
export const IncomingPosted = t.Object({ id: t.String(), conversationId: t.String(), seq: t.Number(), createdAt: Iso }, { title: 'IncomingWebhookMessage' })

type WebhookRow = typeof webhooks.$inferSelect
type DeliveryRow = typeof webhookDeliveries.$inferSelect
type IncomingRow = typeof incomingWebhooks.$inferSelect
const iso = (date: Date | null) => date?.toISOString() ?? null

export function toWebhook(row: WebhookRow): typeof Webhook.static {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    url: row.url,
    events: row.events,
    includeBotMessages: row.includeBotMessages,
    enabled: row.disabledAt === null,
    disabledAt: iso(row.disabledAt),
    disabledReason: row.disabledReason,
    consecutiveFailures: row.consecutiveFailures,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
  }
}

export function toDelivery(row: DeliveryRow): typeof Delivery.static {
  return {
    id: row.id,
    webhookId: row.webhookId,
    event: row.event,
    status: row.status,
    attempts: row.attempts,
    responseCode: row.responseCode,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    lastAttemptAt: iso(row.lastAttemptAt),
  }
}

export function toIncoming(row: IncomingRow): typeof IncomingWebhook.static {
  return { id: row.id, conversationId: row.conversationId, name: row.name, createdBy: row.createdBy, createdAt: row.createdAt.toISOString(), revokedAt: iso(row.revokedAt) }
}
