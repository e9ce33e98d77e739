import type { Config } from '../../config'
import type { Db } from '../../db/client'
import type { Logger } from '../../logger'
import type { EventSink } from '../../realtime/hub'
import { AiProvider } from '../../ai/provider'
import { UsageLedger } from '../../ai/usage'
import { createStorage, type Storage } from '../../storage/storage'
import type { ConversationAccess } from '../conversations/access'
import { JobService } from '../jobs/service'
import { StoredAudioSource } from './audio-source'
import { QueueOrInlineTranscriptions } from './dispatcher'
import { AiChatService } from './service'
import { SummaryJobs } from './summaries'
import { TranscriptService } from './transcripts'

export interface AiServices {
  aiProvider: AiProvider
  aiUsage: UsageLedger
  ai: AiChatService
  transcripts: TranscriptService
  transcriptions: QueueOrInlineTranscriptions
  /** Summaries as `ai` jobs (POST /ai/conversations/:id/summaries). */
  summaries: SummaryJobs
}

interface AiDeps {
  config: Config
  db: Db
  log: Logger
  access: ConversationAccess
  events: Pick<EventSink, 'toConversation'>
  /** Shared instances when the caller has them; built here otherwise. */
  jobs?: JobService
  storage?: Storage
}

/** The AI provider layer and the chat AI services, for the API (with a dispatcher) and the worker alike. */
export function createAiServices(deps: AiDeps): AiServices & { close(): Promise<void> } {
  const aiUsage = new UsageLedger(deps.db, deps.config.ai)
  const aiProvider = new AiProvider(deps.config.ai, aiUsage, deps.log.child({ component: 'ai' }))
  const storage = deps.storage ?? createStorage(deps.config.files)
  const transcripts = new TranscriptService(deps.db, deps.access, aiProvider, new StoredAudioSource(deps.db, storage), deps.events, deps.log)
  const ownJobs = deps.jobs ? null : new JobService(deps.config, deps.log)
  const transcriptions = new QueueOrInlineTranscriptions(deps.jobs ?? ownJobs!, () => transcripts, deps.log)
  return {
    aiProvider,
    aiUsage,
    ai: new AiChatService(deps.db, deps.access, aiProvider),
    transcripts,
    transcriptions,
    summaries: new SummaryJobs(deps.db, deps.access, deps.jobs ?? ownJobs!),
    async close() {
      await transcriptions.close()
      await ownJobs?.close()
    },
  }
}
