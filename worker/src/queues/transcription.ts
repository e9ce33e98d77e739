import { UnrecoverableError } from 'bullmq'
import Redis from 'ioredis'
import { Value } from '@sinclair/typebox/value'
import { TranscriptionJob } from '../../../server/src/contracts/jobs'
import { AppError } from '../../../server/src/errors'
import { errorFields } from '../../../server/src/logger'
import { ConversationAccess } from '../../../server/src/features/conversations/access'
import { ConversationEventBridge } from '../../../server/src/features/ai/events'
import { createAiServices } from '../../../server/src/features/ai/wiring'
import type { WorkerContext } from '../context'
import type { JobProcessor } from '../registry'

/**
 * One voice message transcript: parses the payload and calls the transcript service, which runs
 * the engine once and announces `message.transcribed`. Client errors (4xx: gone, forbidden, over
 * quota) fail at once; others retry, and the last failure marks the transcript failed.
 */
export function transcriptionProcessor(ctx: WorkerContext): JobProcessor {
  const redis = new Redis(ctx.config.redisUrl!, { maxRetriesPerRequest: 2, connectionName: 'parley-worker-transcripts' })
  redis.on('error', (error) => ctx.log.warn('transcription() [redis error]', errorFields(error)))
  const { transcripts } = createAiServices({ config: ctx.config, db: ctx.db, log: ctx.log, access: new ConversationAccess(ctx.db), events: new ConversationEventBridge(redis, ctx.config.redisPrefix, ctx.log) })
  return async (job, run) => {
    if (!Value.Check(TranscriptionJob, job.data)) throw new UnrecoverableError(`invalid transcription job payload: ${JSON.stringify(job.data).slice(0, 200)}`)
    const data = job.data as TranscriptionJob
    await run.progress(10, 'transcribing')
    try {
      const transcript = await transcripts.process(data)
      return { messageId: data.messageId, status: transcript.status, method: transcript.method, words: transcript.words.length }
    } catch (error) {
      const clientError = error instanceof AppError && error.status < 500
      const message = error instanceof Error ? error.message : 'Transcription failed'
      if (clientError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) transcripts.markFailed(data.messageId, message)
      throw clientError ? new UnrecoverableError(message) : error
    }
  }
}
