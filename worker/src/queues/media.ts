import { UnrecoverableError, type Job } from 'bullmq'
import { Value } from '@sinclair/typebox/value'
import Redis from 'ioredis'
import { MediaJob } from '../../../server/src/contracts/jobs'
import { NotFoundError } from '../../../server/src/errors'
import { UserEventBridge } from '../../../server/src/features/jobs/progress'
import { MediaProcessor } from '../../../server/src/features/files/media'
import { runMediaJob } from '../../../server/src/features/files/queue'
import { errorFields } from '../../../server/src/logger'
import { createStorage } from '../../../server/src/storage/storage'
import type { WorkerContext } from '../context'
import type { JobRun } from '../registry'

/**
 * Thumbnails, poster, rendition and waveform for one upload: parses its payload and calls the media
 * service; `file.progress` / `file.ready` reach the owner's sockets through the hub's Redis bridge.
 */
export function mediaProcessor(ctx: WorkerContext) {
  const processor = new MediaProcessor(ctx.db, ctx.config.files, createStorage(ctx.config.files))
  const redis = new Redis(ctx.config.redisUrl!, { maxRetriesPerRequest: 2, lazyConnect: true, connectionName: 'parley-worker-media' })
  redis.on('error', (error) => ctx.log.warn('media() [redis error]', errorFields(error)))
  const events = new UserEventBridge(redis, ctx.config.redisPrefix, ctx.log)
  return async (job: Job, run: JobRun) => {
    if (!Value.Check(MediaJob, job.data)) throw new UnrecoverableError(`invalid media job payload: ${JSON.stringify(job.data).slice(0, 200)}`)
    const data = job.data as MediaJob
    try {
      const result = await runMediaJob(ctx.db, processor, events, data, (percent, stage) => run.progress(percent, stage))
      return { fileId: result.fileId, processed: result.processed }
    } catch (error) {
      const final = error instanceof NotFoundError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)
      if (final) {
        processor.markFailed(data.fileId)
        events.toUser(data.userId, { type: 'file.failed', fileId: data.fileId })
      }
      throw error instanceof NotFoundError ? new UnrecoverableError(error.message) : error
    }
  }
}
