import { t, type Static } from 'elysia'

/** Queue names shared by the API (producer) and the worker fleet (consumers). */
export const QUEUES = {
  scheduled: 'scheduled',
  webhooks: 'webhooks',
  media: 'media',
  images: 'images',
  transcription: 'transcription',
  reports: 'reports',
  email: 'email',
  ai: 'ai',
  push: 'push',
} as const

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES]

/** Jobs carry ids and parameters, never rows or secrets. */
export const ScheduledJob = t.Union([
  t.Object({ kind: t.Literal('purge-expired-auth'), olderThanDays: t.Optional(t.Number({ minimum: 0, maximum: 3650 })) }),
  t.Object({ kind: t.Literal('purge-expired-stories') }),
  t.Object({ kind: t.Literal('purge-expired-uploads') }),
  t.Object({ kind: t.Literal('purge-expired-exports') }),
])
export type ScheduledJob = Static<typeof ScheduledJob>

/** Repeatable jobs the worker registers at start (idempotent: same key, same schedule). */
export const SCHEDULES: Array<{ name: string; everyMs: number; data: ScheduledJob }> = [
  { name: 'purge-expired-auth', everyMs: 3600_000, data: { kind: 'purge-expired-auth' } },
  { name: 'purge-expired-stories', everyMs: 600_000, data: { kind: 'purge-expired-stories' } },
  { name: 'purge-expired-uploads', everyMs: 3600_000, data: { kind: 'purge-expired-uploads' } },
  { name: 'purge-expired-exports', everyMs: 3600_000, data: { kind: 'purge-expired-exports' } },
]

/** One outgoing webhook delivery; the row holds the payload, the job only its id. */
export const WebhookJob = t.Object({ deliveryId: t.String({ minLength: 1, maxLength: 64 }) })
export type WebhookJob = Static<typeof WebhookJob>

/** One notification to push to every browser subscription of its recipient; the row holds the content. */
export const PushJob = t.Object({ notificationId: t.String({ minLength: 1, maxLength: 64 }) })
export type PushJob = Static<typeof PushJob>

/** One outgoing mail over SMTP; the outbox row holds the mail, the job only its id (jobId = mailId). */
export const EmailJob = t.Object({ mailId: t.String({ minLength: 1, maxLength: 64 }) })
export type EmailJob = Static<typeof EmailJob>

/** One image job (background removal or enhancement over one or more images); the row holds inputs and options. */
export const ImageJob = t.Object({ imageJobId: t.String({ minLength: 1, maxLength: 64 }), userId: t.String({ minLength: 1, maxLength: 64 }) })
export type ImageJob = Static<typeof ImageJob>

/** Transcribe the voice file attached to a message (jobId = messageId); the transcript row holds the result. */
export const TranscriptionJob = t.Object({
  messageId: t.String({ minLength: 1, maxLength: 64 }),
  fileId: t.String({ minLength: 1, maxLength: 64 }),
  /** Who asked: their sockets see progress, their quota pays. */
  userId: t.String({ minLength: 1, maxLength: 64 }),
})
export type TranscriptionJob = Static<typeof TranscriptionJob>

/** Slow AI work done off the request path (jobId = summaryId); the `ai_summaries` row holds the request and the result, `userId` is the requester, whose sockets see progress. */
export const AiJob = t.Union([
  t.Object({ kind: t.Literal('summarize'), summaryId: t.String({ minLength: 1, maxLength: 64 }), userId: t.String({ minLength: 1, maxLength: 64 }) }),
])
export type AiJob = Static<typeof AiJob>

/** One conversation export (jobId = exportId); the row holds the options, `userId` is the requester, whose sockets see progress. */
export const ReportJob = t.Object({ kind: t.Literal('conversation-export'), exportId: t.String({ minLength: 1, maxLength: 64 }), userId: t.String({ minLength: 1, maxLength: 64 }) })
export type ReportJob = Static<typeof ReportJob>

/** Thumbnails, poster, rendition and waveform for one finished upload (jobId media-<fileId>); `userId` is the owner, whose sockets see progress. */
export const MediaJob = t.Object({ fileId: t.String({ minLength: 1, maxLength: 64 }), userId: t.String({ minLength: 1, maxLength: 64 }) })
export type MediaJob = Static<typeof MediaJob>

/**
 * A job named `fleet.ping` on any queue is answered by the worker fleet itself, before the queue's
 * processor: it holds for `holdMs` (reporting progress to `userId`) and returns the worker's pid.
 * Health checks, benchmarks and fleet tests use it.
 */
export const PING_JOB_NAME = 'fleet.ping'
export const PingJob = t.Object({ holdMs: t.Integer({ minimum: 0, maximum: 600_000 }), userId: t.Optional(t.String({ minLength: 1, maxLength: 64 })) }, { additionalProperties: false })
export type PingJob = Static<typeof PingJob>
