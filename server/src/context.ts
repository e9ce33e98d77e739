import Redis from 'ioredis'
import type { Config } from './config'
import { openDatabase, type Db } from './db/client'
import { createLogger, errorFields, type Logger } from './logger'
import { Metrics } from './http/metrics'
import { createMemoryRateLimiter, createRedisRateLimiter, type RateLimiter } from './http/rate-limiter'
import { MailService } from './features/mail/service'
import { AuditService } from './features/audit/service'
import { newId } from './lib/crypto'
import { SessionService } from './features/auth/sessions'
import { AttemptThrottle } from './features/auth/attempts'
import { AuthService } from './features/auth/service'
import { MfaService } from './features/mfa/service'
import { UserService } from './features/users/service'
import { AdminService } from './features/admin/service'
import { OAuthService } from './features/oauth/service'
import { WorkspaceService } from './features/workspaces/service'
import { ConversationAccess } from './features/conversations/access'
import { ConversationService } from './features/conversations/service'
import { MessageService } from './features/messages/service'
import { ThreadService } from './features/threads/service'
import { NotificationService } from './features/notifications/service'
import { SearchService } from './features/search/service'
import { ModerationService } from './features/moderation/service'
import { MarketplaceService } from './features/marketplace/service'
import { listingImageReader } from './features/marketplace/images'
import { StoryService } from './features/stories/service'
import { storyMediaReader } from './features/stories/audience'
import { WebhookService } from './features/webhooks/service'
import { IncomingWebhookService } from './features/webhooks/incoming'
import { WebhookDispatcher } from './features/webhooks/dispatcher'
import { createDeliveryQueue } from './features/webhooks/queue'
import { PushSubscriptionService } from './features/push/service'
import { PushSender } from './features/push/sender'
import { PushDispatcher } from './features/push/dispatcher'
import { createPushQueue } from './features/push/queue'
import { RealtimeHub } from './realtime/hub'
import { createStorage } from './storage/storage'
import { FileService } from './features/files/service'
import { FileDownloads } from './features/files/downloads'
import { MessageAttachments } from './features/files/attachments'
import { MediaProcessor } from './features/files/media'
import { FileMediaQueue } from './features/files/queue'
import { JobService } from './features/jobs/service'
import { jobMailQueue } from './features/jobs/mail-queue'
import { registerJobMetrics } from './features/jobs/metrics'
import { ImageJobService } from './features/images/service'
import { ExportService } from './features/reports/service'
import { createAiServices, type AiServices } from './features/ai/wiring'
import { CallService } from './features/calls/service'
import { MediaClient } from './features/calls/media-client'
import { SignalRelay } from './features/calls/relay'
import { CallRecordings } from './features/calls/recording'

export interface Services extends AiServices {
  sessions: SessionService
  auth: AuthService
  mfa: MfaService
  users: UserService
  admin: AdminService
  oauth: OAuthService
  access: ConversationAccess
  workspaces: WorkspaceService
  conversations: ConversationService
  messages: MessageService
  threads: ThreadService
  notifications: NotificationService
  search: SearchService
  webhooks: WebhookService
  incomingWebhooks: IncomingWebhookService
  stories: StoryService
  moderation: ModerationService
  marketplace: MarketplaceService
  images: ImageJobService
  /** Conversation exports (the `reports` queue). */
  exports: ExportService
  calls: CallService
  /** The /ws `call.signal` relay to the media process. */
  callSignals: SignalRelay
  /** Opt-in call recording: on/off, and the finished file into storage with its message and transcript. */
  callRecordings: CallRecordings
  push: PushSubscriptionService
  files: FileService
  fileDownloads: FileDownloads
}

/** Everything a request handler may reach, built once per process (or per test server). */
export interface AppContext {
  id: string
  config: Config
  db: Db
  log: Logger
  redis: Redis | null
  limiter: RateLimiter
  metrics: Metrics
  mail: MailService
  audit: AuditService
  services: Services
  /** Realtime fan-out (Bun pub/sub, bridged through Redis when configured). */
  hub: RealtimeHub
  /** The producer side of every BullMQ queue (503 JOBS_UNAVAILABLE when Redis is away). */
  jobs: JobService
  /** Work to do on shutdown before Redis and the database close (e.g. the gateway's presence). */
  onClose(closer: () => Promise<unknown> | unknown): void
  close(): Promise<void>
}

export function createRedisClient(url: string, log: Logger, purpose: string): Redis {
  // Fail fast instead of queueing: a request must not hang because Redis is away.
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 1000, connectionName: `parley-${purpose}` })
  let lastError = ''
  redis.on('error', (error) => {
    if (error.message === lastError) return
    lastError = error.message
    log.warn('redis() [connection error]', { purpose, ...errorFields(error) })
  })
  redis.on('ready', () => {
    lastError = ''
  })
  return redis
}

export function createContext(config: Config): AppContext {
  const log = createLogger(config.logLevel, { service: 'api' })
  const db = openDatabase(config.databasePath)
  const redis = config.redisUrl ? createRedisClient(config.redisUrl, log, 'api') : null
  const limiter = redis ? createRedisRateLimiter(redis, log, config.redisPrefix) : createMemoryRateLimiter()
  const jobs = new JobService(config, log)
  const metrics = new Metrics()
  registerJobMetrics(metrics, jobs, log)
  const mail = new MailService(db, log, config.mail.smtpUrl, config.mail.from, jobMailQueue(jobs))
  const audit = new AuditService(db)
  const attempts = new AttemptThrottle(limiter, config)
  // `sessions` is created below; the callback only runs on a request, long after.
  const mfa = new MfaService(db, config, attempts, audit, (userId) => sessions.userChanged(userId))
  const id = newId()
  const hub = new RealtimeHub(id, log, redis, config.redisPrefix)
  const sessions = new SessionService(db, config, audit, hub)
  const access = new ConversationAccess(db)
  const threads = new ThreadService(db, access, hub)
  const push = new PushSubscriptionService(db, config)
  const pushQueue = createPushQueue(jobs, new PushSender(db, config, log), log)
  const notifications = new NotificationService(db, threads, hub, [new PushDispatcher(db, pushQueue, log)])
  const webhooks = new WebhookService(db, config, log)
  const webhookQueue = createDeliveryQueue(jobs, webhooks, log)
  // Outgoing webhooks hear of a workspace's channel messages, members and channels.
  const webhookDispatcher = new WebhookDispatcher(webhookQueue, log)
  const moderation = new ModerationService(db, access, hub, [webhookDispatcher])
  const conversations = new ConversationService(db, access, hub, [notifications], [webhookDispatcher])
  // Send hooks run in this order: moderation refuses first; notifications read the follows that threads just wrote.
  const messages = new MessageService(db, access, hub, [moderation, threads, notifications, webhookDispatcher], new MessageAttachments())
  const storage = createStorage(config.files)
  const mediaQueue = new FileMediaQueue(db, jobs, new MediaProcessor(db, config.files, storage), hub, log)
  const media = new MediaClient({ url: config.calls.mediaUrl, secret: config.calls.mediaSecret, requestTimeoutMs: config.calls.mediaRequestTimeoutMs, redis, redisPrefix: config.redisPrefix, log })
  const calls = new CallService(db, access, messages, notifications, hub, media, config.calls.ringTimeoutSeconds, log)
  media.connect()
  calls.resumeRinging()
  const aiServices = createAiServices({ config, db, log, access, events: hub, jobs })
  const services: Services = {
    ...aiServices,
    sessions,
    mfa,
    auth: new AuthService(db, config, sessions, mfa, limiter, attempts, mail, audit),
    users: new UserService(db, sessions, attempts, audit),
    admin: new AdminService(db, sessions, audit),
    oauth: new OAuthService(db, config, sessions, audit, log),
    access,
    workspaces: new WorkspaceService(db, config, mail, audit, hub, notifications, [webhookDispatcher]),
    conversations,
    messages,
    threads,
    notifications,
    search: new SearchService(db),
    webhooks,
    incomingWebhooks: new IncomingWebhookService(db, config, access, messages),
    moderation,
    marketplace: new MarketplaceService(db, access, messages, moderation),
    stories: new StoryService(db, conversations, messages, hub),
    calls,
    callSignals: new SignalRelay(db, calls, media, hub, log),
    callRecordings: new CallRecordings(db, access, media, messages, hub, storage, aiServices.transcripts, aiServices.transcriptions, log),
    push,
    files: new FileService(db, config.files, storage, mediaQueue, log),
    fileDownloads: new FileDownloads(db, storage, config.files.urlSecret, config.files.urlTtlSeconds, [storyMediaReader(db), listingImageReader(db)]),
    images: new ImageJobService(db, jobs, storage),
    exports: new ExportService(db, access, jobs, new FileDownloads(db, storage, config.files.urlSecret, config.files.urlTtlSeconds)),
  }
  let closed = false
  const closers: Array<() => Promise<unknown> | unknown> = []
  return {
    id,
    config,
    db,
    log,
    redis,
    limiter,
    metrics,
    mail,
    audit,
    services,
    hub,
    jobs,
    onClose(closer) {
      closers.push(closer)
    },
    async close() {
      if (closed) return
      closed = true
      for (const closer of closers) await Promise.resolve().then(closer).catch((error) => log.warn('close() [closer failed]', errorFields(error)))
      calls.close()
      media.close()
      await services.callRecordings.settled()
      await aiServices.close()
      await hub.close()
      await webhookQueue.close()
      await mediaQueue.close()
      await pushQueue.close()
      limiter.close()
      await mail.close()
      await jobs.close()
      if (redis) await redis.quit().catch(() => redis.disconnect()) // @NOTE: quit fails when never connected; disconnect is enough then.
      db.$client.close()
    },
  }
}
