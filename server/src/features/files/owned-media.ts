import { inArray } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { files, type FILE_KINDS } from '../../db/schema'
import { ValidationError } from '../../errors'

type FileKind = (typeof FILE_KINDS)[number]

/**
 * Checks that every id is a finished upload of `ownerId` of one of `kinds`, for features that show
 * someone's files to others outside messages (story media, listing images). Unknown and someone
 * else's files are refused alike (422 `code`, details naming the file and why), so ids reveal nothing.
 */
export function assertOwnedMedia(db: Db | Tx, ownerId: string, fileIds: string[], kinds: readonly FileKind[], error: { code: string; field: string }): void {
  if (fileIds.length === 0) return
  const unique = [...new Set(fileIds)]
  if (unique.length !== fileIds.length) throw new ValidationError('A file is listed twice', { code: error.code, details: { field: error.field, reason: 'duplicate' } })
  const rows = db.select({ id: files.id, ownerId: files.ownerId, status: files.status, kind: files.kind }).from(files).where(inArray(files.id, unique)).all()
  const byId = new Map(rows.map((row) => [row.id, row]))
  for (const fileId of unique) {
    const row = byId.get(fileId)
    const refuse = (message: string, reason: string) => new ValidationError(message, { code: error.code, details: { field: error.field, fileId, reason, allowed: kinds } })
    if (!row || row.ownerId !== ownerId) throw refuse('Use only files you uploaded', 'not_found')
    if (row.status !== 'ready') throw refuse('This file has not finished uploading', 'not_ready')
    if (!kinds.includes(row.kind)) throw refuse(`This file is ${row.kind === 'other' ? 'not a media file' : `a ${row.kind}`}; allowed: ${kinds.join(', ')}`, 'wrong_kind')
  }
}
