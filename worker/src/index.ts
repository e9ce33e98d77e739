import { Queue } from 'bullmq'
import { ConfigError, loadConfig } from '../../server/src/config'
import { QUEUES, SCHEDULES } from '../../server/src/contracts/jobs'
import { createWorkerContext } from './context'
import { REGISTRY } from './registry'
import { JobRunner } from './runner'

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

const entries = REGISTRY.filter((entry) => !config.workers.only || config.workers.only.includes(entry.queue))
const runner = new JobRunner(ctx)
const workers = entries.map((entry) => runner.start(entry))

// Repeatable jobs are keyed by scheduler id, so every worker instance may upsert them safely.
const scheduled = entries.some((entry) => entry.queue === QUEUES.scheduled) ? new Queue(QUEUES.scheduled, { connection, prefix }) : null
for (const schedule of scheduled ? SCHEDULES : []) {
  await scheduled!.upsertJobScheduler(schedule.name, { every: schedule.everyMs }, { name: schedule.name, data: schedule.data, opts: { removeOnComplete: 100, removeOnFail: 500 } })
}
log.info('start() [worker ready]', { queues: workers.map((w) => w.name), pid: process.pid })

let stopping = false
async function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  log.info('shutdown() [draining]', { signal, active: runner.active.size, timeoutMs: config.workers.shutdownTimeoutMs })
  // close() stops fetching and waits for running jobs (their locks keep renewing meanwhile).
  const drained = await Promise.race([Promise.all(workers.map((w) => w.close())).then(() => true), Bun.sleep(config.workers.shutdownTimeoutMs).then(() => false)])
  if (!drained) log.warn('shutdown() [timed out; unfinished jobs returned to their queues]', { returned: await runner.returnActiveJobs() })
  else log.info('shutdown() [drained]')
  await scheduled?.close()
  await runner.close()
  ctx.db.$client.close()
  process.exit(0)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))
