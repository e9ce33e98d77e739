import { and, desc, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { aiSummaries, messages } from '../../db/schema'
import { QUEUES, type AiJob } from '../../contracts/jobs'
import { BadRequestError, ConflictError, NotFoundError, RateLimitedError } from '../../errors'
import { newId } from '../../lib/crypto'
import type { ConversationAccess } from '../conversations/access'
import type { JobService } from '../jobs/service'
import { MAX_RUNNING_SUMMARIES, type SummaryJobView } from './model'

export type SummaryRow = typeof aiSummaries.$inferSelect

const DEFAULT_LIMIT = 100

export function toSummaryJobView(row: SummaryRow): SummaryJobView {
  return {
    id: row.id,
    conversationId: row.conversationId,
    rootId: row.rootId,
    limit: row.messageLimit,
    status: row.status,
    percent: row.percent,
    stage: row.stage,
    summary: row.summary,
    method: row.method,
    citedMessageIds: row.citedMessageIds ?? [],
    messageCount: row.messageCount,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
  }
}

/**
 * Summaries as jobs (the `ai` queue), as their requester sees them: create, status and result, list.
 * Only the requester reads one, and only while they may still read its conversation (else 404).
 */
export class SummaryJobs {
  constructor(private db: Db, private access: ConversationAccess, private jobs: JobService) {}

  async create(userId: string, conversationId: string, request: { rootId?: string; limit?: number }): Promise<SummaryJobView> {
    this.access.assertParticipant(conversationId, userId)
    if (request.rootId) this.#assertThreadRoot(conversationId, request.rootId)
    const running = this.db.select({ count: sql<number>`count(*)` }).from(aiSummaries)
      .where(and(eq(aiSummaries.userId, userId), inArray(aiSummaries.status, ['queued', 'active']))).get()?.count ?? 0
    if (running >= MAX_RUNNING_SUMMARIES) throw new RateLimitedError(`At most ${MAX_RUNNING_SUMMARIES} summaries can run at once; wait for one to finish`, 10, { code: 'TOO_MANY_SUMMARIES' })
    const id = newId()
    const row = this.db.insert(aiSummaries).values({
      id, userId, conversationId, rootId: request.rootId ?? null, messageLimit: request.limit ?? DEFAULT_LIMIT, status: 'queued', createdAt: new Date(),
    }).returning().get()
    await this.jobs.enqueueOrUndo<AiJob>(QUEUES.ai, 'summarize', { kind: 'summarize', summaryId: id, userId }, { jobId: id }, () => this.db.delete(aiSummaries).where(eq(aiSummaries.id, id)).run())
    return toSummaryJobView(row)
  }

  get(userId: string, id: string): SummaryJobView {
    return toSummaryJobView(this.#readable(userId, id))
  }

  list(userId: string): { summaries: SummaryJobView[] } {
    const rows = this.db.select().from(aiSummaries).where(eq(aiSummaries.userId, userId))
      .orderBy(desc(aiSummaries.createdAt), desc(sql`${aiSummaries}.rowid`)).limit(100).all()
    const readable = rows.filter((row) => this.#mayRead(row))
    return { summaries: readable.map(toSummaryJobView) }
  }

  #readable(userId: string, id: string): SummaryRow {
    const row = this.db.select().from(aiSummaries).where(eq(aiSummaries.id, id)).get()
    // Someone else's summary, or one of a conversation the requester has left, answers like a missing one.
    if (!row || row.userId !== userId || !this.#mayRead(row)) throw new NotFoundError('No such summary', { code: 'SUMMARY_NOT_FOUND' })
    return row
  }

  #mayRead(row: SummaryRow): boolean {
    try {
      this.access.assertParticipant(row.conversationId, row.userId)
      return true
    } catch (error) {
      if (error instanceof NotFoundError) return false
      throw error
    }
  }

  #assertThreadRoot(conversationId: string, rootId: string): void {
    const root = this.db.select({ parentId: messages.parentId, deletedAt: messages.deletedAt }).from(messages).where(and(eq(messages.id, rootId), eq(messages.conversationId, conversationId))).get()
    if (!root) throw new NotFoundError('Message not found', { code: 'MESSAGE_NOT_FOUND' })
    if (root.deletedAt) throw new ConflictError('This message was deleted', { code: 'MESSAGE_DELETED' })
    if (root.parentId) throw new BadRequestError('This message is a reply; summarize its root thread', { code: 'NOT_A_THREAD_ROOT', details: { rootId: root.parentId } })
  }
}
