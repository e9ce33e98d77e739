import type Redis from 'ioredis'

/** Seconds; jobs range from a no-op to minutes of background removal over a batch. */
export const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

export type JobOutcome = 'completed' | 'failed'

export interface QueueStats {
  /** Cumulative counts per DURATION_BUCKETS entry (Prometheus `le`). */
  buckets: number[]
  sum: number
  count: number
  completed: number
  failed: number
}

/** One Redis hash shared by every worker process (writers) and every API instance (readers). */
export const statsKey = (redisPrefix: string) => `${redisPrefix}jobs:stats`

/** Records one finished attempt; a failed attempt counts even when BullMQ retries it. */
export async function recordJobAttempt(redis: Redis, redisPrefix: string, queue: string, seconds: number, outcome: JobOutcome): Promise<void> {
  const bucket = DURATION_BUCKETS.findIndex((le) => seconds <= le)
  const key = statsKey(redisPrefix)
  const multi = redis.multi().hincrby(key, `${queue}|count`, 1).hincrbyfloat(key, `${queue}|sum`, seconds).hincrby(key, `${queue}|${outcome}`, 1)
  if (bucket >= 0) multi.hincrby(key, `${queue}|le|${bucket}`, 1)
  await multi.exec()
}

export async function readJobStats(redis: Redis, redisPrefix: string): Promise<Map<string, QueueStats>> {
  const raw = await redis.hgetall(statsKey(redisPrefix))
  const stats = new Map<string, QueueStats>()
  const of = (queue: string) => {
    let entry = stats.get(queue)
    if (!entry) {
      entry = { buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0, completed: 0, failed: 0 }
      stats.set(queue, entry)
    }
    return entry
  }
  for (const [field, value] of Object.entries(raw)) {
    const [queue, name, index] = field.split('|') as [string, string, string | undefined]
    const entry = of(queue)
    if (name === 'le') entry.buckets[Number(index)] = Number(value)
    else if (name === 'sum' || name === 'count' || name === 'completed' || name === 'failed') entry[name] = Number(value)
  }
  for (const entry of stats.values()) {
    for (let i = 1; i < entry.buckets.length; i++) entry.buckets[i]! += entry.buckets[i - 1]!
  }
  return stats
}
