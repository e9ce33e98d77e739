import type { JobsOptions } from 'bullmq'
import type { QueueName } from '../../contracts/jobs'

/** How BullMQ retries and keeps a queue's jobs; stored on each job by the producer. */
export interface JobPolicy {
  attempts: number
  /** First retry after up to this long, doubling per attempt. */
  backoffMs: number
  /** 0–1: the share of each delay that is random, so retries of many jobs spread out. */
  jitter: number
  /** Finished jobs kept for inspection (the dashboard, GET status). */
  keepCompleted: number
  /** Failed jobs kept (and visible in the dashboard) after their last attempt. */
  keepFailed: number
}

const DEFAULT_POLICY: JobPolicy = { attempts: 5, backoffMs: 2000, jitter: 0.5, keepCompleted: 1000, keepFailed: 5000 }

/** Per-queue differences from the default; a new queue needs no entry. */
const POLICIES: Partial<Record<QueueName, Partial<JobPolicy>>> = {
  // Scheduled housekeeping runs again on its next tick; retrying it gains nothing.
  scheduled: { attempts: 1, keepCompleted: 100, keepFailed: 500 },
  // The delivery row counts attempts too (webhooks/service.ts reads this policy), so both agree.
  webhooks: { attempts: 6, backoffMs: 1000 },
  // SMTP relays recover within minutes; 8 attempts from 5 s span about 20 minutes.
  email: { attempts: 8, backoffMs: 5000 },
  // Background removal is CPU-bound and deterministic: a few retries cover a killed worker.
  images: { attempts: 3, backoffMs: 5000 },
  // The provider layer already retries 429/5xx within one attempt; the queue adds a couple more, spaced out.
  ai: { attempts: 3, backoffMs: 2000 },
}

export function jobPolicy(queue: QueueName): JobPolicy {
  return { ...DEFAULT_POLICY, ...POLICIES[queue] }
}

/** BullMQ options for a new job of `queue`: exponential backoff with jitter, finished and failed jobs kept by count. */
export function jobOptions(queue: QueueName): JobsOptions {
  const policy = jobPolicy(queue)
  return {
    attempts: policy.attempts,
    backoff: { type: 'exponential', delay: policy.backoffMs, jitter: policy.jitter },
    removeOnComplete: { count: policy.keepCompleted },
    removeOnFail: { count: policy.keepFailed },
  }
}
