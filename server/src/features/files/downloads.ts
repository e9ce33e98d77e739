import { and, eq, isNull } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { files, messageAttachments, messages, participants } from '../../db/schema'
import { ConflictError, GoneError, NotFoundError, ServiceUnavailableError } from '../../errors'
import type { Storage } from '../../storage/storage'
import type { FileViewType, VariantName } from './model'
import { parseRange } from './range'
import { isInlineSafe } from './sniff'
import { UrlSigner } from './signing'
import { toFileView, type FileRow } from './views'

/** Whether a feature shows this file to this user (the audience of a story, the lounge of a listing). */
export type FileReader = (userId: string, fileId: string) => boolean

export interface Download {
  status: 200 | 206
  body: Blob | ReadableStream<Uint8Array>
  headers: Record<string, string>
}

/** RFC 6266 / 5987: an ASCII fallback plus the exact UTF-8 name. */
function disposition(kind: 'inline' | 'attachment', name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_')
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

/** A ready file with an expiry (a conversation export) is gone once it passed, before the purge deletes it. */
function assertNotExpired(row: FileRow): void {
  if (row.status === 'ready' && row.expiresAt && row.expiresAt.getTime() <= Date.now()) throw new GoneError('This file expired', { code: 'FILE_EXPIRED' })
}

/**
 * Who may read a file and how its bytes leave: the owner always; anyone else only as a member of
 * a conversation where it is attached to a live message, or as someone a reader admits (the
 * audience of a live story, participants of a listing's lounge). Bytes go out through short-lived
 * signed URLs with Range support.
 */
export class FileDownloads {
  readonly #signer: UrlSigner

  /** `readers`: other features that show files to people (story media, listing images), asked after the owner and attachment rules. */
  constructor(private db: Db, private storage: Storage, urlSecret: string, urlTtlSeconds: number, private readers: FileReader[] = []) {
    this.#signer = new UrlSigner(urlSecret, urlTtlSeconds)
  }

  get(userId: string, fileId: string): FileViewType {
    return toFileView(this.#readable(userId, fileId))
  }

  signedUrl(userId: string, fileId: string, variant: VariantName): { url: string; expiresAt: string } {
    const row = this.#readable(userId, fileId)
    if (row.status !== 'ready') throw new ConflictError('This file is still uploading', { code: 'FILE_NOT_READY' })
    assertNotExpired(row)
    this.#variant(row, variant)
    const signed = this.#signer.sign({ fileId, variant, userId })
    return { url: signed.path, expiresAt: signed.expiresAt.toISOString() }
  }

  /** Serves a signed URL: signature (403), expiry (410), then access again, so a member removed since loses the file at once. */
  async content(fileId: string, query: { variant: VariantName; u: string; exp: number; sig: string }, rangeHeader: string | undefined): Promise<Download> {
    this.#signer.verify({ fileId, variant: query.variant, userId: query.u }, query.exp, query.sig)
    const row = this.#readable(query.u, fileId)
    assertNotExpired(row)
    const variant = this.#variant(row, query.variant)
    const size = await this.storage.size(variant.key).catch((error: unknown) => {
      throw new ServiceUnavailableError('File storage is unavailable right now; try again shortly', { code: 'STORAGE_UNAVAILABLE', cause: error })
    })
    const range = parseRange(rangeHeader, size)
    const name = query.variant === 'original' ? row.name : `${row.name.replace(/\.[^.]+$/, '')}-${query.variant}.${variant.mime.split('/')[1]?.replace('jpeg', 'jpg') ?? 'bin'}`
    const headers: Record<string, string> = {
      'content-type': variant.mime,
      'accept-ranges': 'bytes',
      'content-disposition': disposition(isInlineSafe(variant.mime) ? 'inline' : 'attachment', name),
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, max-age=300',
      // A file rendered in place must not run script with the API's origin.
      'content-security-policy': "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox",
    }
    if (!range) return { status: 200, body: await this.storage.read(variant.key), headers: { ...headers, 'content-length': String(size) } }
    return {
      status: 206,
      body: await this.storage.read(variant.key, range),
      headers: { ...headers, 'content-length': String(range.end - range.start + 1), 'content-range': `bytes ${range.start}-${range.end}/${size}` },
    }
  }

  /** True when `userId` owns the file, shares a conversation where a live message carries it, or a reader lets them. */
  canRead(userId: string, row: FileRow): boolean {
    if (row.ownerId === userId) return true
    const shared = this.db
      .select({ messageId: messageAttachments.messageId })
      .from(messageAttachments)
      .innerJoin(messages, eq(messages.id, messageAttachments.messageId))
      .innerJoin(participants, and(eq(participants.conversationId, messages.conversationId), eq(participants.userId, userId)))
      .where(and(eq(messageAttachments.fileId, row.id), isNull(messages.deletedAt)))
      .limit(1)
      .get()
    return shared !== undefined || this.readers.some((reader) => reader(userId, row.id))
  }

  #readable(userId: string, fileId: string): FileRow {
    const row = this.db.select().from(files).where(eq(files.id, fileId)).get()
    // Not found either way: a file you may not read does not exist for you.
    if (!row || !this.canRead(userId, row)) throw new NotFoundError('File not found', { code: 'FILE_NOT_FOUND' })
    return row
  }

  #variant(row: FileRow, name: VariantName): { key: string; mime: string } {
    if (name === 'original' && row.storageKey) return { key: row.storageKey, mime: row.mime }
    const variant = row.meta.variants?.[name]
    if (!variant) throw new NotFoundError(`This file has no ${name}`, { code: 'VARIANT_NOT_FOUND', details: { available: ['original', ...Object.keys(row.meta.variants ?? {})] } })
    return variant
  }
}
