import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import { listMediaServers, pickMediaServer, registrationKey } from './registry'
import { eventually, startMedia, type StartedMedia } from './test-kit'

const prefix = `test-media-${process.pid}-${Date.now()}:`
let redis: Redis
let media: StartedMedia

beforeAll(async () => {
  redis = new Redis(process.env.TEST_REDIS_URL!)
  media = await startMedia({ MEDIA_WORKERS: '1', REDIS_URL: process.env.TEST_REDIS_URL!, REDIS_PREFIX: prefix, MEDIA_REGISTRATION_TTL_SECONDS: '5' })
})

afterAll(async () => {
  await media?.stop()
  redis?.disconnect()
})

describe('media process registry', () => {
  test('a running media process registers its URL and load with a TTL, and is what the API picks', async () => {
    const [registration] = await eventually(() => listMediaServers(redis, prefix), (servers) => servers.length === 1)
    expect(registration!.url).toBe(media.url)
    expect(registration!.load.workers).toHaveLength(1)
    expect(registration!.load.rooms).toBe(0)
    const ttl = await redis.ttl(registrationKey(prefix, registration!.id))
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(5)
    expect(await pickMediaServer(redis, prefix, 'ws://fallback:4000')).toBe(media.url)
  })

  test('the least-loaded process wins; without registrations or Redis the configured URL is the answer', async () => {
    const busy = { id: 'busy', url: 'ws://busy:4000', load: { rooms: 9, peers: 40, consumers: 400, workers: [{ pid: 1, rooms: 9, peers: 40, consumers: 400 }] }, updatedAt: new Date().toISOString() }
    await redis.set(registrationKey(prefix, 'busy'), JSON.stringify(busy), 'EX', 30)
    expect(await pickMediaServer(redis, prefix, null)).toBe(media.url)
    expect(await pickMediaServer(redis, `${prefix}other:`, 'ws://fallback:4000')).toBe('ws://fallback:4000')
    expect(await pickMediaServer(null, prefix, 'ws://fallback:4000')).toBe('ws://fallback:4000')
    await redis.del(registrationKey(prefix, 'busy'))
  })

  test('a media process that stops removes its registration', async () => {
    await media.stop()
    expect(await listMediaServers(redis, prefix)).toEqual([])
  })
})
