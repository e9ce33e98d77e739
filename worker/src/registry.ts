import type { Job } from 'bullmq'
import { QUEUES, type QueueName } from '../../server/src/contracts/jobs'
import type { WorkerContext } from './context'
import { scheduledProcessor } from './queues/scheduled'
import { webhooksProcessor } from './queues/webhooks'
import { emailProcessor } from './queues/email'
import { imagesProcessor } from './queues/images'
import { mediaProcessor } from './queues/media'
import { transcriptionProcessor } from './queues/transcription'
import { aiProcessor } from './queues/ai'
import { pushProcessor } from './queues/push'
import { reportsProcessor } from './queues/reports'

/** What a processor gets beside its job: progress that reaches the owner's sockets (job.data.userId). */
export interface JobRun {
  /** 0–100 plus a stage name; `item` for batch jobs (1-based index of the item being worked on). */
  progress(percent: number, stage: string, item?: { index: number; total: number }): Promise<void>
}

export type JobProcessor = (job: Job, run: JobRun) => Promise<unknown>

export interface QueueEntry {
  queue: QueueName
  /** Built once per process: parses the payload (UnrecoverableError when bad) and calls a feature service. */
  processor: (ctx: WorkerContext) => JobProcessor
  /** Jobs run at once per worker process; WORKER_CONCURRENCY_<QUEUE> overrides it. */
  concurrency: number
  /** How long a job's lock lives without renewal; a worker killed mid-job has its job retried after this. */
  lockDurationMs?: number
}

/**
 * Every queue this fleet consumes: adding a queue is one entry here plus its processor file in
 * queues/. Rate limits come from config only (WORKER_RATE_LIMIT_<QUEUE>); retry policy is set by
 * the producer (server/src/features/jobs/policy.ts) because BullMQ stores it on the job.
 */
export const REGISTRY: QueueEntry[] = [
  { queue: QUEUES.scheduled, processor: scheduledProcessor, concurrency: 1 },
  { queue: QUEUES.webhooks, processor: webhooksProcessor, concurrency: 8 },
  { queue: QUEUES.email, processor: emailProcessor, concurrency: 4 },
  { queue: QUEUES.images, processor: imagesProcessor, concurrency: 1, lockDurationMs: 60_000 },
  // ffmpeg renditions are CPU-bound: one per process, with a lock long enough for a long video.
  { queue: QUEUES.media, processor: mediaProcessor, concurrency: 1, lockDurationMs: 120_000 },
  // pocketsphinx is CPU-bound (about 0.3 s per second of audio); a provider call mostly waits.
  { queue: QUEUES.transcription, processor: transcriptionProcessor, concurrency: 2, lockDurationMs: 120_000 },
  { queue: QUEUES.ai, processor: aiProcessor, concurrency: 4, lockDurationMs: 120_000 },
  // Each push is a few short POSTs to push services; most of the time is waiting on them.
  { queue: QUEUES.push, processor: pushProcessor, concurrency: 8 },
  // An export streams pages through SQLite: mostly CPU, one per process; a long history may take minutes.
  { queue: QUEUES.reports, processor: reportsProcessor, concurrency: 1, lockDurationMs: 120_000 },
]
