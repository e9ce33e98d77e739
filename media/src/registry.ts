import type Redis from 'ioredis'
import type { Logger } from '../../server/src/logger'
import { errorFields } from '../../server/src/logger'
import type { MediaLoad } from './server'

/** What a media process publishes about itself under `<prefix>media:servers:<id>`. */
export interface MediaRegistration {
  id: string
  /** The internal channel's URL (ws://…), what the API connects to. */
  url: string
  load: MediaLoad
  updatedAt: string
}

const KEY_PREFIX = 'media:servers:'

export function registrationKey(prefix: string, id: string): string {
  return `${prefix}${KEY_PREFIX}${id}`
}

/**
 * Keeps this process registered while it runs: the key carries a TTL refreshed every third of it,
 * so a crashed process drops out on its own. Answers the function that stops and deregisters.
 */
export function startRegistration(redis: Redis, options: { prefix: string; id: string; url: string; ttlSeconds: number; load: () => MediaLoad }, logger: Logger): () => Promise<void> {
  const key = registrationKey(options.prefix, options.id)
  const write = async () => {
    const registration: MediaRegistration = { id: options.id, url: options.url, load: options.load(), updatedAt: new Date().toISOString() }
    try {
      await redis.set(key, JSON.stringify(registration), 'EX', options.ttlSeconds)
    } catch (error) {
      logger.warn('startRegistration() [redis write failed]', errorFields(error))
    }
  }
  void write()
  const timer = setInterval(() => void write(), Math.max(1000, (options.ttlSeconds * 1000) / 3))
  return async () => {
    clearInterval(timer)
    // @NOTE: Redis may be gone at shutdown; the TTL removes the key anyway.
    await redis.del(key).catch(() => 0)
  }
}

/** Every registered media process (live ones: their keys have not expired). */
export async function listMediaServers(redis: Redis, prefix: string): Promise<MediaRegistration[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}${KEY_PREFIX}*`, 'COUNT', 100)
    cursor = next
    keys.push(...batch)
  } while (cursor !== '0')
  if (!keys.length) return []
  const values = await redis.mget(...keys)
  return values.flatMap((value) => {
    if (!value) return []
    try {
      return [JSON.parse(value) as MediaRegistration]
    } catch {
      return []
    }
  })
}

/** Load a process reports: consumers dominate forwarding cost; peers, then rooms (a call nobody joined yet) break ties. */
function loadScore(registration: MediaRegistration): number {
  const workers = Math.max(1, registration.load.workers.filter((worker) => worker.pid !== null).length)
  return (registration.load.consumers + registration.load.peers + registration.load.rooms / 1000) / workers
}

/**
 * For the API: the URL of the least-loaded registered media process, else `fallbackUrl` (MEDIA_URL),
 * also when Redis is unavailable or absent. null = no media process known.
 */
export async function pickMediaServer(redis: Redis | null, prefix: string, fallbackUrl: string | null): Promise<string | null> {
  if (!redis) return fallbackUrl
  try {
    const servers = await listMediaServers(redis, prefix)
    const best = servers.sort((a, b) => loadScore(a) - loadScore(b))[0]
    return best?.url ?? fallbackUrl
  } catch {
    // @NOTE: Redis trouble must not stop calls when a fixed media URL is configured.
    return fallbackUrl
  }
}
