import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { aiSummaries } from '../../db/schema'
import type { Logger } from '../../logger'
import type { AiChatService } from './service'

export type SummaryProgress = (percent: number, stage: string) => Promise<void>

/**
 * The worker side of a summary job: the summary service re-checks access (a requester removed since
 * gets a 404 AppError, which the processor turns into a failed summary), then the result is written
 * in one final update, so a job run twice stores one result.
 */
export class SummaryRunner {
  constructor(private db: Db, private ai: AiChatService, private log: Logger) {}

  async run(summaryId: string, report: SummaryProgress, signal?: AbortSignal): Promise<{ status: 'completed' | 'already-completed' | 'missing'; method?: 'llm' | 'extractive' }> {
    const row = this.db.select().from(aiSummaries).where(eq(aiSummaries.id, summaryId)).get()
    if (!row) return { status: 'missing' }
    if (row.status === 'completed') return { status: 'already-completed', method: row.method ?? undefined }
    const progress: SummaryProgress = async (percent, stage) => {
      this.db.update(aiSummaries).set({ status: 'active', percent, stage }).where(and(eq(aiSummaries.id, summaryId), sql`${aiSummaries.status} != 'completed'`)).run()
      await report(percent, stage)
    }
    await progress(10, 'reading')
    const result = await this.ai.summarize(row.userId, row.conversationId, { rootId: row.rootId ?? undefined, limit: row.messageLimit }, signal, () => progress(30, 'summarizing'))
    this.db.update(aiSummaries).set({
      status: 'completed', percent: 100, stage: 'done', summary: result.summary, method: result.method, citedMessageIds: result.citedMessageIds, messageCount: result.messageCount, error: null, completedAt: new Date(),
    }).where(and(eq(aiSummaries.id, summaryId), sql`${aiSummaries.status} != 'completed'`)).run()
    this.log.info('run() [summary done]', { summaryId, method: result.method, messages: result.messageCount })
    return { status: 'completed', method: result.method }
  }

  /** The last attempt failed (or the requester lost access): the requester sees why; no retry is coming. */
  markFailed(summaryId: string, message: string): void {
    this.db.update(aiSummaries).set({ status: 'failed', stage: 'failed', error: message.slice(0, 500), completedAt: new Date() })
      .where(and(eq(aiSummaries.id, summaryId), sql`${aiSummaries.status} != 'completed'`)).run()
  }
}
