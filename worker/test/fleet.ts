import type { Job, Queue } from 'bullmq'
import { spawn, type Subprocess } from 'bun'
import type { TestWorker } from './harness'

/** Another real worker process on the same database and Redis prefix as `harness` (a second host). */
export function spawnSibling(harness: TestWorker, env: Record<string, string> = {}): Subprocess<'ignore', 'pipe', 'pipe'> {
  return spawn(['bun', 'worker/src/index.ts'], {
    env: { ...process.env, DATA_DIR: harness.dataDir, REDIS_URL: harness.redisUrl, REDIS_PREFIX: harness.prefix, LOG_LEVEL: 'info', NODE_ENV: 'test', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
}

/** Resolves once `count` worker processes consume `queue` (BullMQ names its connections). */
export async function waitForWorkers(queue: Queue, count: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await queue.getWorkersCount()) >= count) return
    await Bun.sleep(50)
  }
  throw new Error(`fewer than ${count} workers on ${queue.name}`)
}

/** Resolves once a worker has taken the job (its first progress report says so). */
export async function waitUntilActive(queue: Queue, job: Job): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const current = await queue.getJob(job.id!)
    if (current && (await current.getState()) === 'active' && (current.progress as { stage?: string })?.stage === 'holding') return
    await Bun.sleep(50)
  }
  throw new Error(`job ${job.id} never became active`)
}
