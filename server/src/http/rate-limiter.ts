import type Redis from 'ioredis'
import type { Logger } from '../logger'
import { errorFields } from '../logger'

export interface RateResult {
  count: number
  allowed: boolean
  retryAfterSeconds: number
}

/** Fixed-window counters; in memory by default, shared through Redis when configured. */
export interface RateLimiter {
  /** Counts one hit against `key` and says whether it is within `limit` per `windowMs`. */
  hit(key: string, limit: number, windowMs: number): Promise<RateResult>
  /**
   * `hit` answered at once, for limiters that count in memory: per-request hooks then need no
   * promise (docs/BENCHMARKS.md). Absent when the count lives in Redis.
   */
  hitNow?(key: string, limit: number, windowMs: number): RateResult
  /** The current count without adding to it. */
  peek(key: string, limit: number): Promise<RateResult>
  reset(key: string): Promise<void>
  close(): void
}

export function createMemoryRateLimiter(): RateLimiter {
  const windows = new Map<string, { count: number; resetAt: number }>()
  const sweep = setInterval(() => {
    const now = Date.now()
    for (const [key, entry] of windows) if (entry.resetAt <= now) windows.delete(key)
  }, 60_000)
  sweep.unref?.()
  const result = (count: number, limit: number, resetAt: number): RateResult => ({
    count,
    allowed: count <= limit,
    retryAfterSeconds: Math.max(1, Math.ceil((resetAt - Date.now()) / 1000)),
  })
  const hitNow = (key: string, limit: number, windowMs: number): RateResult => {
    const now = Date.now()
    let entry = windows.get(key)
    if (!entry || entry.resetAt <= now) {
      entry = { count: 0, resetAt: now + windowMs }
      windows.set(key, entry)
    }
    entry.count++
    return result(entry.count, limit, entry.resetAt)
  }
  return {
    hitNow,
    async hit(key, limit, windowMs) {
      return hitNow(key, limit, windowMs)
    },
    async peek(key, limit) {
      const entry = windows.get(key)
      if (!entry || entry.resetAt <= Date.now()) return { count: 0, allowed: true, retryAfterSeconds: 0 }
      return { ...result(entry.count, limit, entry.resetAt), allowed: entry.count < limit }
    },
    async reset(key) {
      windows.delete(key)
    },
    close() {
      clearInterval(sweep)
    },
  }
}

const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
return { count, ttl }`

/**
 * Redis-backed counters so several API instances share one budget. If Redis is unreachable the
 * limiter falls back to local memory rather than failing requests.
 */
export function createRedisRateLimiter(redis: Redis, log: Logger, keyPrefix: string): RateLimiter {
  const fallback = createMemoryRateLimiter()
  const prefix = `${keyPrefix}rl:`
  let warned = false
  // At start the first connection attempt gets a moment, so early requests count in Redis; once that
  // attempt has succeeded or failed, an unavailable Redis switches to memory at once instead of
  // making every request wait (and one shared promise instead of a listener per request).
  let firstAttemptDone = redis.status === 'ready'
  const firstAttempt = new Promise<void>((resolve) => {
    const done = () => {
      firstAttemptDone = true
      resolve()
    }
    redis.once('ready', done)
    redis.once('close', done)
  })
  const usable = async (): Promise<boolean> => {
    if (redis.status === 'ready') return true
    if (firstAttemptDone || redis.status === 'end') return false
    await Promise.race([firstAttempt, Bun.sleep(500)])
    return (redis.status as string) === 'ready'
  }
  const degrade = (error: unknown) => {
    if (!warned) log.warn('rateLimiter() [redis unavailable, using memory]', errorFields(error))
    warned = true
  }
  const toResult = (count: number, ttlMs: number, limit: number, strict: boolean): RateResult => ({
    count,
    allowed: strict ? count < limit : count <= limit,
    retryAfterSeconds: Math.max(1, Math.ceil(Math.max(ttlMs, 0) / 1000)),
  })
  return {
    async hit(key, limit, windowMs) {
      if (!(await usable())) return fallback.hit(key, limit, windowMs)
      try {
        const [count, ttl] = (await redis.eval(HIT_SCRIPT, 1, prefix + key, windowMs)) as [number, number]
        warned = false
        return toResult(count, ttl, limit, false)
      } catch (error) {
        degrade(error)
        return fallback.hit(key, limit, windowMs)
      }
    },
    async peek(key, limit) {
      if (!(await usable())) return fallback.peek(key, limit)
      try {
        const [count, ttl] = await Promise.all([redis.get(prefix + key), redis.pttl(prefix + key)])
        if (!count) return { count: 0, allowed: true, retryAfterSeconds: 0 }
        return toResult(Number(count), ttl, limit, true)
      } catch (error) {
        degrade(error)
        return fallback.peek(key, limit)
      }
    },
    async reset(key) {
      await fallback.reset(key)
      // @NOTE: a reset that cannot reach Redis only means the counter expires on its own window.
      await redis.del(prefix + key).catch(() => {})
    },
    close() {
      fallback.close()
    },
  }
}
