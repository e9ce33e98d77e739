import { asc, inArray } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { files, messageAttachments } from '../../db/schema'
import { BadRequestError } from '../../errors'

/**
 * Files on messages. A sender may attach only their own finished uploads; once attached, members
 * of the conversation may fetch them (FileDownloads.canRead).
 */
export class MessageAttachments {
  /**
   * Checks every id before anything is written and says what type the message becomes: `voice`
   * for one voice recording, else `file`. Unknown, someone else's and unfinished files are refused
   * alike with 400 ATTACHMENT_INVALID naming the file.
   */
  validate(tx: Db | Tx, userId: string, fileIds: string[]): 'file' | 'voice' {
    const unique = [...new Set(fileIds)]
    if (unique.length !== fileIds.length) throw new BadRequestError('A file is attached twice', { code: 'ATTACHMENT_DUPLICATE' })
    const rows = tx.select({ id: files.id, ownerId: files.ownerId, status: files.status, voice: files.voice, kind: files.kind }).from(files).where(inArray(files.id, unique)).all()
    const byId = new Map(rows.map((row) => [row.id, row]))
    for (const id of unique) {
      const row = byId.get(id)
      if (!row || row.ownerId !== userId) throw new BadRequestError('Attach only files you uploaded', { code: 'ATTACHMENT_INVALID', details: { fileId: id, reason: 'not_found' } })
      if (row.status !== 'ready') throw new BadRequestError('This file has not finished uploading', { code: 'ATTACHMENT_INVALID', details: { fileId: id, reason: 'not_ready' } })
    }
    const only = rows.length === 1 ? rows[0]! : null
    return only?.voice && only.kind === 'audio' ? 'voice' : 'file'
  }

  link(tx: Tx, messageId: string, fileIds: string[]): void {
    if (fileIds.length === 0) return
    tx.insert(messageAttachments).values(fileIds.map((fileId, position) => ({ messageId, fileId, position }))).run()
  }
}

/** Attached file ids per message, in the order they were attached. */
export function attachmentIdsOf(db: Db | Tx, messageIds: string[]): Map<string, string[]> {
  const byMessage = new Map<string, string[]>()
  if (messageIds.length === 0) return byMessage
  const rows = db.select().from(messageAttachments).where(inArray(messageAttachments.messageId, messageIds)).orderBy(asc(messageAttachments.messageId), asc(messageAttachments.position)).all()
  for (const row of rows) byMessage.set(row.messageId, [...(byMessage.get(row.messageId) ?? []), row.fileId])
  return byMessage
}
