import { and, asc, desc, eq, gt, gte, inArray, isNotNull, isNull, lt, or, sql, type SQL } from 'drizzle-orm'
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import type { Db } from '../../db/client'
import { conversations, messages, participants, users } from '../../db/schema'
import { ValidationError } from '../../errors'
import { messageViews } from '../messages/service'
import { DEFAULT_RESULTS, MAX_RESULTS, MAX_USER_RESULTS, type MessageSearchHit, type UserSearchHit } from './model'
import { ftsMatch, likePatterns, parseQuery, snippet, type SearchFilters } from './query'

/** The FTS5 index of drizzle/0004_search.sql; declared here rather than in db/schema so drizzle-kit never tries to create it. */
const messagesFts = sqliteTable('messages_fts', { rowid: integer('rowid').notNull(), content: text('content').notNull() })

/** How many of the newest matching messages a query ranks by relevance. */
const RANK_WINDOW = 2000

/** Offset paging keeps bm25 order exact; a cap keeps a crafted cursor from asking SQLite to skip millions of rows. */
const MAX_OFFSET = 5_000

export interface MessageSearchRequest {
  q: string
  limit?: number
  cursor?: string
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`)
const like = (column: SQL | typeof users.username, pattern: string) => sql`${column} LIKE ${pattern} ESCAPE '\\'`

function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url')
}

function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0
  const match = /^o:(\d{1,6})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  const offset = match ? Number(match[1]) : NaN
  if (!(offset >= 0 && offset <= MAX_OFFSET)) throw new ValidationError('The cursor is not valid; start again without it', { code: 'CURSOR_INVALID' })
  return offset
}

/** Message and people search. Membership is part of every message query, so nothing unreadable is ever counted or returned. */
export class SearchService {
  constructor(private db: Db) {}

  /**
   * One statement: an FTS5 MATCH on the trigram index (terms of 3+ characters) joined to the
   * caller's participant rows, ranked by bm25, newest first on ties. Shorter terms (`ok`, `会議`)
   * narrow with LIKE; a query of only short terms or only filters scans the readable messages.
   */
  searchMessages(viewerId: string, request: MessageSearchRequest): { results: MessageSearchHit[]; nextCursor?: string } {
    const parsed = parseQuery(request.q)
    if (parsed.terms.length === 0 && !parsed.filtered) throw new ValidationError('Type something to search for, or use a filter', { code: 'QUERY_EMPTY' })
    const limit = Math.min(request.limit ?? DEFAULT_RESULTS, MAX_RESULTS)
    const offset = decodeCursor(request.cursor)
    const match = ftsMatch(parsed.terms)

    const conditions: SQL[] = [isNull(messages.deletedAt), ...likePatterns(parsed.terms).map((pattern) => like(sql`${messages.content}`, pattern)), ...this.#filters(parsed.filters)]
    const rank = match ? sql<number>`-bm25(${messagesFts})` : sql<number>`0`
    let query = this.db
      .select({ message: messages, kind: conversations.kind, name: conversations.name, rank })
      .from(messages)
      .innerJoin(participants, and(eq(participants.conversationId, messages.conversationId), eq(participants.userId, viewerId)))
      .innerJoin(conversations, eq(conversations.id, messages.conversationId))
      .$dynamic()
    if (match) {
      query = query.innerJoin(messagesFts, sql`${messagesFts}.rowid = ${messages}.rowid`)
      conditions.push(sql`${messagesFts} MATCH ${match}`)
      // bm25 over every hit of a very common word costs ~2.6 µs a hit (130 ms at 50,000 hits), so
      // ranking looks at the newest RANK_WINDOW readable hits only; walking rowids newest-first is cheap.
      const cutoff = this.db
        .select({ rowid: sql<number>`${messagesFts}.rowid` })
        .from(messagesFts)
        .innerJoin(messages, sql`${messages}.rowid = ${messagesFts}.rowid`)
        .innerJoin(participants, and(eq(participants.conversationId, messages.conversationId), eq(participants.userId, viewerId)))
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .where(and(...conditions))
        .orderBy(sql`${messagesFts}.rowid desc`)
        .limit(1)
        .offset(RANK_WINDOW - 1)
        .get()
      if (cutoff) conditions.push(sql`${messagesFts}.rowid >= ${cutoff.rowid}`)
    }
    const rows = query
      .where(and(...conditions))
      .orderBy(...(match ? [sql`bm25(${messagesFts})`] : []), desc(messages.createdAt), desc(messages.id))
      .limit(limit + 1)
      .offset(offset)
      .all()

    const page = rows.slice(0, limit)
    const views = messageViews(this.db, page.map((row) => row.message), viewerId)
    const results = page.map((row, i) => ({
      message: views[i]!,
      conversation: { id: row.message.conversationId, kind: row.kind, name: row.name },
      snippet: snippet(row.message.content, parsed.terms),
      rank: row.rank,
    }))
    const next = offset + limit
    return rows.length > limit && next <= MAX_OFFSET ? { results, nextCursor: encodeCursor(next) } : { results }
  }

  #filters(filters: SearchFilters): SQL[] {
    const conditions: SQL[] = []
    if (filters.in.length) {
      conditions.push(or(...filters.in.map((f) => (f.id ? or(eq(messages.conversationId, f.id), eq(conversations.name, f.name))! : eq(conversations.name, f.name))))!)
    }
    if (filters.from.length) {
      conditions.push(inArray(messages.senderId, this.db.select({ id: users.id }).from(users).where(inArray(users.username, filters.from))))
    }
    if (filters.hasFile) conditions.push(eq(messages.type, 'file'))
    if (filters.before !== undefined) conditions.push(lt(messages.createdAt, new Date(filters.before)))
    if (filters.after !== undefined) conditions.push(gte(messages.createdAt, new Date(filters.after)))
    if (filters.isThread) conditions.push(or(isNotNull(messages.parentId), gt(messages.replyCount, 0))!)
    return conditions
  }

  /**
   * People by username (prefix first, then substring) or display name (substring); an email only
   * when `q` is the whole address, so addresses cannot be enumerated by fragments. Plain LIKE: the
   * users table is small next to messages, and a second trigram index would buy little.
   */
  searchUsers(q: string): UserSearchHit[] {
    const needle = q.trim().toLowerCase()
    if (!needle) throw new ValidationError('Type something to search for', { code: 'QUERY_EMPTY' })
    const contains = `%${escapeLike(needle)}%`
    const prefix = `${escapeLike(needle)}%`
    return this.db
      .select({ id: users.id, username: users.username, displayName: users.displayName, avatarUrl: users.avatarUrl })
      .from(users)
      .where(and(isNull(users.disabledAt), or(like(users.username, contains), like(sql`${users.displayName}`, contains), eq(users.email, needle))))
      .orderBy(
        sql`CASE WHEN ${users.username} = ${needle} OR ${users.email} = ${needle} THEN 0 WHEN ${like(users.username, prefix)} THEN 1 WHEN ${like(sql`${users.displayName}`, prefix)} THEN 2 ELSE 3 END`,
        asc(users.username),
      )
      .limit(MAX_USER_RESULTS)
      .all()
  }
}
