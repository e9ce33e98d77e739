/**
 * Job throughput and pickup latency of the worker fleet: no-op `fleet.ping` jobs through one and
 * then two real worker processes (`bun worker/src/index.ts`) on a throwaway redis-server.
 *
 *   bun bench/jobs.ts [--write] [--jobs 5000] [--probes 300] [--concurrency 8] [--rounds 3]
 *
 * One and two workers alternate for `--rounds` rounds (the host is shared and noisy): throughput is
 * the median round, latency percentiles pool every round's probes.
 *
 * Throughput: the queue is paused, filled, resumed; jobs/s until the last one completed.
 * Latency: probes enqueued one at a time onto idle workers; enqueue→start is from just before
 * `queue.add()` to the ping's own start stamp (wall clocks on this host, sub-millisecond).
 */
import { Queue } from 'bullmq'
import { loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { PING_JOB_NAME, QUEUES } from '../server/src/contracts/jobs'
import { nowMs, percentile, sortedCopy } from './lib/latency'
import { cleanup, runBench, startProcess, startRedis, stopProcess, tempFolder, type Started } from './lib/processes'
import { describeMachine, describeRevision, markdownTable, writeSection } from './lib/report'

const ROOT = resolve(import.meta.dir, '..')
const DOC = join(ROOT, 'docs/BENCHMARKS.md')
const QUEUE = QUEUES.email

const { values: args } = parseArgs({
  options: { write: { type: 'boolean', default: false }, jobs: { type: 'string', default: '5000' }, probes: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '8' }, rounds: { type: 'string', default: '3' } },
})
const jobCount = Number(args.jobs)
const probes = Number(args.probes)
const concurrency = Number(args.concurrency)
const rounds = Number(args.rounds)

interface Round {
  jobsPerSecond: number
  latencies: number[]
}

interface Row {
  workers: number
  jobsPerSecond: number
  slowest: number
  fastest: number
  p50: number
  p99: number
}

async function measure(redisUrl: string, workers: number, round: number): Promise<Round> {
  const prefix = `bench-jobs-${workers}-${round}:`
  const dataDir = tempFolder('parley-bench-jobs-')
  const url = new URL(redisUrl)
  const queue = new Queue(QUEUE, { connection: { host: url.hostname, port: Number(url.port) }, prefix: `${prefix}bull` })
  const started: Started[] = []
  try {
    // One at a time: the first applies the migrations to the fresh database, the next finds them done.
    for (let i = 0; i < workers; i++) {
      started.push(startProcess(['bun', join(ROOT, 'worker/src/index.ts')], {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: dataDir, REDIS_URL: redisUrl, REDIS_PREFIX: prefix, LOG_LEVEL: 'warn', WORKER_QUEUES: QUEUE, WORKER_CONCURRENCY_EMAIL: String(concurrency) } as Record<string, string>,
      }))
      for (let tries = 0; (await queue.getWorkersCount()) < i + 1; tries++) {
        if (tries > 400) throw new Error(`workers did not start: ${started.map((s) => s.stderrTail()).join('\n')}`)
        await Bun.sleep(50)
      }
    }

    // Throughput: fill a paused queue, then let the workers drain it.
    await queue.pause()
    for (let i = 0; i < jobCount; i += 1000) {
      await queue.addBulk(Array.from({ length: Math.min(1000, jobCount - i) }, () => ({ name: PING_JOB_NAME, data: { holdMs: 0 }, opts: { removeOnComplete: true } })))
    }
    const from = performance.now()
    await queue.resume()
    while ((await queue.count()) > 0 || (await queue.getActiveCount()) > 0) await Bun.sleep(20)
    const jobsPerSecond = jobCount / ((performance.now() - from) / 1000)

    // Latency: one job at a time onto idle workers; the ping reports when it started (sub-ms wall clock).
    const latencies: number[] = []
    for (let i = 0; i < probes; i++) {
      const enqueuedAt = nowMs()
      const job = await queue.add(PING_JOB_NAME, { holdMs: 0 })
      for (;;) {
        const current = await queue.getJob(job.id!)
        if (current?.finishedOn) {
          latencies.push((current.returnvalue as { startedAt: number }).startedAt - enqueuedAt)
          break
        }
        await Bun.sleep(2)
      }
      await Bun.sleep(5)
    }
    return { jobsPerSecond, latencies }
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined) // @NOTE: a throwaway Redis; leftovers go with it.
    await queue.close()
    await Promise.all(started.map((s) => stopProcess(s.child)))
  }
}

await runBench('jobs', async () => {
  const loadAtStart = loadavg()[0]!
  const redisUrl = await startRedis()
  const results = new Map<number, Round[]>([[1, []], [2, []]])
  for (let round = 1; round <= rounds; round++) {
    for (const workers of [1, 2]) {
      const result = await measure(redisUrl, workers, round)
      results.get(workers)!.push(result)
      console.log(`round ${round}, ${workers} worker(s): ${Math.round(result.jobsPerSecond)} jobs/s`)
    }
  }
  const rows: Row[] = [...results].map(([workers, list]) => {
    const rates = list.map((r) => r.jobsPerSecond).sort((a, b) => a - b)
    const sorted = sortedCopy(list.flatMap((r) => r.latencies))
    return { workers, jobsPerSecond: rates[Math.floor(rates.length / 2)]!, slowest: rates[0]!, fastest: rates.at(-1)!, p50: percentile(sorted, 50), p99: percentile(sorted, 99) }
  })
  for (const row of rows) console.log(`${row.workers} worker(s): ${Math.round(row.jobsPerSecond)} jobs/s, enqueue→start p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms`)
  const [one, two] = rows as [Row, Row]
  const machine = describeMachine('n/a')
  const table = markdownTable(rows, [
    { title: 'Worker processes', align: 'right', cell: (r) => String(r.workers) },
    { title: 'No-op jobs/s (median)', align: 'right', cell: (r) => Math.round(r.jobsPerSecond).toLocaleString('en-US') },
    { title: 'Rounds ranged', align: 'right', cell: (r) => `${Math.round(r.slowest).toLocaleString('en-US')}–${Math.round(r.fastest).toLocaleString('en-US')}` },
    { title: 'Enqueue→start p50 (ms)', align: 'right', cell: (r) => r.p50.toFixed(2) },
    { title: 'Enqueue→start p99 (ms)', align: 'right', cell: (r) => r.p99.toFixed(2) },
  ])
  const section = `
## Job throughput: \`bench/jobs.ts\`

No-op \`fleet.ping\` jobs on the \`${QUEUE}\` queue through real worker processes (concurrency ${concurrency}
each) on a throwaway redis-server, ${rounds} rounds with one and two workers alternating: ${jobCount.toLocaleString('en-US')} jobs
drained from a paused queue for throughput (the median round is shown), then ${probes} jobs per round one at a
time onto idle workers for enqueue→start latency (from just before \`queue.add()\` to the processor's first
line; percentiles over every round's probes).
Measured on ${machine.cpus} × ${machine.cpuModel}, Bun ${machine.bun}, ${describeRevision(ROOT)}; 1-minute load average at the start: ${loadAtStart.toFixed(1)}.

${table}

Two workers vs one: **${(two.jobsPerSecond / one.jobsPerSecond).toFixed(2)}×** the throughput, enqueue→start p50 ×${(two.p50 / one.p50).toFixed(2)}, p99 ×${(two.p99 / one.p99).toFixed(2)}.
Redis, the benchmark's producer and every worker process share this host's ${machine.cpus} cores (and other work
on it, hence the spread between rounds); a no-op job is nothing but Redis round trips (move to active,
complete, the duration stats). A second process helps as far as those cores allow; CPU-bound jobs (images,
media, transcription) and workers on separate hosts are where it counts.
`
  console.log(section)
  console.log(JSON.stringify({ bench: 'jobs', rows }))
  if (args.write) writeSection(DOC, 'jobs', section)
  await cleanup()
})
