import { afterAll, afterEach, expect, test } from 'bun:test'
import { PING_JOB_NAME, QUEUES } from '../../server/src/contracts/jobs'
import { startWorker, type TestWorker } from '../test/harness'
import { spawnSibling, waitForWorkers, waitUntilActive } from '../test/fleet'

// The fleet's own ping job runs on every queue; `email` stands for any of them here.
const queueName = QUEUES.email
const only = { WORKER_QUEUES: queueName }
const harnesses: TestWorker[] = []
const siblings: Array<ReturnType<typeof spawnSibling>> = []

async function worker(env: Record<string, string> = {}): Promise<TestWorker> {
  const harness = await startWorker(queueName, { ...only, ...env })
  harnesses.push(harness)
  await waitForWorkers(harness.queue, 1)
  return harness
}

function sibling(harness: TestWorker, env: Record<string, string> = {}) {
  const child = spawnSibling(harness, { ...only, ...env })
  siblings.push(child)
  return child
}

afterEach(async () => {
  for (const child of siblings.splice(0)) {
    if (child.exitCode === null) child.kill('SIGKILL')
    await child.exited
  }
  for (const harness of harnesses.splice(0)) await harness.stop()
})

afterAll(async () => {
  for (const harness of harnesses) await harness.stop()
})

test('two worker processes share one queue', async () => {
  const harness = await worker({ WORKER_CONCURRENCY_EMAIL: '1' })
  sibling(harness, { WORKER_CONCURRENCY_EMAIL: '1' })
  await waitForWorkers(harness.queue, 2)
  const jobs = await harness.queue.addBulk(Array.from({ length: 8 }, () => ({ name: PING_JOB_NAME, data: { holdMs: 300 } })))
  const results = await Promise.all(jobs.map((job) => job.waitUntilFinished(harness.events, 20_000) as Promise<{ pid: number }>))
  expect(new Set(results.map((r) => r.pid)).size).toBe(2)
})

test('SIGTERM lets a running job finish, then the worker exits cleanly', async () => {
  const harness = await worker()
  const job = await harness.queue.add(PING_JOB_NAME, { holdMs: 1500 })
  await waitUntilActive(harness.queue, job)
  harness.process.kill('SIGTERM')
  expect(await harness.process.exited).toBe(0)
  const finished = await harness.queue.getJob(job.id!)
  expect(await finished!.getState()).toBe('completed')
  expect(finished!.returnvalue.pid).toBe(harness.process.pid)
  const output = await new Response(harness.process.stdout).text()
  expect(output).toContain('draining')
  expect(output).toContain('[drained]')
})

test('a job still running when the shutdown bound runs out goes back to the queue, and another worker finishes it', async () => {
  const harness = await worker({ WORKER_SHUTDOWN_TIMEOUT_MS: '300' })
  const job = await harness.queue.add(PING_JOB_NAME, { holdMs: 4000 }, { attempts: 1 })
  await waitUntilActive(harness.queue, job)
  harness.process.kill('SIGTERM')
  expect(await harness.process.exited).toBe(0)
  const returned = await harness.queue.getJob(job.id!)
  expect(await returned!.getState()).toBe('waiting')
  expect(returned!.attemptsMade).toBe(0)

  const next = sibling(harness)
  expect((await job.waitUntilFinished(harness.events, 20_000)).pid).toBe(next.pid)
})

test('a worker killed with SIGKILL mid-job loses nothing: the job is retried once its lock expires', async () => {
  const fastStall = { WORKER_LOCK_DURATION_MS: '1500', WORKER_STALLED_INTERVAL_MS: '1000' }
  const harness = await worker(fastStall)
  const job = await harness.queue.add(PING_JOB_NAME, { holdMs: 2000 }, { attempts: 2 })
  await waitUntilActive(harness.queue, job)
  harness.process.kill('SIGKILL')
  await harness.process.exited

  const next = sibling(harness, fastStall)
  expect((await job.waitUntilFinished(harness.events, 25_000)).pid).toBe(next.pid)
})

test('a malformed ping fails at once without retries (UnrecoverableError) and is kept as failed', async () => {
  const harness = await worker()
  const job = await harness.queue.add(PING_JOB_NAME, { holdMs: 'soon' }, { attempts: 3, removeOnFail: 10 })
  await expect(job.waitUntilFinished(harness.events, 20_000)).rejects.toThrow(/invalid ping payload/)
  const failed = await harness.queue.getJob(job.id!)
  expect(failed?.attemptsMade).toBe(1)
  expect(await failed?.getState()).toBe('failed')
})

test('WORKER_QUEUES with an unknown queue stops the worker with one line naming the variable', async () => {
  const harness = await startWorker(queueName, { WORKER_QUEUES: 'email,nope' })
  harnesses.push(harness)
  expect(await harness.process.exited).toBe(1)
  expect(await new Response(harness.process.stderr).text()).toContain('WORKER_QUEUES: unknown queue "nope"')
})

test('WORKER_CONCURRENCY_<QUEUE> caps the jobs one process runs at once', async () => {
  const harness = await worker({ WORKER_CONCURRENCY_EMAIL: '1' })
  const [first, second] = await harness.queue.addBulk([{ name: PING_JOB_NAME, data: { holdMs: 1500 } }, { name: PING_JOB_NAME, data: { holdMs: 1500 } }])
  await waitUntilActive(harness.queue, first!)
  expect(await harness.queue.getJobCounts('active', 'waiting')).toEqual({ active: 1, waiting: 1 })
  await second!.waitUntilFinished(harness.events, 20_000)
})

test('WORKER_RATE_LIMIT_<QUEUE> holds jobs beyond the limit back', async () => {
  const harness = await worker({ WORKER_RATE_LIMIT_EMAIL: '1/h' })
  const [first, second] = await harness.queue.addBulk([{ name: PING_JOB_NAME, data: { holdMs: 0 } }, { name: PING_JOB_NAME, data: { holdMs: 0 } }])
  await first!.waitUntilFinished(harness.events, 20_000)
  // With one job per hour allowed, the second cannot have started within this test.
  await Bun.sleep(300)
  expect(['waiting', 'delayed', 'prioritized']).toContain(await second!.getState())
})
