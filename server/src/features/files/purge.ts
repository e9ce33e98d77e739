import { and, eq, lte } from 'drizzle-orm'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Db } from '../../db/client'
import { files } from '../../db/schema'

/**
 * Deletes uploads never completed before their expiry, with their staged bytes. Staging is local to
 * the host that received the chunks, so each host's worker clears the files it can see; the rows go
 * everywhere at once.
 */
export async function purgeExpiredUploads(db: Db, stagingDir: string, now = new Date()): Promise<{ uploads: number }> {
  const expired = db.delete(files).where(and(eq(files.status, 'uploading'), lte(files.expiresAt, now))).returning({ id: files.id }).all()
  for (const { id } of expired) {
    await rm(join(stagingDir, `${id}.part`), { force: true })
    await rm(join(stagingDir, `${id}.part.incoming`), { force: true })
  }
  return { uploads: expired.length }
}
