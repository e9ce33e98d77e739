import { eq } from 'drizzle-orm'
import { mkdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import type { FilesConfig } from '../../config'
import type { Db } from '../../db/client'
import { files, type FileMeta, type FileVariant } from '../../db/schema'
import { NotFoundError } from '../../errors'
import type { Storage } from '../../storage/storage'
import { audioRendition, posterFrame, probe, videoRendition, waveform } from './ffmpeg'
import { THUMBNAIL_SIZES } from './model'
import type { FileRow } from './views'

export const WAVEFORM_PEAKS = 100

export type ProgressReport = (percent: number, stage: string) => Promise<void> | void

export interface MediaResult {
  fileId: string
  /** False when an earlier run had already done the work (nothing was written). */
  processed: boolean
  meta: FileMeta
}

const variantKey = (fileId: string, name: string) => `files/${fileId}/${name}`

/**
 * The `media` job's work for one file: dimensions and WebP thumbnails for images; duration, a
 * poster frame (with thumbnails) and a web-playable rendition for video; duration, an AAC
 * rendition and waveform peaks for audio. Idempotent: a file already processed is left alone, and
 * every derived object has a fixed key, so a retried run overwrites rather than duplicates.
 */
export class MediaProcessor {
  constructor(private db: Db, private config: FilesConfig, private storage: Storage) {}

  /** Throws NotFoundError for a missing or unfinished file (the processor makes it unrecoverable). */
  async process(fileId: string, report: ProgressReport = () => {}): Promise<MediaResult> {
    const row = this.db.select().from(files).where(eq(files.id, fileId)).get()
    if (!row || row.status !== 'ready' || !row.storageKey) throw new NotFoundError(`No finished file ${fileId}`, { code: 'FILE_NOT_FOUND' })
    if (row.processing === 'done') return { fileId, processed: false, meta: row.meta }
    const scratch = join(this.config.stagingDir, `media-${fileId}`)
    await mkdir(scratch, { recursive: true })
    const source = await this.storage.localPath(row.storageKey)
    try {
      await report(5, 'probing')
      const meta = await this.#derive(row, source.path, scratch, report)
      await report(95, 'saving')
      this.db.update(files).set({ meta, processing: 'done' }).where(eq(files.id, fileId)).run()
      await report(100, 'done')
      return { fileId, processed: true, meta }
    } finally {
      await source.release()
      await rm(scratch, { recursive: true, force: true })
    }
  }

  /** Marks a file whose job gave up, so clients stop waiting for thumbnails. */
  markFailed(fileId: string): void {
    this.db.update(files).set({ processing: 'failed' }).where(eq(files.id, fileId)).run()
  }

  async #derive(row: FileRow, path: string, scratch: string, report: ProgressReport): Promise<FileMeta> {
    const variants: Record<string, FileVariant> = {}
    if (row.kind === 'image') {
      const info = await sharp(path).metadata()
      const upright = (info.orientation ?? 1) >= 5
      await this.#thumbnails(row.id, path, scratch, variants, report, 10, 90)
      return { width: upright ? info.height : info.width, height: upright ? info.width : (info.pageHeight ?? info.height), variants }
    }
    const probed = await probe(path)
    const meta: FileMeta = { durationMs: probed.durationMs ?? undefined, variants }
    if (probed.hasVideo) {
      meta.width = probed.width ?? undefined
      meta.height = probed.height ?? undefined
      await report(15, 'poster')
      const poster = join(scratch, 'poster.jpg')
      await posterFrame(path, poster, probed.durationMs)
      const posterInfo = await sharp(poster).metadata()
      await this.#thumbnails(row.id, poster, scratch, variants, report, 20, 35)
      variants.poster = await this.#store(row.id, 'poster', poster, 'image/jpeg', posterInfo.width, posterInfo.height)
      await report(40, 'rendition')
      const rendition = join(scratch, 'rendition.mp4')
      await videoRendition(path, rendition, probed.hasAudio, probed.durationMs, (done) => report(40 + 50 * done, 'rendition'))
      const renditionProbe = await probe(rendition)
      variants.rendition = await this.#store(row.id, 'rendition', rendition, 'video/mp4', renditionProbe.width ?? undefined, renditionProbe.height ?? undefined)
      return meta
    }
    if (probed.hasAudio) {
      await report(20, 'rendition')
      const rendition = join(scratch, 'rendition.m4a')
      await audioRendition(path, rendition, probed.durationMs, (done) => report(20 + 45 * done, 'rendition'))
      variants.rendition = await this.#store(row.id, 'rendition', rendition, 'audio/mp4')
      await report(70, 'waveform')
      if (probed.durationMs) meta.waveform = await waveform(path, probed.durationMs, WAVEFORM_PEAKS)
    }
    return meta
  }

  /**
   * Decodes the image once: upright and shrunk to the largest thumbnail size as raw pixels (JPEG
   * shrink-on-load makes this the cheap part), then every size is encoded from those pixels. Decoding
   * the original once per size cost 3.5× one resize on a 12 MP JPEG (docs/BENCHMARKS.md).
   */
  async #thumbnails(fileId: string, input: string, scratch: string, variants: Record<string, FileVariant>, report: ProgressReport, from: number, to: number): Promise<void> {
    const sizes = [...THUMBNAIL_SIZES].sort((a, b) => b - a)
    const largest = sizes[0]!
    await report(from, `thumbnail ${largest}`)
    // Each size is computed from the original's upright dimensions, so it is what resizing the original would give.
    const header = await sharp(input, { animated: false }).metadata()
    const [width, height] = (header.orientation ?? 1) >= 5 ? [header.height!, header.width!] : [header.width!, header.height!]
    const { data, info } = await sharp(input, { animated: false }).rotate().resize(largest, largest, { fit: 'inside', withoutEnlargement: true }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })
    const pixels = { raw: { width: info.width, height: info.height, channels: info.channels } }
    for (const [index, size] of sizes.entries()) {
      if (index > 0) await report(from + ((to - from) * index) / sizes.length, `thumbnail ${size}`)
      const scale = Math.min(1, size / width, size / height)
      const output = join(scratch, `thumb-${size}.webp`)
      const written = await sharp(data, pixels).resize(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)), { fit: 'fill' }).webp({ quality: 80 }).toFile(output)
      variants[`thumb-${size}`] = await this.#store(fileId, `thumb-${size}`, output, 'image/webp', written.width, written.height)
    }
  }

  async #store(fileId: string, name: string, path: string, mime: string, width?: number, height?: number): Promise<FileVariant> {
    const size = (await stat(path)).size
    const key = variantKey(fileId, name)
    await this.storage.putFile(key, path, mime)
    return { key, mime, size, ...(width ? { width, height } : {}) }
  }
}
