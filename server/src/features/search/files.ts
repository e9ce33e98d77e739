import { and, desc, eq, exists, gt, gte, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm'
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import type { Db } from '../../db/client'
import { conversations, files, messageAttachments, messages, participants, users } from '../../db/schema'
import { ValidationError } from '../../errors'
import { toFileView } from '../files/views'
import { DEFAULT_RESULTS, MAX_RESULTS, type FileSearchHit } from './model'
import { decodeCursor, like, pageOf } from './paging'
import { ftsMatch, likePatterns, parseQuery, snippet, type SearchFilters } from './query'

/** The file-name index of drizzle/0014_file_search.sql, declared here so drizzle-kit never tries to create it. */
const filesFts = sqliteTable('files_fts', { rowid: integer('rowid').notNull(), name: text('name').notNull() })

export interface FileSearchRequest {
  q: string
  kind?: FileSearchHit['file']['kind']
  limit?: number
  cursor?: string
}

/**
 * File search by name. A file is found only by someone who may fetch it, with the rule of
 * FileDownloads.canRead written into the SQL: its owner, or a member of a conversation where a
 * live (undeleted) message carries it. Deleting the message therefore hides the file from the
 * other members at once; its owner still finds it, with `attachedTo: null` when no live message is left.
 */
export class FileSearch {
  constructor(private db: Db) {}

  search(viewerId: string, request: FileSearchRequest): { results: FileSearchHit[]; nextCursor?: string } {
    const parsed = parseQuery(request.q)
    if (parsed.terms.length === 0 && !parsed.filtered) throw new ValidationError('Type something to search for, or use a filter', { code: 'QUERY_EMPTY' })
    if (parsed.filters.isThread) throw new ValidationError('is:thread does not apply to files', { code: 'QUERY_INVALID', details: { token: 'is:thread' } })
    const limit = Math.min(request.limit ?? DEFAULT_RESULTS, MAX_RESULTS)
    const offset = decodeCursor(request.cursor)

    const match = ftsMatch(parsed.terms)
    const conditions: SQL[] = [
      eq(files.status, 'ready'),
      // A file with an expiry (a conversation export) is gone for downloads once it passed, so for search too.
      or(isNull(files.expiresAt), gt(files.expiresAt, new Date()))!,
      ...likePatterns(parsed.terms).map((pattern) => like(files.name, pattern)),
      ...this.#filters(viewerId, parsed.filters),
    ]
    if (request.kind) conditions.push(eq(files.kind, request.kind))
    let query = this.db
      .select({ file: files, rank: match ? sql<number>`-bm25(${filesFts})` : sql<number>`0` })
      .from(files)
      .$dynamic()
    if (match) {
      query = query.innerJoin(filesFts, sql`${filesFts}.rowid = ${files}.rowid`)
      conditions.push(sql`${filesFts} MATCH ${match}`)
    }
    const rows = query
      .where(and(...conditions))
      .orderBy(...(match ? [sql`bm25(${filesFts})`] : []), desc(files.createdAt), desc(files.id))
      .limit(limit + 1)
      .offset(offset)
      .all()

    const page = pageOf(rows, offset, limit)
    const attached = this.#attachedTo(viewerId, page.results.map((row) => row.file.id), parsed.filters)
    return {
      ...page,
      results: page.results.map((row) => ({
        file: toFileView(row.file),
        attachedTo: attached.get(row.file.id) ?? null,
        snippet: snippet(row.file.name, parsed.terms),
        rank: row.rank,
      })),
    }
  }

  #filters(viewerId: string, filters: SearchFilters): SQL[] {
    const conditions: SQL[] = []
    const shared = this.db
      .select({ one: sql`1` })
      .from(messageAttachments)
      .innerJoin(messages, eq(messages.id, messageAttachments.messageId))
      .innerJoin(participants, and(eq(participants.conversationId, messages.conversationId), eq(participants.userId, viewerId)))
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .where(and(eq(messageAttachments.fileId, files.id), ...this.#attachmentConditions(filters)))
    // `in:` asks where the file was shared, so owning it is not enough there.
    conditions.push(filters.in.length ? exists(shared) : or(eq(files.ownerId, viewerId), exists(shared))!)
    if (filters.from.length) conditions.push(inArray(files.ownerId, this.db.select({ id: users.id }).from(users).where(inArray(users.username, filters.from))))
    if (filters.before !== undefined) conditions.push(lt(files.createdAt, new Date(filters.before)))
    if (filters.after !== undefined) conditions.push(gte(files.createdAt, new Date(filters.after)))
    return conditions
  }

  /** A live message, in a conversation named by `in:` when there is one. */
  #attachmentConditions(filters: SearchFilters): SQL[] {
    const where: SQL[] = [isNull(messages.deletedAt)]
    if (filters.in.length) where.push(or(...filters.in.map((f) => (f.id ? or(eq(messages.conversationId, f.id), eq(conversations.name, f.name))! : eq(conversations.name, f.name))))!)
    return where
  }

  /** For each file, the newest live message the viewer can read that carries it: where "jump to" goes. */
  #attachedTo(viewerId: string, fileIds: string[], filters: SearchFilters): Map<string, NonNullable<FileSearchHit['attachedTo']>> {
    const found = new Map<string, NonNullable<FileSearchHit['attachedTo']>>()
    if (fileIds.length === 0) return found
    const rows = this.db
      .select({ fileId: messageAttachments.fileId, messageId: messages.id, seq: messages.seq, parentId: messages.parentId, conversationId: messages.conversationId, kind: conversations.kind, name: conversations.name })
      .from(messageAttachments)
      .innerJoin(messages, eq(messages.id, messageAttachments.messageId))
      .innerJoin(participants, and(eq(participants.conversationId, messages.conversationId), eq(participants.userId, viewerId)))
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .where(and(inArray(messageAttachments.fileId, fileIds), ...this.#attachmentConditions(filters)))
      .orderBy(desc(messages.createdAt), desc(messages.id))
      .all()
    for (const row of rows) {
      if (!found.has(row.fileId)) found.set(row.fileId, { messageId: row.messageId, seq: row.seq, parentId: row.parentId, conversation: { id: row.conversationId, kind: row.kind, name: row.name } })
    }
    return found
  }
}
