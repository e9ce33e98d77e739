import { and, desc, eq, gt, gte, inArray, isNotNull, isNull, lt, or, sql, type SQL } from 'drizzle-orm'
import { integer, sqliteTable, text, type SelectedFields } from 'drizzle-orm/sqlite-core'
import type { Db } from '../../db/client'
import { conversations, messages, messageTranscripts, participants, users } from '../../db/schema'
import { ValidationError } from '../../errors'
import { messageViews } from '../messages/service'
import { FileSearch, type FileSearchRequest } from './files'
import { DEFAULT_RESULTS, MAX_RESULTS, type FileSearchHit, type MessageSearchHit, type UserSearchHit } from './model'
import { decodeCursor, like, pageOf } from './paging'
import { PeopleSearch, type PeopleViewer } from './people'
import { ftsString, ftsWords, likePatterns, parseQuery, snippet, type ParsedQuery, type SearchFilters } from './query'

/** The FTS5 index of drizzle/0004_search.sql; declared here rather than in db/schema so drizzle-kit never tries to create it. */
const messagesFts = sqliteTable('messages_fts', { rowid: integer('rowid').notNull(), content: text('content').notNull() })

/** The transcript index of drizzle/0009_transcripts_search.sql, keyed by the rowid of message_transcripts. */
const transcriptsFts = sqliteTable('message_transcripts_fts', { rowid: integer('rowid').notNull(), text: text('text').notNull() })

type MatchedIn = MessageSearchHit['matchedIn']
interface Candidate {
  message: typeof messages.$inferSelect
  kind: (typeof conversations.$inferSelect)['kind']
  name: string | null
  rank: number
  text: string
  matchedIn: MatchedIn
}

/** The SQL order of #candidates (rank, newest, id), content before transcript for the same message. */
function searchOrder(a: Candidate, b: Candidate): number {
  return b.rank - a.rank || b.message.createdAt.getTime() - a.message.createdAt.getTime() || (a.message.id < b.message.id ? 1 : a.message.id > b.message.id ? -1 : 0) || (a.matchedIn === 'content' ? -1 : 1)
}

/** Both lists sorted, each message once at its better place. */
function mergeByRank(...lists: Candidate[][]): Candidate[] {
  const seen = new Set<string>()
  return lists.flat().sort(searchOrder).filter((row) => !seen.has(row.message.id) && seen.add(row.message.id))
}

/** How many of the newest matching messages a query ranks by relevance. */
const RANK_WINDOW = 2000

/** Below this many transcript hits (~3 µs each to count) they are all ranked, without the RANK_WINDOW cutoff query. */
const FEW_HITS = 200

export interface MessageSearchRequest {
  q: string
  limit?: number
  cursor?: string
}

/** Message, file and people search. Access is part of every query, so nothing unreadable is ever counted or returned. */
export class SearchService {
  readonly #files: FileSearch
  readonly #people: PeopleSearch

  constructor(private db: Db) {
    this.#files = new FileSearch(db)
    this.#people = new PeopleSearch(db)
  }

  searchFiles(viewerId: string, request: FileSearchRequest): { results: FileSearchHit[]; nextCursor?: string } {
    return this.#files.search(viewerId, request)
  }

  searchUsers(viewer: PeopleViewer, q: string): UserSearchHit[] {
    return this.#people.search(viewer, q)
  }

  /**
   * An FTS5 MATCH on the trigram index (terms of 3+ characters) joined to the caller's participant
   * rows, ranked by bm25, newest first on ties. Shorter terms (`ok`, `会議`) narrow with LIKE; a
   * query of only short terms or only filters scans the readable messages.
   *
   * Voice messages are also found by their transcript. The two indexes are queried apart and merged
   * by rank rather than folding transcript text into messages_fts with triggers: that index is
   * external-content over messages.content (a 'rebuild' would drop transcript text, a combined
   * column would need a rebuild of the whole messages index), and a hit must say where it matched.
   * The transcript index is probed first; when it has no hit (the common case) the message query runs
   * exactly as before. Otherwise both give their top offset+limit+1 in the same order and the merge
   * keeps each message once, at its better rank: every item of a merged page is within the top
   * offset+limit+1 of its own list, so pages stay exact and without overlaps.
   */
  searchMessages(viewerId: string, request: MessageSearchRequest): { results: MessageSearchHit[]; nextCursor?: string } {
    const parsed = parseQuery(request.q)
    if (parsed.terms.length === 0 && !parsed.filtered) throw new ValidationError('Type something to search for, or use a filter', { code: 'QUERY_EMPTY' })
    const limit = Math.min(request.limit ?? DEFAULT_RESULTS, MAX_RESULTS)
    const offset = decodeCursor(request.cursor)

    const { match, windowed } = this.#match(parsed)
    // A filter-only query has no text a transcript could match.
    const transcriptHits = parsed.terms.length ? this.#transcriptHits(match) : 0
    const inTranscripts = transcriptHits ? this.#candidates('transcript', viewerId, parsed, match, offset + limit + 1, 0, transcriptHits >= FEW_HITS) : []
    const rows = inTranscripts.length
      ? mergeByRank(this.#candidates('content', viewerId, parsed, match, offset + limit + 1, 0, windowed), inTranscripts).slice(offset, offset + limit + 1)
      : this.#candidates('content', viewerId, parsed, match, limit + 1, offset, windowed)

    const { results: page, nextCursor } = pageOf(rows, offset, limit)
    const views = messageViews(this.db, page.map((row) => row.message), viewerId)
    const results = page.map((row, i) => ({
      message: views[i]!,
      conversation: { id: row.message.conversationId, kind: row.kind, name: row.name },
      snippet: snippet(row.text, parsed.terms),
      rank: row.rank,
      matchedIn: row.matchedIn,
    }))
    return nextCursor ? { results, nextCursor } : { results }
  }

  /**
   * Hits in the transcript index alone, counted up to FEW_HITS (anyone's transcripts: it decides how
   * to look, never what is returned). 0 skips the transcript query, so a search no transcript matches
   * costs ~30 µs more than before; for a few hits, ranking them all is cheaper than finding a window.
   */
  #transcriptHits(match: string | null): number {
    return match ? this.#countHits(transcriptsFts, match, FEW_HITS) : FEW_HITS
  }

  /**
   * The MATCH string, each quoted phrase narrowed to its rarest word in the messages index (the
   * exact phrase is checked with LIKE anyway, and bm25 then never counts every row holding a common
   * word of it). Words are counted in the index alone, up to RANK_WINDOW and then only as far as the
   * rarest so far, so a common word costs little to rule out. When one word of several has fewer
   * than RANK_WINDOW hits, so has their AND, and the window cutoff query is skipped.
   */
  #match(parsed: ParsedQuery): { match: string | null; windowed: boolean } {
    let fewest = RANK_WINDOW
    const words = ftsWords(parsed.terms, (phrase) => {
      let rarest = phrase[0]!
      let rarestHits = RANK_WINDOW
      for (const word of phrase) {
        if (rarestHits === 0) break
        const hits = this.#countHits(messagesFts, ftsString(word), rarestHits)
        if (hits < rarestHits) [rarest, rarestHits] = [word, hits]
      }
      fewest = Math.min(fewest, rarestHits)
      return rarest
    })
    // One word alone is not worth counting: the cutoff query walks its hits about as fast.
    for (let i = 0; words.length > 1 && i < words.length && fewest >= RANK_WINDOW; i++) fewest = this.#countHits(messagesFts, ftsString(words[i]!), RANK_WINDOW)
    return { match: words.length ? words.map(ftsString).join(' ') : null, windowed: fewest >= RANK_WINDOW }
  }

  /** Index hits of a MATCH, counted up to `cap` (anyone's rows: it decides how to look, never what is returned). */
  #countHits(fts: typeof messagesFts | typeof transcriptsFts, match: string, cap: number): number {
    return this.db.all<{ hits: number }>(sql`SELECT count(*) AS hits FROM (SELECT 1 FROM ${fts} WHERE ${fts} MATCH ${match} LIMIT ${cap})`)[0]!.hits
  }

  /** One source's readable, undeleted hits in search order (bm25, then newest): message text or done transcripts. */
  #candidates(source: MatchedIn, viewerId: string, parsed: ParsedQuery, match: string | null, limit: number, offset: number, windowed: boolean): Candidate[] {
    const fts = source === 'content' ? messagesFts : transcriptsFts
    const body = source === 'content' ? sql<string>`${messages.content}` : sql<string>`${messageTranscripts.text}`
    const likes = likePatterns(parsed.terms).map((pattern) => like(body, pattern))
    const conditions: SQL[] = [isNull(messages.deletedAt), ...likes, ...this.#filters(parsed.filters)]
    if (source === 'transcript') {
      const done = eq(messageTranscripts.status, 'done')
      conditions.push(done)
      // Without an FTS term SQLite would walk every readable message and probe for a transcript;
      // naming the transcribed ids lets it start from the (much smaller) transcripts table.
      if (!match) conditions.push(inArray(messages.id, this.db.select({ id: messageTranscripts.messageId }).from(messageTranscripts).where(and(done, ...likes))))
    }
    const readable = (fields: SelectedFields) => {
      let query = this.db
        .select(fields)
        .from(messages)
        .innerJoin(participants, and(eq(participants.conversationId, messages.conversationId), eq(participants.userId, viewerId)))
        .innerJoin(conversations, eq(conversations.id, messages.conversationId))
        .$dynamic()
      if (source === 'transcript') query = query.innerJoin(messageTranscripts, eq(messageTranscripts.messageId, messages.id))
      if (match) query = query.innerJoin(fts, sql`${fts}.rowid = ${source === 'content' ? messages : messageTranscripts}.rowid`)
      return query
    }
    if (match) conditions.push(sql`${fts} MATCH ${match}`)
    if (match && windowed) {
      // bm25 over every hit of a very common word costs ~2.6 µs a hit (130 ms at 50,000 hits), so
      // ranking looks at the newest RANK_WINDOW readable hits only; walking rowids newest-first is cheap.
      const cutoff = readable({ rowid: sql<number>`${fts}.rowid` })
        .where(and(...conditions))
        .orderBy(sql`${fts}.rowid desc`)
        .limit(1)
        .offset(RANK_WINDOW - 1)
        .get()
      if (cutoff) conditions.push(sql`${fts}.rowid >= ${cutoff.rowid}`)
    }
    const rank = match ? sql<number>`-bm25(${fts})` : sql<number>`0`
    return readable({ message: messages, kind: conversations.kind, name: conversations.name, rank, text: body })
      .where(and(...conditions))
      .orderBy(...(match ? [sql`bm25(${fts})`] : []), desc(messages.createdAt), desc(messages.id))
      .limit(limit)
      .offset(offset)
      .all()
      .map((row) => ({ ...(row as Omit<Candidate, 'matchedIn'>), matchedIn: source }))
  }

  #filters(filters: SearchFilters): SQL[] {
    const conditions: SQL[] = []
    if (filters.in.length) {
      conditions.push(or(...filters.in.map((f) => (f.id ? or(eq(messages.conversationId, f.id), eq(conversations.name, f.name))! : eq(conversations.name, f.name))))!)
    }
    if (filters.from.length) {
      conditions.push(inArray(messages.senderId, this.db.select({ id: users.id }).from(users).where(inArray(users.username, filters.from))))
    }
    // A voice message carries a file too (its recording).
    if (filters.hasFile) conditions.push(inArray(messages.type, ['file', 'voice']))
    if (filters.before !== undefined) conditions.push(lt(messages.createdAt, new Date(filters.before)))
    if (filters.after !== undefined) conditions.push(gte(messages.createdAt, new Date(filters.after)))
    if (filters.isThread) conditions.push(or(isNotNull(messages.parentId), gt(messages.replyCount, 0))!)
    return conditions
  }
}
