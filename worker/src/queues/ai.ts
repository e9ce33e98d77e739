import { UnrecoverableError } from 'bullmq'
import { Value } from '@sinclair/typebox/value'
import { AiJob } from '../../../server/src/contracts/jobs'
import { AppError } from '../../../server/src/errors'
import { ConversationAccess } from '../../../server/src/features/conversations/access'
import { createAiServices } from '../../../server/src/features/ai/wiring'
import type { WorkerContext } from '../context'
import type { JobProcessor } from '../registry'

/** Slow LLM work off the request path; the result is the job's return value. Client errors (4xx) fail at once. */
export function aiProcessor(ctx: WorkerContext): JobProcessor {
  // Summaries publish nothing to conversations, so no event bridge is needed.
  const { ai } = createAiServices({ config: ctx.config, db: ctx.db, log: ctx.log, access: new ConversationAccess(ctx.db), events: { toConversation: () => undefined } })
  return async (job, run) => {
    if (!Value.Check(AiJob, job.data)) throw new UnrecoverableError(`invalid ai job payload: ${JSON.stringify(job.data).slice(0, 200)}`)
    const data = job.data as AiJob
    await run.progress(10, data.kind)
    try {
      return await ai.summarize(data.userId, data.conversationId, { rootId: data.rootId })
    } catch (error) {
      if (error instanceof AppError && error.status < 500) throw new UnrecoverableError(error.message)
      throw error
    }
  }
}
