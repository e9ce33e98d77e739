import type Redis from 'ioredis'
import type { Logger } from '../../logger'
import { errorFields } from '../../logger'
import { listMediaServers, pickMediaServer } from '../../../../media/src/registry'

/** A placement outlives any call; the call's end deletes it. */
const PLACEMENT_TTL_SECONDS = 7 * 24 * 3600
/** Rooms remembered per instance; other instances end calls too, so the oldest are dropped past this. */
const MAX_CACHED_ROOMS = 10_000
/** Deletes the placement only while it still names the stale URL (another instance may have re-placed it). */
const DELETE_IF_EQUAL = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"

/**
 * Which media process hosts a room. With Redis, the first API instance to need a room places it on the
 * least-loaded registered process and writes `<prefix>media:rooms:<roomId>` (SET NX, so instances agree);
 * every instance then sends that room's requests over its link to that process. A placement naming a
 * process whose registration expired (it died) is replaced. Without Redis every room is on MEDIA_URL.
 */
export class RoomPlacement {
  readonly #cache = new Map<string, string>()

  constructor(private redis: Redis | null, private prefix: string, private fallbackUrl: string | null, private log: Logger) {}

  /** The URL of the media process hosting roomId, placing the room first if needed; null when none is known. */
  async urlFor(roomId: string): Promise<string | null> {
    const cached = this.#cache.get(roomId)
    if (cached) return cached
    if (!this.redis) return this.fallbackUrl
    try {
      const key = this.#key(roomId)
      const placed = await this.redis.get(key)
      const live = new Set((await listMediaServers(this.redis, this.prefix)).map((server) => server.url))
      if (placed && (live.has(placed) || placed === this.fallbackUrl)) return this.#remember(roomId, placed)
      if (placed) {
        this.log.warn('placement() [media process gone, placing the room again]', { roomId, url: placed })
        await this.redis.eval(DELETE_IF_EQUAL, 1, key, placed)
      }
      const pick = await pickMediaServer(this.redis, this.prefix, this.fallbackUrl)
      if (!pick) return null
      await this.redis.set(key, pick, 'EX', PLACEMENT_TTL_SECONDS, 'NX')
      return this.#remember(roomId, (await this.redis.get(key)) ?? pick)
    } catch (error) {
      // @NOTE: Redis trouble must not stop calls when a fixed media URL is configured.
      this.log.warn('placement() [redis unavailable, using MEDIA_URL]', { roomId, ...errorFields(error) })
      return this.fallbackUrl
    }
  }

  /** The call is over: its placement goes (best effort; the TTL removes it anyway). */
  async forget(roomId: string): Promise<void> {
    this.#cache.delete(roomId)
    // @NOTE: a leftover key only expires later; the next call gets a room of its own id.
    await this.redis?.del(this.#key(roomId)).catch(() => 0)
  }

  /** A link to `url` closed: look placements on it up again (the process may be gone). */
  forgetUrl(url: string): void {
    for (const [roomId, placed] of this.#cache) if (placed === url) this.#cache.delete(roomId)
  }

  #remember(roomId: string, url: string): string {
    this.#cache.set(roomId, url)
    if (this.#cache.size > MAX_CACHED_ROOMS) this.#cache.delete(this.#cache.keys().next().value!)
    return url
  }

  #key(roomId: string): string {
    return `${this.prefix}media:rooms:${roomId}`
  }
}
