import { UnrecoverableError, type Job } from 'bullmq'
import { Value } from '@sinclair/typebox/value'
import { ReportJob } from '../../../server/src/contracts/jobs'
import { ExportDeniedError, ExportRunner } from '../../../server/src/features/reports/run'
import { createStorage } from '../../../server/src/storage/storage'
import type { WorkerContext } from '../context'
import type { JobRun } from '../registry'

/** Conversation exports: parses the payload, the runner re-checks access and writes the file. */
export function reportsProcessor(ctx: WorkerContext) {
  const runner = new ExportRunner(ctx.db, createStorage(ctx.config.files), ctx.log, ctx.config.reports.ttlSeconds)
  return async (job: Job, run: JobRun) => {
    if (!Value.Check(ReportJob, job.data)) throw new UnrecoverableError(`invalid report job payload: ${JSON.stringify(job.data).slice(0, 200)}`)
    const { exportId } = job.data as ReportJob
    try {
      const result = await runner.run(exportId, (percent, stage, item) => run.progress(percent, stage, item))
      if (result.status === 'missing') throw new UnrecoverableError(`export ${exportId} does not exist`)
      return result
    } catch (error) {
      const final = error instanceof UnrecoverableError || error instanceof ExportDeniedError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)
      if (final) runner.markFailed(exportId, error instanceof Error ? error.message : String(error))
      throw error instanceof ExportDeniedError ? new UnrecoverableError(error.message) : error
    }
  }
}
