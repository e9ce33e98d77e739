import { eq, inArray, lte } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { conversationExports, files } from '../../db/schema'
import { errorFields, type Logger } from '../../logger'
import type { Storage } from '../../storage/storage'

const BATCH = 200

/**
 * Deletes exports past their `expiresAt` with their files: the stored object first, then the file
 * row and the export row together, so an object that could not be deleted keeps its rows and is
 * tried again on the next run. An export file someone attached to a message expires all the same
 * (the attachment goes with the file row).
 */
export async function purgeExpiredExports(db: Db, storage: Storage, log: Logger, now = new Date()): Promise<{ exports: number; files: number }> {
  let exportsPurged = 0
  let filesPurged = 0
  for (;;) {
    const expired = db.select({ id: conversationExports.id, fileId: conversationExports.fileId }).from(conversationExports).where(lte(conversationExports.expiresAt, now)).limit(BATCH).all()
    if (expired.length === 0) break
    const fileIds = expired.flatMap((row) => (row.fileId ? [row.fileId] : []))
    const stored = fileIds.length ? db.select({ id: files.id, storageKey: files.storageKey, meta: files.meta }).from(files).where(inArray(files.id, fileIds)).all() : []
    const kept = new Set<string>()
    for (const file of stored) {
      const keys = [file.storageKey, ...Object.values(file.meta.variants ?? {}).map((variant) => variant.key)].filter((key): key is string => !!key)
      try {
        for (const key of keys) await storage.delete(key)
      } catch (error) {
        kept.add(file.id)
        log.warn('purgeExpiredExports() [storage delete failed; retried next run]', { fileId: file.id, ...errorFields(error) })
      }
    }
    const done = expired.filter((row) => !row.fileId || !kept.has(row.fileId))
    if (done.length === 0) break
    db.transaction((tx) => {
      const purgedFiles = done.flatMap((row) => (row.fileId ? [row.fileId] : []))
      if (purgedFiles.length) filesPurged += tx.delete(files).where(inArray(files.id, purgedFiles)).returning({ id: files.id }).all().length
      for (const row of done) tx.delete(conversationExports).where(eq(conversationExports.id, row.id)).run()
    })
    exportsPurged += done.length
    if (expired.length < BATCH || kept.size > 0) break
  }
  return { exports: exportsPurged, files: filesPurged }
}
