import { and, asc, eq, inArray } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { files, messageAttachments } from '../../db/schema'
import { NotFoundError } from '../../errors'
import type { Storage } from '../../storage/storage'

/** Where a voice message's audio comes from: the message's attachment, read through file storage. */
export interface AudioSource {
  /** The id of the first ready audio (or video) file attached to the message, if any. */
  voiceFileOf(messageId: string): string | null
  /** A local path for the engines (ffmpeg, pocketsphinx, the provider upload); release removes any temporary copy. */
  open(fileId: string): Promise<{ path: string; release(): Promise<void> }>
}

export class StoredAudioSource implements AudioSource {
  constructor(private db: Db, private storage: Storage) {}

  voiceFileOf(messageId: string): string | null {
    return this.db
      .select({ id: files.id })
      .from(messageAttachments)
      .innerJoin(files, eq(files.id, messageAttachments.fileId))
      .where(and(eq(messageAttachments.messageId, messageId), inArray(files.kind, ['audio', 'video']), eq(files.status, 'ready')))
      .orderBy(asc(messageAttachments.position))
      .get()?.id ?? null
  }

  async open(fileId: string) {
    const file = this.db.select({ key: files.storageKey }).from(files).where(eq(files.id, fileId)).get()
    if (!file?.key) throw new NotFoundError('The audio file is gone', { code: 'FILE_NOT_FOUND' })
    return this.storage.localPath(file.key)
  }
}
