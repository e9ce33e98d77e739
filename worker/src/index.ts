import { Queue, Worker } from 'bullmq'
import { ConfigError, loadConfig } from '../../server/src/config'
import { QUEUES, SCHEDULES } from '../../server/src/contracts/jobs'
import { errorFields } from '../../server/src/logger'
import { createWorkerContext } from './context'
import { scheduledProcessor } from './queues/scheduled'
import { webhooksProcessor } from './queues/webhooks'

let ctx: ReturnType<typeof createWorkerContext>
try {
  ctx = createWorkerContext(loadConfig())
} catch (error) {
  if (error instanceof ConfigError || error instanceof Error) {
    console.error(`parley worker: invalid configuration: ${error.message}`)
    process.exit(1)
  }
  throw error
}
const { connection, log, config } = ctx
const prefix = `${config.redisPrefix}bull`

const workers = [
  new Worker(QUEUES.scheduled, scheduledProcessor(ctx), { connection, prefix, concurrency: 1 }),
  new Worker(QUEUES.webhooks, webhooksProcessor(ctx), { connection, prefix, concurrency: 8 }),
]
for (const worker of workers) {
  worker.on('error', (error) => log.error('worker() [error]', { queue: worker.name, ...errorFields(error) }))
  worker.on('failed', (job, error) => log.warn('worker() [job failed]', { queue: worker.name, jobId: job?.id, attempts: job?.attemptsMade, ...errorFields(error) }))
}

// Repeatable jobs are keyed by scheduler id, so every worker instance may upsert them safely.
const scheduled = new Queue(QUEUES.scheduled, { connection, prefix })
for (const schedule of SCHEDULES) {
  await scheduled.upsertJobScheduler(schedule.name, { every: schedule.everyMs }, { name: schedule.name, data: schedule.data, opts: { removeOnComplete: 100, removeOnFail: 500 } })
}
log.info('start() [worker ready]', { queues: workers.map((w) => w.name) })

let stopping = false
async function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  log.info('shutdown() [draining]', { signal })
  // close() waits for running jobs; unfinished ones return to the queue when their lock expires.
  await Promise.race([Promise.all(workers.map((w) => w.close())), Bun.sleep(10_000)])
  await scheduled.close()
  ctx.db.$client.close()
  process.exit(0)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))
