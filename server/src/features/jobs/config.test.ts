import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../config'

const dataDir = mkdtempSync(join(tmpdir(), 'parley-jobs-config-'))
const load = (env: Record<string, string>) => loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'test', ...env })

afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

test('per-queue concurrency and rate limits are read for every queue name', () => {
  const config = load({ WORKER_CONCURRENCY_IMAGES: '3', WORKER_RATE_LIMIT_EMAIL: '30/m', WORKER_RATE_LIMIT_WEBHOOKS: '100/s', WORKER_QUEUES: 'images, email' })
  expect(config.workers.queues.images).toEqual({ concurrency: 3, rateLimit: undefined })
  expect(config.workers.queues.email).toEqual({ concurrency: undefined, rateLimit: { max: 30, durationMs: 60_000 } })
  expect(config.workers.queues.webhooks?.rateLimit).toEqual({ max: 100, durationMs: 1000 })
  expect(config.workers.only).toEqual(['images', 'email'])
  expect(config.workers).toMatchObject({ shutdownTimeoutMs: 10_000, lockDurationMs: null, stalledIntervalMs: 30_000 })
})

test('a bad value stops the process with the variable named', () => {
  expect(() => load({ WORKER_RATE_LIMIT_IMAGES: 'fast' })).toThrow('WORKER_RATE_LIMIT_IMAGES: expected <jobs>/<s|m|h>')
  expect(() => load({ WORKER_RATE_LIMIT_IMAGES: '0/s' })).toThrow('WORKER_RATE_LIMIT_IMAGES')
  expect(() => load({ WORKER_CONCURRENCY_MEDIA: '0' })).toThrow('WORKER_CONCURRENCY_MEDIA: expected a number from 1 to 1000')
  expect(() => load({ WORKER_QUEUES: 'images,thumbnails' })).toThrow('WORKER_QUEUES: unknown queue "thumbnails"')
  expect(() => load({ WORKER_SHUTDOWN_TIMEOUT_MS: 'soon' })).toThrow('WORKER_SHUTDOWN_TIMEOUT_MS')
})
