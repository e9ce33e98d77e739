// Runs once per `bun test` process: one real Redis for the whole run unless TEST_REDIS_URL points at one.
import { afterAll } from 'bun:test'
import { startRedis } from './redis'

if (!process.env.TEST_REDIS_URL) {
  const redis = await startRedis()
  process.env.TEST_REDIS_URL = redis.url
  afterAll(() => redis.stop())
  process.on('exit', () => redis.process.kill())
}
