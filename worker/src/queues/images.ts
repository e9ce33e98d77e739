import { UnrecoverableError, type Job } from 'bullmq'
import { Value } from '@sinclair/typebox/value'
import { ImageJob } from '../../../server/src/contracts/jobs'
import { ImageJobRunner, MissingInputError } from '../../../server/src/features/images/run'
import { createStorage } from '../../../server/src/storage/storage'
import type { WorkerContext } from '../context'
import type { JobRun } from '../registry'

/** Background removal or enhancement over a job's images: parses its payload, the runner does the work. */
export function imagesProcessor(ctx: WorkerContext) {
  const runner = new ImageJobRunner(ctx.db, createStorage(ctx.config.files), ctx.log)
  return async (job: Job, run: JobRun) => {
    if (!Value.Check(ImageJob, job.data)) throw new UnrecoverableError(`invalid image job payload: ${JSON.stringify(job.data).slice(0, 200)}`)
    const { imageJobId } = job.data as ImageJob
    try {
      const result = await runner.run(imageJobId, (percent, stage, item) => run.progress(percent, stage, item))
      if (result.status === 'missing') throw new UnrecoverableError(`image job ${imageJobId} does not exist`)
      return result
    } catch (error) {
      const final = error instanceof UnrecoverableError || error instanceof MissingInputError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)
      if (final) runner.markFailed(imageJobId, error instanceof Error ? error.message : String(error))
      throw error instanceof MissingInputError ? new UnrecoverableError(error.message) : error
    }
  }
}
