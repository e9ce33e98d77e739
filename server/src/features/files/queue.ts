import { eq } from 'drizzle-orm'
import { QUEUES, type MediaJob } from '../../contracts/jobs'
import type { Db } from '../../db/client'
import { files } from '../../db/schema'
import { errorFields, type Logger } from '../../logger'
import type { ServerEvent } from '../../realtime/protocol'
import type { MediaProcessor } from './media'
import { toFileView } from './views'

/** Where a finished upload goes for thumbnails, poster, rendition and waveform. */
export interface MediaQueue {
  enqueue(fileId: string, userId: string): Promise<void>
  close(): Promise<void>
}

/** The producer side of the job fleet (features/jobs JobService satisfies it). */
export interface JobProducer {
  readonly configured: boolean
  enqueue<T extends object>(queue: typeof QUEUES.media, name: string, data: T, options?: { jobId?: string }): Promise<string>
}

export interface UserEvents {
  toUser(userId: string, event: ServerEvent): void
}

/**
 * Runs one media job and tells the owner's sockets: `file.progress` while it runs, `file.ready` with
 * the finished file (or `file.failed`). Shared by the worker's processor and the in-process fallback.
 */
export async function runMediaJob(db: Db, processor: MediaProcessor, events: UserEvents, job: MediaJob, onProgress?: (percent: number, stage: string) => Promise<void>) {
  const result = await processor.process(job.fileId, async (percent, stage) => {
    const rounded = Math.round(percent)
    events.toUser(job.userId, { type: 'file.progress', fileId: job.fileId, percent: rounded, stage })
    await onProgress?.(rounded, stage)
  })
  const row = db.select().from(files).where(eq(files.id, job.fileId)).get()
  if (row) events.toUser(job.userId, { type: 'file.ready', file: toFileView(row) })
  return result
}

export function mediaJobId(fileId: string): string {
  return `media-${fileId}`
}

/**
 * Media jobs go to the `media` queue when Redis is configured and reachable; otherwise they run in
 * this process one at a time, so an upload is never left without its thumbnails.
 */
export class FileMediaQueue implements MediaQueue {
  #local: Promise<unknown> = Promise.resolve()
  #closed = false

  constructor(private db: Db, private jobs: JobProducer | null, private processor: MediaProcessor, private events: UserEvents, private log: Logger) {}

  async enqueue(fileId: string, userId: string): Promise<void> {
    if (this.jobs?.configured) {
      try {
        await this.jobs.enqueue(QUEUES.media, 'process', { fileId, userId } satisfies MediaJob, { jobId: mediaJobId(fileId) })
        return
      } catch (error) {
        this.log.warn('enqueue() [media queue unavailable; processing in process]', { fileId, ...errorFields(error) })
      }
    }
    this.#local = this.#local.then(() => this.#runLocally({ fileId, userId }))
  }

  /** Lets a running local job finish, for at most 10 s; queued ones are dropped (their files stay `pending`). */
  async close(): Promise<void> {
    this.#closed = true
    await Promise.race([this.#local, Bun.sleep(10_000)])
  }

  async #runLocally(job: MediaJob): Promise<void> {
    if (this.#closed) return
    try {
      await runMediaJob(this.db, this.processor, this.events, job)
    } catch (error) {
      this.log.error('runLocally() [media processing failed]', { fileId: job.fileId, ...errorFields(error) })
      this.processor.markFailed(job.fileId)
      this.events.toUser(job.userId, { type: 'file.failed', fileId: job.fileId })
    }
  }
}
