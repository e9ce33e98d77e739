import { QUEUES, type TranscriptionJob } from '../../contracts/jobs'
import { errorFields, type Logger } from '../../logger'
import type { JobService } from '../jobs/service'
import type { TranscriptionDispatcher, TranscriptService } from './transcripts'

/**
 * Transcriptions go to the `transcription` queue when a worker consumes it; with none (no Redis, or
 * no worker running) they run in this process, so a single-process install still transcribes.
 */
export class QueueOrInlineTranscriptions implements TranscriptionDispatcher {
  #running = new Set<Promise<unknown>>()
  #closing = new AbortController()

  constructor(private jobs: JobService, private transcripts: () => TranscriptService, private log: Logger) {}

  async dispatch(job: TranscriptionJob): Promise<void> {
    if (this.jobs.configured && (await this.jobs.hasWorkers(QUEUES.transcription))) {
      // A fresh id per request: a failed job stays in the queue under its id, and asking again must run again.
      await this.jobs.enqueue<TranscriptionJob>(QUEUES.transcription, 'transcribe', job, { jobId: `${job.messageId}-${Date.now()}` })
      return
    }
    const run = this.transcripts()
      .process(job, this.#closing.signal)
      .catch((error) => {
        this.log.warn('dispatch() [inline transcription failed]', { messageId: job.messageId, ...errorFields(error) })
        this.transcripts().markFailed(job.messageId, error instanceof Error ? error.message : 'Transcription failed')
      })
      .finally(() => this.#running.delete(run))
    this.#running.add(run)
  }

  /** Stops running inline transcriptions (they are marked failed; asking again reruns them) before the database closes. */
  async close(): Promise<void> {
    this.#closing.abort()
    await Promise.allSettled([...this.#running])
  }
}
