import { and, eq } from 'drizzle-orm'
import { mkdir, rename, rm, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import type { FilesConfig } from '../../config'
import type { Db } from '../../db/client'
import { transaction } from '../../db/client'
import { files } from '../../db/schema'
import { ConflictError, GoneError, NotFoundError, PayloadTooLargeError, ServiceUnavailableError } from '../../errors'
import { newId } from '../../lib/crypto'
import { errorFields, type Logger } from '../../logger'
import type { Storage } from '../../storage/storage'
import { writeBody } from './body-writer'
import { appendAt, readHead, receiveBody } from './chunk-writer'
import { assertWithinLimit, finalizeStaged } from './finalize'
import type { MediaQueue } from './queue'
import { sanitizeName, sniff, SNIFF_BYTES } from './sniff'
import { toFileView, type FileRow } from './views'
import type { FileViewType } from './model'

export interface UploadInput {
  name?: string
  voice?: boolean
}

/** Kinds the media job derives something from (thumbnails, poster, rendition, waveform). */
const PROCESSED_KINDS = new Set(['image', 'video', 'audio'])

export const originalKey = (fileId: string) => `files/${fileId}/original`

/**
 * Uploads: a simple one-request upload and resumable uploads (create → PATCH chunks at offsets →
 * complete). Bodies stream into a staging file on local disk, so memory stays flat at any size;
 * a finished file moves into storage and gets a media job.
 */
export class FileService {
  /** Uploads with a PATCH in flight on this instance: one writer per upload. */
  readonly #busy = new Set<string>()

  constructor(private db: Db, private config: FilesConfig, private storage: Storage, private media: MediaQueue, private log: Logger) {}

  async simpleUpload(userId: string, input: UploadInput, body: ReadableStream<Uint8Array> | null, contentLength: number | null): Promise<FileViewType> {
    const maxBytes = Math.min(this.config.simpleUploadMaxBytes, Math.max(...Object.values(this.config.maxBytes)))
    if (contentLength !== null && contentLength > maxBytes) throw this.#tooLarge(maxBytes)
    const id = newId()
    const staging = await this.#stagingPath(id)
    try {
      const result = await writeBody(body, staging, {
        position: 0,
        maxBytes,
        onHead: (head, complete) => this.config.maxBytes[sniff(head, complete).kind],
      })
      if (result.interrupted) throw new ConflictError('The upload was interrupted; send it again', { code: 'UPLOAD_INTERRUPTED' })
      const now = new Date()
      this.db.insert(files).values({ id, ownerId: userId, name: 'file', voice: input.voice ?? false, status: 'uploading', size: result.written, uploadOffset: result.written, createdAt: now }).run()
      return await this.#finish(id, staging, input.name)
    } catch (error) {
      await rm(staging, { force: true })
      this.db.delete(files).where(eq(files.id, id)).run()
      throw error
    }
  }

  createUpload(userId: string, input: UploadInput & { size: number }): { id: string; offset: number; size: number; chunkMaxBytes: number; expiresAt: string } {
    const largest = Math.max(...Object.values(this.config.maxBytes))
    if (input.size > largest) throw this.#tooLarge(largest)
    const now = new Date()
    const expiresAt = new Date(now.getTime() + this.config.uploadTtlSeconds * 1000)
    const id = newId()
    this.db.insert(files).values({ id, ownerId: userId, name: sanitizeName(input.name, { ext: 'bin' }).replace(/\.bin$/, ''), voice: input.voice ?? false, status: 'uploading', size: input.size, createdAt: now, expiresAt }).run()
    return { id, offset: 0, size: input.size, chunkMaxBytes: this.config.chunkMaxBytes, expiresAt: expiresAt.toISOString() }
  }

  uploadState(userId: string, id: string): { offset: number; size: number; expiresAt: Date | null } {
    const row = this.#upload(userId, id)
    return { offset: row.uploadOffset, size: row.size, expiresAt: row.expiresAt }
  }

  /**
   * Appends one chunk at `offset` (which must be the current offset). The body lands in its own file
   * first, written inside Bun so memory stays flat at any size (chunk-writer.ts), then joins the
   * staging file. A client that goes away mid-chunk keeps what arrived: HEAD tells it where to resume.
   */
  async writeChunk(userId: string, id: string, offset: number, body: ReadableStream<Uint8Array> | null, declaredBytes: number | null = null): Promise<number> {
    const row = this.#upload(userId, id)
    if (offset !== row.uploadOffset) throw new ConflictError(`This upload is at offset ${row.uploadOffset}`, { code: 'OFFSET_MISMATCH', details: { offset: row.uploadOffset } })
    if (this.#busy.has(id)) throw new ConflictError('Another chunk of this upload is being written', { code: 'UPLOAD_BUSY' })
    this.#busy.add(id)
    const staging = await this.#stagingPath(id)
    const incoming = `${staging}.incoming`
    try {
      const result = await receiveBody(body, incoming, Math.min(this.config.chunkMaxBytes, row.size - offset), declaredBytes)
      if (offset === 0) {
        // The first chunk reveals the type: a declared size beyond its kind's limit ends the upload.
        const head = await readHead(incoming)
        try {
          assertWithinLimit(this.config, sniff(head, result.written < SNIFF_BYTES), row.size)
        } catch (error) {
          await this.#discard(id)
          throw error
        }
        await rename(incoming, staging)
      } else if (result.written > 0) {
        await appendAt(incoming, staging, offset).catch(async (error) => {
          await truncate(staging, offset).catch(() => undefined) // @NOTE: a staging file that cannot shrink is overwritten by the next chunk anyway.
          throw error
        })
      }
      const next = offset + result.written
      this.db.update(files).set({ uploadOffset: next }).where(eq(files.id, id)).run()
      if (result.interrupted) this.log.info('writeChunk() [client went away; kept what arrived]', { fileId: id, offset: next })
      return next
    } finally {
      await rm(incoming, { force: true })
      this.#busy.delete(id)
    }
  }

  async complete(userId: string, id: string): Promise<FileViewType> {
    const row = this.#upload(userId, id)
    if (row.uploadOffset !== row.size) throw new ConflictError(`Only ${row.uploadOffset} of ${row.size} bytes have arrived`, { code: 'UPLOAD_INCOMPLETE', details: { offset: row.uploadOffset, size: row.size } })
    if (this.#busy.has(id)) throw new ConflictError('A chunk of this upload is still being written', { code: 'UPLOAD_BUSY' })
    this.#busy.add(id)
    try {
      return await this.#finish(id, join(this.config.stagingDir, `${id}.part`), row.name)
    } catch (error) {
      // A file refused for its content (too large for its kind, unreadable image) cannot become valid by retrying.
      if (error instanceof PayloadTooLargeError || (error as { status?: number }).status === 415) await this.#discard(id)
      throw error
    } finally {
      this.#busy.delete(id)
    }
  }

  async cancelUpload(userId: string, id: string): Promise<void> {
    this.#upload(userId, id)
    await this.#discard(id)
  }

  async #finish(id: string, staging: string, rawName: string | undefined): Promise<FileViewType> {
    const finalized = await finalizeStaged(this.config, staging)
    const key = originalKey(id)
    try {
      await this.storage.putFile(key, staging, finalized.type.mime)
    } catch (error) {
      // The staged bytes stay: completing again once storage is back finishes the upload.
      this.log.error('finish() [storage write failed]', { fileId: id, driver: this.storage.driver, ...errorFields(error) })
      throw new ServiceUnavailableError('File storage is unavailable right now; try again shortly', { code: 'STORAGE_UNAVAILABLE', cause: error })
    }
    const processing = PROCESSED_KINDS.has(finalized.type.kind) ? 'pending' : 'none'
    const row = transaction(this.db, (tx, afterCommit) => {
      const updated = tx
        .update(files)
        .set({
          name: sanitizeName(rawName, finalized.type),
          mime: finalized.type.mime,
          kind: finalized.type.kind,
          status: 'ready',
          size: finalized.size,
          uploadOffset: finalized.size,
          storageKey: key,
          processing,
          meta: finalized.width ? { width: finalized.width, height: finalized.height } : {},
          completedAt: new Date(),
          expiresAt: null,
        })
        .where(eq(files.id, id))
        .returning()
        .get()!
      if (processing === 'pending') afterCommit(() => this.media.enqueue(updated.id, updated.ownerId))
      return updated
    })
    return toFileView(row)
  }

  /** The caller's own upload still in progress; anyone else's is not found. */
  #upload(userId: string, id: string): FileRow {
    const row = this.db.select().from(files).where(and(eq(files.id, id), eq(files.ownerId, userId))).get()
    if (!row) throw new NotFoundError('Upload not found', { code: 'UPLOAD_NOT_FOUND' })
    if (row.status !== 'uploading') throw new ConflictError('This upload is already complete', { code: 'UPLOAD_COMPLETED' })
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) throw new GoneError('This upload expired; start a new one', { code: 'UPLOAD_EXPIRED' })
    return row
  }

  async #discard(id: string): Promise<void> {
    await rm(join(this.config.stagingDir, `${id}.part`), { force: true })
    await rm(join(this.config.stagingDir, `${id}.part.incoming`), { force: true })
    this.db.delete(files).where(and(eq(files.id, id), eq(files.status, 'uploading'))).run()
  }

  async #stagingPath(id: string): Promise<string> {
    await mkdir(this.config.stagingDir, { recursive: true })
    return join(this.config.stagingDir, `${id}.part`)
  }

  #tooLarge(limit: number): PayloadTooLargeError {
    return new PayloadTooLargeError(`The file is larger than ${limit} bytes`, { details: { limitBytes: limit } })
  }
}
