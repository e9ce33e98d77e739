import type Redis from 'ioredis'
import { errorFields, type Logger } from '../../logger'
import { userTopic } from '../../realtime/hub'
import type { ServerEvent } from '../../realtime/protocol'

export type JobProgressEvent = Extract<ServerEvent, { type: 'job.progress' }>

/** What a job's progress looks like in BullMQ (job.progress) and in GET status answers. */
export interface JobProgress {
  percent: number
  stage: string
  item?: { index: number; total: number }
}

/**
 * Publishes to a user's sockets from outside an API process (the worker): the same envelope the
 * realtime hub's Redis bridge relays, so every API instance delivers it to that user's sockets.
 */
export class UserEventBridge {
  readonly #origin = `worker:${crypto.randomUUID()}`

  constructor(private redis: Redis, private redisPrefix: string, private log: Logger) {}

  toUser(userId: string, event: ServerEvent): void {
    const envelope = { origin: this.#origin, kind: 'topic', topic: userTopic(userId), data: JSON.stringify(event) }
    // @NOTE: a lost progress event must never fail the job; the status route still has the truth.
    this.redis.publish(`${this.redisPrefix}realtime`, JSON.stringify(envelope)).catch((error) => this.log.warn('toUser() [redis publish failed]', errorFields(error)))
  }
}

export function isJobProgress(value: unknown): value is JobProgress {
  return typeof value === 'object' && value !== null && typeof (value as JobProgress).percent === 'number' && typeof (value as JobProgress).stage === 'string'
}
