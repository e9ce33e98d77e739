import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { and, asc, eq, gt, gte, inArray, isNull, lt, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { conversationExports, files, messages, users } from '../../db/schema'
import { AppError } from '../../errors'
import type { Logger } from '../../logger'
import type { Storage } from '../../storage/storage'
import { ConversationAccess } from '../conversations/access'
import type { MessageView } from '../messages/model'
import { messageViews, type MessageRow } from '../messages/service'
import { dayOf, jsonHeader, jsonMessage, markdownDay, markdownHeader, markdownMessage, type ExportHeader, type ExportLookups } from './format'
import { assertMayExport, type ExportRow } from './service'

export type ReportProgress = (percent: number, stage: string, item?: { index: number; total: number }) => Promise<void>

/** Top-level messages read per page: memory stays bounded by this, whatever the history's length. */
export const EXPORT_PAGE_SIZE = 200

/** The requester may no longer read the conversation: the export fails for good, with no data written. */
export class ExportDeniedError extends Error {
  override name = 'ExportDeniedError'
}

/**
 * The worker side of a conversation export: re-checks access, streams messages in seq order page by
 * page into a staged file, stores it and records it as the requester's file in one final write. The
 * file id is the export id, so a retried run overwrites the same object and records it once.
 */
export class ExportRunner {
  readonly #access: ConversationAccess

  /** `ttlSeconds`: how long a finished export and its file are kept (REPORT_TTL_HOURS). */
  constructor(private db: Db, private storage: Storage, private log: Logger, private ttlSeconds: number) {
    this.#access = new ConversationAccess(db)
  }

  async run(exportId: string, report: ReportProgress): Promise<{ status: 'completed' | 'already-completed' | 'missing'; messages: number }> {
    const row = this.db.select().from(conversationExports).where(eq(conversationExports.id, exportId)).get()
    if (!row) return { status: 'missing', messages: 0 }
    if (row.status === 'completed') return { status: 'already-completed', messages: row.messageCount }
    let conversation
    try {
      conversation = assertMayExport(this.#access, row.conversationId, row.userId).conversation
    } catch (error) {
      if (error instanceof AppError && (error.status === 403 || error.status === 404)) throw new ExportDeniedError('You can no longer read this conversation')
      throw error
    }
    const header: ExportHeader = {
      conversation: { id: conversation.id, kind: conversation.kind, name: conversation.name, topic: conversation.topic },
      exportedAt: new Date().toISOString(),
      exportedBy: row.userId,
      format: row.format,
      from: row.fromAt?.toISOString() ?? null,
      to: row.toAt?.toISOString() ?? null,
      includeThreads: row.includeThreads,
    }
    const roots = this.#rootFilter(row)
    const total = this.db.select({ count: sql<number>`count(*)` }).from(messages).where(and(...roots)).get()?.count ?? 0
    const pages = Math.max(1, Math.ceil(total / EXPORT_PAGE_SIZE))
    const progress: ReportProgress = async (percent, stage, item) => {
      this.db.update(conversationExports).set({ status: 'active', percent: Math.round(percent), stage }).where(eq(conversationExports.id, exportId)).run()
      await report(percent, stage, item)
    }
    await progress(0, 'started')
    const staging = await mkdtemp(join(tmpdir(), 'parley-export-'))
    try {
      const path = join(staging, row.format === 'json' ? 'export.jsonl' : 'export.md')
      const sink = Bun.file(path).writer()
      sink.write(row.format === 'json' ? jsonHeader(header) : markdownHeader(header))
      let written = 0
      let cursor = 0
      let lastDay: string | null = null
      for (let page = 1; ; page++) {
        const batch = this.db.select().from(messages).where(and(...roots, gt(messages.seq, cursor))).orderBy(asc(messages.seq)).limit(EXPORT_PAGE_SIZE).all()
        if (batch.length === 0) break
        cursor = batch.at(-1)!.seq
        const replies = row.includeThreads ? this.#replies(batch) : new Map<string, MessageRow[]>()
        const views = messageViews(this.db, [...batch, ...[...replies.values()].flat()], row.userId)
        const byId = new Map(views.map((view) => [view.id, view]))
        const lookups = this.#lookups(views)
        for (const root of batch) {
          const view = byId.get(root.id)!
          const thread = (replies.get(root.id) ?? []).map((reply) => byId.get(reply.id)!)
          if (row.format === 'json') {
            sink.write(jsonMessage(view))
            for (const reply of thread) sink.write(jsonMessage(reply))
          } else {
            sink.write(markdownDay(lastDay, view) + markdownMessage(view, lookups, false))
            lastDay = dayOf(view)
            for (const reply of thread) sink.write(markdownMessage(reply, lookups, true))
          }
          written += 1 + thread.length
        }
        await sink.flush()
        this.db.update(conversationExports).set({ messageCount: written }).where(eq(conversationExports.id, exportId)).run()
        await progress(Math.min(95, (page / pages) * 95), 'messages', { index: page, total: pages })
      }
      await sink.end()
      await progress(96, 'storing')
      const size = (await stat(path)).size
      const key = `files/${exportId}/original`
      const mime = row.format === 'json' ? 'application/jsonl' : 'text/markdown'
      await this.storage.putFile(key, path, mime)
      this.#record(row, { key, mime, size, written, name: exportName(conversation.name ?? conversation.kind, row.format) })
      this.log.info('run() [conversation export done]', { exportId, format: row.format, messages: written })
      return { status: 'completed', messages: written }
    } finally {
      await rm(staging, { recursive: true, force: true })
    }
  }

  /** The last attempt failed: the requester sees why (no retry is coming). */
  markFailed(exportId: string, message: string): void {
    const now = new Date()
    this.db.update(conversationExports).set({ status: 'failed', stage: 'failed', error: message.slice(0, 500), completedAt: now, expiresAt: this.#expiry(now) })
      .where(and(eq(conversationExports.id, exportId), sql`${conversationExports.status} != 'completed'`)).run()
  }

  #expiry(from: Date): Date {
    return new Date(from.getTime() + this.ttlSeconds * 1000)
  }

  #rootFilter(row: ExportRow): SQL[] {
    const filter: SQL[] = [eq(messages.conversationId, row.conversationId), isNull(messages.parentId)]
    if (row.fromAt) filter.push(gte(messages.createdAt, row.fromAt))
    if (row.toAt) filter.push(lt(messages.createdAt, row.toAt))
    return filter
  }

  /** Every reply of the page's roots, in seq order, grouped by root. */
  #replies(roots: MessageRow[]): Map<string, MessageRow[]> {
    const withReplies = roots.filter((root) => root.replyCount > 0).map((root) => root.id)
    const grouped = new Map<string, MessageRow[]>()
    if (withReplies.length === 0) return grouped
    for (const reply of this.db.select().from(messages).where(inArray(messages.parentId, withReplies)).orderBy(asc(messages.seq)).all()) {
      grouped.set(reply.parentId!, [...(grouped.get(reply.parentId!) ?? []), reply])
    }
    return grouped
  }

  #lookups(views: MessageView[]): ExportLookups {
    const senderIds = [...new Set(views.flatMap((view) => (view.senderId ? [view.senderId] : [])))]
    const fileIds = [...new Set(views.flatMap((view) => view.attachments))]
    const names = senderIds.length ? this.db.select({ id: users.id, name: users.displayName }).from(users).where(inArray(users.id, senderIds)).all() : []
    const fileNames = fileIds.length ? this.db.select({ id: files.id, name: files.name }).from(files).where(inArray(files.id, fileIds)).all() : []
    return { names: new Map(names.map((n) => [n.id, n.name])), fileNames: new Map(fileNames.map((f) => [f.id, f.name])) }
  }

  /** The file row and the completed export in one transaction: a retry after a crash records it once. */
  #record(row: ExportRow, file: { key: string; mime: string; size: number; written: number; name: string }): void {
    const now = new Date()
    const expiresAt = this.#expiry(now)
    this.db.transaction((tx) => {
      // The file row carries the same expiry, so its own signed URLs stop at it too (files: 410 FILE_EXPIRED).
      tx.insert(files).values({ id: row.id, ownerId: row.userId, name: file.name, mime: file.mime, kind: 'other', status: 'ready', size: file.size, uploadOffset: file.size, storageKey: file.key, createdAt: now, completedAt: now, expiresAt })
        .onConflictDoUpdate({ target: files.id, set: { size: file.size, uploadOffset: file.size, completedAt: now, expiresAt } }).run()
      tx.update(conversationExports).set({ status: 'completed', percent: 100, stage: 'done', messageCount: file.written, fileId: row.id, error: null, completedAt: now, expiresAt })
        .where(eq(conversationExports.id, row.id)).run()
    })
  }
}

/** A safe download name: `export-<conversation>-<date>.md|.jsonl`. */
function exportName(conversationName: string, format: 'markdown' | 'json'): string {
  const stem = conversationName.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'conversation'
  return `export-${stem}-${new Date().toISOString().slice(0, 10)}.${format === 'json' ? 'jsonl' : 'md'}`
}
