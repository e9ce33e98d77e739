import { and, desc, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { conversationExports } from '../../db/schema'
import { QUEUES, type ReportJob } from '../../contracts/jobs'
import { ConflictError, ForbiddenError, GoneError, NotFoundError, RateLimitedError, ValidationError } from '../../errors'
import { newId } from '../../lib/crypto'
import type { ConversationAccess } from '../conversations/access'
import type { FileDownloads } from '../files/downloads'
import type { JobService } from '../jobs/service'
import { MAX_RUNNING_EXPORTS, type CreateExportBody, type ExportView } from './model'

export type ExportRow = typeof conversationExports.$inferSelect

const iso = (date: Date | null) => date?.toISOString() ?? null

export function toExportView(row: ExportRow): ExportView {
  return {
    id: row.id,
    conversationId: row.conversationId,
    format: row.format,
    from: iso(row.fromAt),
    to: iso(row.toAt),
    includeThreads: row.includeThreads,
    status: row.status,
    percent: row.percent,
    stage: row.stage,
    messageCount: row.messageCount,
    fileId: row.fileId,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    completedAt: iso(row.completedAt),
    expiresAt: iso(row.expiresAt),
  }
}

/**
 * Who may take a conversation's history out: its participants (anyone else: 404); in a lounge, a
 * platform-wide room, only its owners and moderators (403). Checked on request and again in the job.
 */
export function assertMayExport(access: ConversationAccess, conversationId: string, userId: string) {
  const found = access.assertParticipant(conversationId, userId)
  if (found.conversation.kind === 'lounge' && found.participant.role !== 'owner' && found.participant.role !== 'moderator') {
    throw new ForbiddenError('Only lounge moderators can export a lounge', { code: 'NOT_LOUNGE_MODERATOR' })
  }
  return found
}

/** Conversation exports as their requester sees them: create (queued on `reports`), status, list, download link. */
export class ExportService {
  constructor(private db: Db, private access: ConversationAccess, private jobs: JobService, private downloads: FileDownloads) {}

  async create(userId: string, conversationId: string, body: CreateExportBody): Promise<ExportView> {
    assertMayExport(this.access, conversationId, userId)
    const fromAt = body.from ? new Date(body.from) : null
    const toAt = body.to ? new Date(body.to) : null
    if (fromAt && toAt && fromAt >= toAt) throw new ValidationError('`from` must be before `to`', { details: [{ field: 'from', message: 'must be before to' }] })
    const running = this.db.select({ count: sql<number>`count(*)` }).from(conversationExports)
      .where(and(eq(conversationExports.userId, userId), inArray(conversationExports.status, ['queued', 'active']))).get()?.count ?? 0
    if (running >= MAX_RUNNING_EXPORTS) throw new RateLimitedError(`At most ${MAX_RUNNING_EXPORTS} exports can run at once; wait for one to finish`, 30, { code: 'TOO_MANY_EXPORTS' })
    const id = newId()
    const row = this.db.insert(conversationExports).values({
      id, userId, conversationId, format: body.format, fromAt, toAt, includeThreads: body.includeThreads ?? false, status: 'queued', createdAt: new Date(),
    }).returning().get()
    await this.jobs.enqueueOrUndo<ReportJob>(QUEUES.reports, 'conversation-export', { kind: 'conversation-export', exportId: id, userId }, { jobId: id }, () => this.db.delete(conversationExports).where(eq(conversationExports.id, id)).run())
    return toExportView(row)
  }

  get(userId: string, id: string): ExportView {
    return toExportView(this.#owned(userId, id))
  }

  list(userId: string): { exports: ExportView[] } {
    const rows = this.db.select().from(conversationExports).where(eq(conversationExports.userId, userId))
      .orderBy(desc(conversationExports.createdAt), desc(sql`${conversationExports}.rowid`)).limit(100).all()
    return { exports: rows.map(toExportView) }
  }

  /** A short-lived signed URL of the export file, through the files feature (the file is the requester's). */
  downloadUrl(userId: string, id: string): { url: string; expiresAt: string } {
    const row = this.#owned(userId, id)
    if (row.status !== 'completed' || !row.fileId) throw new ConflictError('This export is not ready', { code: 'EXPORT_NOT_READY', details: { status: row.status } })
    // Between its expiry and the next purge the file still exists; it is gone all the same.
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) throw new GoneError('This export expired; export the conversation again', { code: 'EXPORT_EXPIRED', details: { expiredAt: row.expiresAt.toISOString() } })
    return this.downloads.signedUrl(userId, row.fileId, 'original')
  }

  #owned(userId: string, id: string): ExportRow {
    const row = this.db.select().from(conversationExports).where(eq(conversationExports.id, id)).get()
    // Someone else's export answers exactly like a missing one.
    if (!row || row.userId !== userId) throw new NotFoundError('No such export', { code: 'EXPORT_NOT_FOUND' })
    return row
  }
}
