import { QUEUES, type QueueName } from '../../contracts/jobs'
import type { Metrics } from '../../http/metrics'
import { errorFields, type Logger } from '../../logger'
import type { JobService } from './service'
import { DURATION_BUCKETS } from './stats'

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const

/**
 * Queue depth (BullMQ's counts) and what the workers recorded in Redis (attempt durations and
 * outcomes), rendered at scrape time, so every API instance reports the whole fleet.
 */
export function registerJobMetrics(metrics: Metrics, jobs: JobService, log: Logger): void {
  if (!jobs.configured) return
  metrics.collect(async () => {
    const lines: string[] = ['# HELP parley_jobs_up Whether the queue store (Redis) answered this scrape', '# TYPE parley_jobs_up gauge']
    try {
      const queues = Object.values(QUEUES) as QueueName[]
      const [counts, stats] = await Promise.all([Promise.all(queues.map((queue) => jobs.counts(queue))), jobs.stats()])
      lines.push('parley_jobs_up 1', '# HELP parley_queue_jobs Jobs per queue and state', '# TYPE parley_queue_jobs gauge')
      queues.forEach((queue, i) => {
        for (const state of STATES) lines.push(`parley_queue_jobs{queue="${queue}",state="${state}"} ${counts[i]![state] ?? 0}`)
      })
      lines.push('# HELP parley_job_duration_seconds Duration of job attempts per queue (every worker process)', '# TYPE parley_job_duration_seconds histogram')
      for (const [queue, entry] of stats) {
        DURATION_BUCKETS.forEach((le, b) => lines.push(`parley_job_duration_seconds_bucket{queue="${queue}",le="${le}"} ${entry.buckets[b]}`))
        lines.push(`parley_job_duration_seconds_bucket{queue="${queue}",le="+Inf"} ${entry.count}`, `parley_job_duration_seconds_sum{queue="${queue}"} ${entry.sum}`, `parley_job_duration_seconds_count{queue="${queue}"} ${entry.count}`)
      }
      lines.push('# HELP parley_job_attempts_total Finished job attempts per queue and outcome (a retried failure counts each time)', '# TYPE parley_job_attempts_total counter')
      for (const [queue, entry] of stats) {
        lines.push(`parley_job_attempts_total{queue="${queue}",outcome="completed"} ${entry.completed}`, `parley_job_attempts_total{queue="${queue}",outcome="failed"} ${entry.failed}`)
      }
    } catch (error) {
      log.warn('metrics() [queue store unavailable]', errorFields(error))
      lines.push('parley_jobs_up 0')
    }
    return lines
  })
}
