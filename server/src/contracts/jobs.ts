import { t, type Static } from 'elysia'

/** Queue names shared by the API (producer) and the worker fleet (consumers). */
export const QUEUES = {
  scheduled: 'scheduled',
} as const

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES]

/** Jobs carry ids and parameters, never rows or secrets. */
export const ScheduledJob = t.Union([
  t.Object({ kind: t.Literal('purge-expired-auth'), olderThanDays: t.Optional(t.Number({ minimum: 0, maximum: 3650 })) }),
])
export type ScheduledJob = Static<typeof ScheduledJob>

/** Repeatable jobs the worker registers at start (idempotent: same key, same schedule). */
export const SCHEDULES: Array<{ name: string; everyMs: number; data: ScheduledJob }> = [
  { name: 'purge-expired-auth', everyMs: 3600_000, data: { kind: 'purge-expired-auth' } },
]
