import { sql, type SQL } from 'drizzle-orm'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'
import { ValidationError } from '../../errors'

/** Offset paging keeps bm25 order exact; a cap keeps a crafted cursor from asking SQLite to skip millions of rows. */
export const MAX_OFFSET = 5_000

export function encodeCursor(offset: number): string {
  return Buffer.from(`o:${offset}`).toString('base64url')
}

export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0
  const match = /^o:(\d{1,6})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))
  const offset = match ? Number(match[1]) : NaN
  if (!(offset >= 0 && offset <= MAX_OFFSET)) throw new ValidationError('The cursor is not valid; start again without it', { code: 'CURSOR_INVALID' })
  return offset
}

/** The page and, when more rows exist within reach, the cursor of the next one. */
export function pageOf<T>(rows: T[], offset: number, limit: number): { results: T[]; nextCursor?: string } {
  const results = rows.slice(0, limit)
  const next = offset + limit
  return rows.length > limit && next <= MAX_OFFSET ? { results, nextCursor: encodeCursor(next) } : { results }
}

export const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`)
export const like = (column: SQL | SQLiteColumn, pattern: string) => sql`${column} LIKE ${pattern} ESCAPE '\\'`
