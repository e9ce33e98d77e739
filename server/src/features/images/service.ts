import { and, eq, inArray } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { files, imageJobs, type ImageJobOptions } from '../../db/schema'
import { QUEUES, type ImageJob } from '../../contracts/jobs'
import { NotFoundError, ValidationError } from '../../errors'
import { newId } from '../../lib/crypto'
import type { Storage } from '../../storage/storage'
import type { JobService } from '../jobs/service'
import type { CreateImageJobBody, ImageJobView } from './model'

type ImageJobRow = typeof imageJobs.$inferSelect

export function toImageJobView(row: ImageJobRow): ImageJobView {
  const base = `/images/jobs/${row.id}`
  return {
    id: row.id,
    operation: row.operation,
    status: row.status,
    percent: row.percent,
    stage: row.stage,
    fileIds: row.fileIds,
    outputs: row.outputs.map((output, index) => ({ index, input: output.input, name: output.name, mime: output.mime, size: output.size, width: output.width, height: output.height, url: `${base}/outputs/${index}` })),
    archiveUrl: row.archiveKey ? `${base}/archive` : null,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
  }
}

/** Image jobs as their owner sees them: create (queued on `images`), read status, download results. */
export class ImageJobService {
  constructor(private db: Db, private jobs: JobService, private storage: Storage) {}

  async create(userId: string, body: CreateImageJobBody): Promise<ImageJobView> {
    const wanted = body.backgroundFileId ? [...body.fileIds, body.backgroundFileId] : body.fileIds
    const owned = this.db.select({ id: files.id, kind: files.kind, status: files.status }).from(files).where(and(inArray(files.id, wanted), eq(files.ownerId, userId))).all()
    const missing = wanted.filter((id) => !owned.some((file) => file.id === id))
    // Another user's file answers exactly like a missing one: ids leak nothing.
    if (missing.length) throw new NotFoundError('No such file', { details: { fileIds: missing } })
    const unusable = owned.filter((file) => file.kind !== 'image' || file.status !== 'ready').map((file) => file.id)
    if (unusable.length) throw new ValidationError('Every file must be a finished image upload', { details: { fileIds: unusable } })
    const options: ImageJobOptions = body.operation === 'remove-background'
      ? { background: body.background, backgroundFileId: body.backgroundFileId }
      : { normalize: body.normalize ?? true, denoise: body.denoise ?? 3, sharpen: body.sharpen ?? true, formats: body.formats ?? ['original'] }
    const id = newId()
    const row = this.db.insert(imageJobs).values({ id, userId, operation: body.operation, options, fileIds: body.fileIds, status: 'queued', createdAt: new Date() }).returning().get()
    await this.jobs.enqueueOrUndo<ImageJob>(QUEUES.images, body.operation, { imageJobId: id, userId }, { jobId: id }, () => this.db.delete(imageJobs).where(eq(imageJobs.id, id)).run())
    return toImageJobView(row)
  }

  get(userId: string, id: string): ImageJobView {
    return toImageJobView(this.#owned(userId, id))
  }

  async output(userId: string, id: string, index: number): Promise<{ body: Blob | ReadableStream<Uint8Array>; mime: string; name: string; size: number }> {
    const output = this.#owned(userId, id).outputs[index]
    if (!output) throw new NotFoundError('No such output')
    return { body: await this.storage.read(output.key), mime: output.mime, name: output.name, size: output.size }
  }

  async archive(userId: string, id: string): Promise<{ body: Blob | ReadableStream<Uint8Array>; name: string; size: number }> {
    const row = this.#owned(userId, id)
    if (!row.archiveKey) throw new NotFoundError('The results are not ready')
    return { body: await this.storage.read(row.archiveKey), name: `images-${row.id}.zip`, size: await this.storage.size(row.archiveKey) }
  }

  #owned(userId: string, id: string): ImageJobRow {
    const row = this.db.select().from(imageJobs).where(eq(imageJobs.id, id)).get()
    if (!row || row.userId !== userId) throw new NotFoundError('No such image job')
    return row
  }
}
