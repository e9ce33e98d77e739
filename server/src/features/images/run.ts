import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq, inArray } from 'drizzle-orm'
import { zipSync } from 'fflate'
import type { Db } from '../../db/client'
import { files, imageJobs, type ImageOutput } from '../../db/schema'
import type { Logger } from '../../logger'
import type { Storage } from '../../storage/storage'
import { compositeOnColor, compositeOnImage, enhance, removeBackground, type EncodedImage } from './processing'

export type ReportProgress = (percent: number, stage: string, item?: { index: number; total: number }) => Promise<void>

/**
 * The worker side of an image job. Output keys are derived from the job id and position, so a
 * retried run overwrites the same objects and the row gets its outputs in one final write.
 */
export class ImageJobRunner {
  constructor(private db: Db, private storage: Storage, private log: Logger) {}

  async run(imageJobId: string, report: ReportProgress): Promise<{ status: 'completed' | 'already-completed' | 'missing'; outputs: number }> {
    const row = this.db.select().from(imageJobs).where(eq(imageJobs.id, imageJobId)).get()
    if (!row) return { status: 'missing', outputs: 0 }
    if (row.status === 'completed') return { status: 'already-completed', outputs: row.outputs.length }
    const wanted = row.options.backgroundFileId ? [...row.fileIds, row.options.backgroundFileId] : row.fileIds
    const inputs = this.db.select({ id: files.id, name: files.name, storageKey: files.storageKey }).from(files).where(inArray(files.id, wanted)).all()
    const background = row.options.backgroundFileId ? inputs.find((file) => file.id === row.options.backgroundFileId) : undefined
    if (row.options.backgroundFileId && !background?.storageKey) throw new MissingInputError(row.options.backgroundFileId)
    const progress: ReportProgress = async (percent, stage, item) => {
      this.db.update(imageJobs).set({ status: 'active', percent: Math.round(percent), stage }).where(eq(imageJobs.id, imageJobId)).run()
      await report(percent, stage, item)
    }
    await progress(0, 'started')
    const staging = await mkdtemp(join(tmpdir(), 'parley-images-'))
    try {
      const outputs: ImageOutput[] = []
      const archive: Record<string, Uint8Array> = {}
      const total = row.fileIds.length
      for (const [index, fileId] of row.fileIds.entries()) {
        const input = inputs.find((file) => file.id === fileId)
        // The file was deleted after the job was accepted: nothing to make for it.
        if (!input?.storageKey) throw new MissingInputError(fileId)
        await progress((index / total) * 95, row.operation === 'remove-background' ? 'removing background' : 'enhancing', { index: index + 1, total })
        const source = await this.storage.localPath(input.storageKey)
        try {
          for (const [variant, image] of await this.#make(row.operation, row.options, source.path, background?.storageKey ?? null)) {
            const name = `${index + 1}-${baseName(input.name)}-${variant}.${image.mime === 'image/png' ? 'png' : 'jpg'}`
            const key = `images/${imageJobId}/${name}`
            const temp = join(staging, name)
            await writeFile(temp, image.bytes)
            await this.storage.putFile(key, temp, image.mime)
            outputs.push({ input: index, name, key, mime: image.mime, size: image.bytes.length, width: image.width, height: image.height })
            archive[name] = image.bytes
          }
        } finally {
          await source.release()
        }
      }
      await progress(96, 'packing zip')
      const archiveKey = `images/${imageJobId}/results.zip`
      const zipPath = join(staging, 'results.zip')
      // Images are already compressed; storing them saves CPU for nothing lost.
      await writeFile(zipPath, zipSync(archive, { level: 0 }))
      await this.storage.putFile(archiveKey, zipPath, 'application/zip')
      this.db.update(imageJobs).set({ status: 'completed', percent: 100, stage: 'done', outputs, archiveKey, error: null, completedAt: new Date() }).where(eq(imageJobs.id, imageJobId)).run()
      this.log.info('run() [image job done]', { imageJobId, operation: row.operation, outputs: outputs.length })
      return { status: 'completed', outputs: outputs.length }
    } finally {
      await rm(staging, { recursive: true, force: true })
    }
  }

  /** The last attempt failed: the owner sees why (no retry is coming). */
  markFailed(imageJobId: string, message: string): void {
    this.db.update(imageJobs).set({ status: 'failed', stage: 'failed', error: message.slice(0, 500), completedAt: new Date() }).where(eq(imageJobs.id, imageJobId)).run()
  }

  async #make(operation: string, options: typeof imageJobs.$inferSelect.options, path: string, backgroundKey: string | null): Promise<Array<[string, EncodedImage]>> {
    if (operation === 'remove-background') {
      const cutout = await removeBackground(path)
      const made: Array<[string, EncodedImage]> = [['cutout', cutout]]
      if (options.background) made.push(['on-color', await compositeOnColor(cutout.bytes, options.background)])
      if (backgroundKey) {
        const background = await this.storage.localPath(backgroundKey)
        try {
          made.push(['on-image', await compositeOnImage(cutout, background.path)])
        } finally {
          await background.release()
        }
      }
      return made
    }
    const made: Array<[string, EncodedImage]> = []
    for (const format of options.formats ?? ['original']) made.push([format, await enhance(path, options, format)])
    return made
  }
}

export class MissingInputError extends Error {
  override name = 'MissingInputError'
  constructor(readonly fileId: string) {
    super(`input file ${fileId} no longer exists`)
  }
}

/** A safe, short stem of a display name for output file names inside the zip. */
function baseName(name: string): string {
  return name.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40) || 'image'
}
