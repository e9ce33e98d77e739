import { Queue, QueueEvents } from 'bullmq'
import { spawn, type Subprocess } from 'bun'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDatabase, type Db } from '../../server/src/db/client'
import { SCHEDULES, type QueueName } from '../../server/src/contracts/jobs'

export interface TestWorker {
  dataDir: string
  /** Redis key prefix of this worker (and of anything a test enqueues for it). */
  prefix: string
  redisUrl: string
  db: Db
  process: Subprocess<'ignore', 'pipe', 'pipe'>
  queue: Queue
  events: QueueEvents
  stop(): Promise<void>
}

/**
 * The real worker process (`bun worker/src/index.ts`) on a fresh SQLite file and its own Redis key
 * prefix (the Redis started by the test preload), plus a producer and an event stream for one queue.
 */
export async function startWorker(queueName: QueueName, env: Record<string, string> = {}): Promise<TestWorker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-worker-test-'))
  const prefix = `test:${crypto.randomUUID()}:`
  const redisUrl = process.env.TEST_REDIS_URL!
  const connection = { host: new URL(redisUrl).hostname, port: Number(new URL(redisUrl).port), maxRetriesPerRequest: null }
  const db = openDatabase(join(dataDir, 'parley.db'))
  const child = spawn(['bun', 'worker/src/index.ts'], {
    env: { ...process.env, DATA_DIR: dataDir, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: 'info', NODE_ENV: 'test', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const queue = new Queue(queueName, { connection, prefix: `${prefix}bull` })
  const events = new QueueEvents(queueName, { connection, prefix: `${prefix}bull` })
  await events.waitUntilReady()
  return {
    dataDir,
    prefix,
    redisUrl,
    db,
    process: child,
    queue,
    events,
    async stop() {
      if (child.exitCode === null) child.kill('SIGKILL')
      await child.exited
      await Promise.all([queue.close(), events.close()])
      db.$client.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * Waits until the worker has registered every schedule and their first runs (which start at once)
 * have finished, so none of them races rows a test inserts afterwards. `queue` is the scheduled queue.
 */
export async function settleSchedules(queue: Queue): Promise<void> {
  const registered = async () => {
    const keys = new Set((await queue.getJobSchedulers()).map((s) => s.key))
    return SCHEDULES.every((s) => keys.has(s.name))
  }
  for (let i = 0; i < 100 && !(await registered()); i++) await Bun.sleep(100)
  for (let i = 0; i < 100 && (await queue.getCompletedCount()) < SCHEDULES.length; i++) await Bun.sleep(100)
}
