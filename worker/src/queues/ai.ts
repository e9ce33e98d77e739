import { UnrecoverableError } from 'bullmq'
import { Value } from '@sinclair/typebox/value'
import { AiJob } from '../../../server/src/contracts/jobs'
import { AppError } from '../../../server/src/errors'
import { ConversationAccess } from '../../../server/src/features/conversations/access'
import { createAiServices } from '../../../server/src/features/ai/wiring'
import { SummaryRunner } from '../../../server/src/features/ai/summary-run'
import type { WorkerContext } from '../context'
import type { JobProcessor } from '../registry'

/**
 * Slow AI work off the request path: parses the payload, the runner re-checks access and stores the
 * result. Client errors (4xx: access lost, quota spent) fail at once; provider failures are retried.
 */
export function aiProcessor(ctx: WorkerContext): JobProcessor {
  // Summaries publish nothing to conversations, so no event bridge is needed.
  const { ai } = createAiServices({ config: ctx.config, db: ctx.db, log: ctx.log, access: new ConversationAccess(ctx.db), events: { toConversation: () => undefined } })
  const runner = new SummaryRunner(ctx.db, ai, ctx.log)
  return async (job, run) => {
    if (!Value.Check(AiJob, job.data)) throw new UnrecoverableError(`invalid ai job payload: ${JSON.stringify(job.data).slice(0, 200)}`)
    const { summaryId } = job.data as AiJob
    try {
      const result = await runner.run(summaryId, (percent, stage) => run.progress(percent, stage))
      if (result.status === 'missing') throw new UnrecoverableError(`summary ${summaryId} does not exist`)
      return { summaryId, ...result }
    } catch (error) {
      const unrecoverable = error instanceof UnrecoverableError || (error instanceof AppError && error.status < 500)
      if (unrecoverable || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) runner.markFailed(summaryId, error instanceof Error ? error.message : String(error))
      if (error instanceof AppError && error.status < 500) throw new UnrecoverableError(error.message)
      throw error
    }
  }
}
