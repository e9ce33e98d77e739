import { t, type Static } from 'elysia'

/** Queue names shared by the API (producer) and the worker fleet (consumers). */
export const QUEUES = {
  scheduled: 'scheduled',
  webhooks: 'webhooks',
} as const

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES]

/** Jobs carry ids and parameters, never rows or secrets. */
export const ScheduledJob = t.Union([
  t.Object({ kind: t.Literal('purge-expired-auth'), olderThanDays: t.Optional(t.Number({ minimum: 0, maximum: 3650 })) }),
  t.Object({ kind: t.Literal('purge-expired-stories') }),
])
export type ScheduledJob = Static<typeof ScheduledJob>

/** Repeatable jobs the worker registers at start (idempotent: same key, same schedule). */
export const SCHEDULES: Array<{ name: string; everyMs: number; data: ScheduledJob }> = [
  { name: 'purge-expired-auth', everyMs: 3600_000, data: { kind: 'purge-expired-auth' } },
  { name: 'purge-expired-stories', everyMs: 600_000, data: { kind: 'purge-expired-stories' } },
]

/** One outgoing webhook delivery; the row holds the payload, the job only its id. */
export const WebhookJob = t.Object({ deliveryId: t.String({ minLength: 1, maxLength: 64 }) })
export type WebhookJob = Static<typeof WebhookJob>
