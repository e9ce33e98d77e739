import { UnrecoverableError, type Job } from 'bullmq'
import { Value } from '@sinclair/typebox/value'
import { ScheduledJob } from '../../../server/src/contracts/jobs'
import { purgeExpiredAuthData } from '../../../server/src/features/auth/cleanup'
import { purgeExpiredStories } from '../../../server/src/features/stories/purge'
import { purgeExpiredUploads } from '../../../server/src/features/files/purge'
import { purgeExpiredExports } from '../../../server/src/features/reports/purge'
import { createStorage } from '../../../server/src/storage/storage'
import type { WorkerContext } from '../context'

/** Housekeeping on a schedule: thin, parses its payload and calls a feature service. */
export function scheduledProcessor(ctx: WorkerContext) {
  const storage = createStorage(ctx.config.files)
  return async (job: Job) => {
    if (!Value.Check(ScheduledJob, job.data)) throw new UnrecoverableError(`invalid scheduled job payload: ${JSON.stringify(job.data).slice(0, 200)}`)
    const data = job.data as ScheduledJob
    switch (data.kind) {
      case 'purge-expired-auth': {
        await job.updateProgress({ percent: 0, stage: 'purging' })
        const result = purgeExpiredAuthData(ctx.db, data.olderThanDays)
        await job.updateProgress({ percent: 100, stage: 'done' })
        ctx.log.info('scheduled() [purge-expired-auth]', { jobId: job.id, ...result })
        return result
      }
      case 'purge-expired-stories': {
        const result = { stories: purgeExpiredStories(ctx.db) }
        ctx.log.info('scheduled() [purge-expired-stories]', { jobId: job.id, ...result })
        return result
      }
      case 'purge-expired-uploads': {
        const result = await purgeExpiredUploads(ctx.db, ctx.config.files.stagingDir)
        ctx.log.info('scheduled() [purge-expired-uploads]', { jobId: job.id, ...result })
        return result
      }
      case 'purge-expired-exports': {
        const result = await purgeExpiredExports(ctx.db, storage, ctx.log)
        ctx.log.info('scheduled() [purge-expired-exports]', { jobId: job.id, ...result })
        return result
      }
      default:
        return assertUnreachable(data)
    }
  }
}

function assertUnreachable(value: never): never {
  throw new UnrecoverableError(`unknown scheduled job: ${JSON.stringify(value)}`)
}
