import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'
import { QUEUES } from './contracts/jobs'

/** Thrown at boot when a variable is missing or malformed; index.ts prints it as one line. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  constructor(readonly variable: string, reason: string) {
    super(`${variable}: ${reason}`)
  }
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'
export type OAuthProviderName = 'google' | 'github' | 'microsoft'

export interface OAuthProviderConfig {
  clientId: string
  clientSecret: string
  authorizeUrl: string
  tokenUrl: string
  userInfoUrl: string
  /** GitHub only: where verified addresses are listed. */
  emailsUrl?: string
  scopes: string[]
}

export interface Config {
  env: 'development' | 'production' | 'test'
  host: string
  port: number
  publicUrl: string
  dataDir: string
  databasePath: string
  redisUrl: string | null
  /** Namespaces every Redis key, so several deployments (or test servers) can share one Redis. */
  redisPrefix: string
  jwtSecret: string
  logLevel: LogLevel
  corsOrigins: string[]
  trustProxy: boolean
  bodyLimitBytes: number
  accessTokenTtlSeconds: number
  refreshTokenTtlDays: number
  /** How long a process may reuse a live session without re-reading it (SESSION_CACHE_MS; 0 = off); revocations reach every instance sooner through Redis. */
  sessionCacheMs: number
  rateLimit: { ipPerMinute: number; userPerMinute: number; authPerMinute: number }
  loginThrottle: { maxFailures: number; windowSeconds: number }
  mail: { smtpUrl: string | null; from: string }
  oauth: Partial<Record<OAuthProviderName, OAuthProviderConfig>>
  clientDistDir: string
  /** Outgoing webhooks: private destinations are refused unless allowed (SSRF guard); each POST times out. */
  webhooks: { allowPrivateNetworks: boolean; timeoutMs: number }
  /** Web Push (docs/PUSH.md): VAPID contact, message lifetime and POST timeout; loopback endpoints only when allowed (tests, development). */
  push: { subject: string; ttlSeconds: number; timeoutMs: number; allowLocalEndpoints: boolean }
  /** Uploads, storage and signed downloads (docs/FILES.md). */
  files: FilesConfig
  /** Reports (conversation exports): how long a finished export and its file are kept (REPORT_TTL_HOURS). */
  reports: { ttlSeconds: number }
  /** Worker fleet: per-queue concurrency overrides and rate limits (WORKER_CONCURRENCY_<QUEUE>, WORKER_RATE_LIMIT_<QUEUE>). */
  workers: { shutdownTimeoutMs: number; queues: Record<string, QueueWorkerConfig>; only: string[] | null; lockDurationMs: number | null; stalledIntervalMs: number }
  /** AI provider layer (server/src/ai): an OpenAI-compatible endpoint, or offline engines when none is set. */
  ai: AiConfig
  /** Calls: the media process link (MEDIA_URL unset: calls answer 503 MEDIA_UNAVAILABLE) and ringing. */
  calls: CallsConfig
}

export interface CallsConfig {
  /** ws:// or wss:// URL of the media process' internal channel; null = no media process. */
  mediaUrl: string | null
  /** Shared secret the API presents to the media process. */
  mediaSecret: string | null
  mediaRequestTimeoutMs: number
  ringTimeoutSeconds: number
}

export interface AiConfig {
  /** OPENAI_BASE_URL or OPENAI_API_KEY set: LLM features are on. */
  configured: boolean
  baseUrl: string | null
  apiKey: string | null
  models: { chat: string; transcription: string; speech: string; voice: string }
  /** true: speech-to-text and text-to-speech stay on pocketsphinx/Festival even with a provider. */
  offlineSpeech: boolean
  timeoutMs: number
  maxRetries: number
  retryBaseDelayMs: number
  /** Daily token budgets (UTC day); 0 = unlimited. */
  dailyTokensPerUser: number
  dailyTokensPerWorkspace: number
  /** USD per million tokens, for the cost column of the usage ledger. */
  costPerMillion: { input: number; output: number }
}

export interface QueueWorkerConfig {
  concurrency?: number
  rateLimit?: { max: number; durationMs: number }
}

export type FileKind = 'image' | 'video' | 'audio' | 'other'

export interface FilesConfig {
  /** `local`: under `dir`; `s3`: any S3-compatible bucket through Bun's S3 client. */
  storage: { driver: 'local'; dir: string } | { driver: 's3'; bucket: string; endpoint?: string; region?: string; accessKeyId?: string; secretAccessKey?: string }
  /** Resumable uploads are staged here on the API host until completed. */
  stagingDir: string
  maxBytes: Record<FileKind, number>
  simpleUploadMaxBytes: number
  chunkMaxBytes: number
  urlSecret: string
  urlTtlSeconds: number
  uploadTtlSeconds: number
}

type Env = Record<string, string | undefined>

/** Reads raw strings; the only place in the server that touches process.env. */
export function readEnv(): Env {
  return { ...process.env }
}

function str(env: Env, name: string, fallback: string): string {
  const value = env[name]?.trim()
  return value ? value : fallback
}

function int(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name]?.trim()
  if (!raw) return fallback
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`)
  const value = Number(raw)
  if (value < min || value > max) throw new ConfigError(name, `expected a number from ${min} to ${max}, got ${value}`)
  return value
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase()
  if (!raw) return fallback
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true
  if (['0', 'false', 'no', 'off'].includes(raw)) return false
  throw new ConfigError(name, `expected true or false, got "${raw}"`)
}

function url(env: Env, name: string, fallback: string | null, protocols: string[]): string | null {
  const raw = env[name]?.trim()
  if (!raw) return fallback
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new ConfigError(name, `expected a URL, got "${raw}"`)
  }
  if (!protocols.includes(parsed.protocol)) throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got "${raw}"`)
  return raw.replace(/\/$/, '')
}

const PROVIDER_DEFAULTS: Record<OAuthProviderName, Omit<OAuthProviderConfig, 'clientId' | 'clientSecret'>> = {
  google: {
    authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
    tokenUrl: 'https://oauth2.googleapis.com/token',
    userInfoUrl: 'https://openidconnect.googleapis.com/v1/userinfo',
    scopes: ['openid', 'email', 'profile'],
  },
  github: {
    authorizeUrl: 'https://github.com/login/oauth/authorize',
    tokenUrl: 'https://github.com/login/oauth/access_token',
    userInfoUrl: 'https://api.github.com/user',
    emailsUrl: 'https://api.github.com/user/emails',
    scopes: ['read:user', 'user:email'],
  },
  microsoft: {
    authorizeUrl: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize',
    tokenUrl: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token',
    userInfoUrl: 'https://graph.microsoft.com/oidc/userinfo',
    scopes: ['openid', 'email', 'profile'],
  },
}

function oauthProvider(env: Env, name: OAuthProviderName): OAuthProviderConfig | undefined {
  const prefix = `OAUTH_${name.toUpperCase()}_`
  const clientId = env[`${prefix}CLIENT_ID`]?.trim()
  const clientSecret = env[`${prefix}CLIENT_SECRET`]?.trim()
  if (!clientId && !clientSecret) return undefined
  if (!clientId) throw new ConfigError(`${prefix}CLIENT_ID`, `required when ${prefix}CLIENT_SECRET is set`)
  if (!clientSecret) throw new ConfigError(`${prefix}CLIENT_SECRET`, `required when ${prefix}CLIENT_ID is set`)
  const defaults = PROVIDER_DEFAULTS[name]
  const tenant = str(env, 'OAUTH_MICROSOFT_TENANT', 'common')
  const endpoint = (key: string, fallback: string) => url(env, `${prefix}${key}`, fallback.replace('{tenant}', tenant), ['http:', 'https:'])!
  return {
    clientId,
    clientSecret,
    authorizeUrl: endpoint('AUTHORIZE_URL', defaults.authorizeUrl),
    tokenUrl: endpoint('TOKEN_URL', defaults.tokenUrl),
    userInfoUrl: endpoint('USERINFO_URL', defaults.userInfoUrl),
    emailsUrl: defaults.emailsUrl ? endpoint('EMAILS_URL', defaults.emailsUrl) : undefined,
    scopes: defaults.scopes,
  }
}

/** `100/s`, `30/m` or `1000/h`: at most that many jobs started per period, across all workers of the queue. */
function rateLimit(env: Env, name: string): QueueWorkerConfig['rateLimit'] {
  const raw = env[name]?.trim()
  if (!raw) return undefined
  const match = /^(\d+)\/(s|m|h)$/.exec(raw)
  if (!match || Number(match[1]) < 1) throw new ConfigError(name, `expected <jobs>/<s|m|h> such as 100/s, got "${raw}"`)
  return { max: Number(match[1]), durationMs: { s: 1000, m: 60_000, h: 3600_000 }[match[2] as 's' | 'm' | 'h'] }
}

function queueWorkers(env: Env): Config['workers']['queues'] {
  const queues: Config['workers']['queues'] = {}
  for (const queue of Object.values(QUEUES)) {
    const key = queue.toUpperCase().replace(/[^A-Z0-9]/g, '_')
    const concurrency = env[`WORKER_CONCURRENCY_${key}`]?.trim() ? int(env, `WORKER_CONCURRENCY_${key}`, 1, 1, 1000) : undefined
    queues[queue] = { concurrency, rateLimit: rateLimit(env, `WORKER_RATE_LIMIT_${key}`) }
  }
  return queues
}

function decimal(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim()
  if (!raw) return fallback
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new ConfigError(name, `expected a non-negative number, got "${raw}"`)
  return Number(raw)
}

function aiConfig(env: Env): AiConfig {
  const baseUrl = url(env, 'OPENAI_BASE_URL', null, ['http:', 'https:'])
  const apiKey = env.OPENAI_API_KEY?.trim() || null
  return {
    configured: Boolean(baseUrl || apiKey),
    baseUrl,
    apiKey,
    models: {
      chat: str(env, 'OPENAI_CHAT_MODEL', 'gpt-4o-mini'),
      transcription: str(env, 'OPENAI_TRANSCRIPTION_MODEL', 'whisper-1'),
      speech: str(env, 'OPENAI_SPEECH_MODEL', 'tts-1'),
      voice: str(env, 'OPENAI_SPEECH_VOICE', 'alloy'),
    },
    offlineSpeech: bool(env, 'AI_OFFLINE_SPEECH', false),
    timeoutMs: int(env, 'AI_TIMEOUT_MS', 60_000, 100, 600_000),
    maxRetries: int(env, 'AI_MAX_RETRIES', 2, 0, 10),
    retryBaseDelayMs: int(env, 'AI_RETRY_BASE_DELAY_MS', 500, 0, 60_000),
    dailyTokensPerUser: int(env, 'AI_DAILY_TOKENS_PER_USER', 200_000),
    dailyTokensPerWorkspace: int(env, 'AI_DAILY_TOKENS_PER_WORKSPACE', 2_000_000),
    costPerMillion: { input: decimal(env, 'AI_COST_INPUT_PER_MILLION', 0), output: decimal(env, 'AI_COST_OUTPUT_PER_MILLION', 0) },
  }
}

/** WORKER_QUEUES=images,media: this worker process consumes only those queues (default: all). */
function workerQueues(env: Env): string[] | null {
  const names = str(env, 'WORKER_QUEUES', '').split(',').map((q) => q.trim()).filter(Boolean)
  const known: string[] = Object.values(QUEUES)
  const unknown = names.find((name) => !known.includes(name))
  if (unknown) throw new ConfigError('WORKER_QUEUES', `unknown queue "${unknown}" (known: ${known.join(', ')})`)
  return names.length ? names : null
}

/** The VAPID contact push services may write to: PUSH_VAPID_SUBJECT, else the address of MAIL_FROM. */
function pushSubject(env: Env, mailFrom: string): string {
  const raw = env.PUSH_VAPID_SUBJECT?.trim()
  if (!raw) return `mailto:${/<([^>]+)>/.exec(mailFrom)?.[1] ?? mailFrom}`
  if (!/^(mailto:\S+@\S+|https:\/\/\S+)$/.test(raw)) throw new ConfigError('PUSH_VAPID_SUBJECT', `expected a mailto: address or an https: URL, got "${raw}"`)
  return raw
}

/** A secret generated at first start and kept under DATA_DIR, so sessions survive restarts without setup. */
function persistentSecret(dataDir: string, name: string): string {
  const file = join(dataDir, 'secrets.json')
  const secrets: Record<string, string> = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}
  if (!secrets[name]) {
    secrets[name] = randomBytes(48).toString('base64url')
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 })
  }
  return secrets[name]!
}

function filesConfig(env: Env, dataDir: string): FilesConfig {
  const driver = str(env, 'STORAGE_DRIVER', 'local')
  if (driver !== 'local' && driver !== 's3') throw new ConfigError('STORAGE_DRIVER', `expected local or s3, got "${driver}"`)
  const mb = 1024 * 1024
  const bucket = env.S3_BUCKET?.trim()
  if (driver === 's3' && !bucket) throw new ConfigError('S3_BUCKET', 'required when STORAGE_DRIVER=s3')
  const storage: FilesConfig['storage'] = driver === 'local'
    ? { driver, dir: resolve(str(env, 'STORAGE_DIR', join(dataDir, 'files'))) }
    : {
        driver,
        bucket: bucket!,
        endpoint: url(env, 'S3_ENDPOINT', null, ['http:', 'https:']) ?? undefined,
        region: env.S3_REGION?.trim() || undefined,
        accessKeyId: env.S3_ACCESS_KEY_ID?.trim() || undefined,
        secretAccessKey: env.S3_SECRET_ACCESS_KEY?.trim() || undefined,
      }
  const urlSecret = env.FILE_URL_SECRET?.trim() || persistentSecret(dataDir, 'files')
  if (urlSecret.length < 32) throw new ConfigError('FILE_URL_SECRET', 'must be at least 32 characters')
  return {
    storage,
    stagingDir: join(dataDir, 'uploads'),
    maxBytes: {
      image: int(env, 'FILE_MAX_IMAGE_BYTES', 25 * mb, 1),
      video: int(env, 'FILE_MAX_VIDEO_BYTES', 2048 * mb, 1),
      audio: int(env, 'FILE_MAX_AUDIO_BYTES', 500 * mb, 1),
      other: int(env, 'FILE_MAX_OTHER_BYTES', 100 * mb, 1),
    },
    simpleUploadMaxBytes: int(env, 'UPLOAD_SIMPLE_MAX_BYTES', 32 * mb, 1, 1024 * mb),
    chunkMaxBytes: int(env, 'UPLOAD_CHUNK_MAX_BYTES', 16 * mb, 1024, 1024 * mb),
    urlSecret,
    urlTtlSeconds: int(env, 'FILE_URL_TTL_SECONDS', 300, 1, 86_400),
    uploadTtlSeconds: int(env, 'UPLOAD_TTL_HOURS', 24, 1, 24 * 30) * 3600,
  }
}

/** Applies defaults and validation; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = readEnv()): Config {
  const envName = str(env, 'NODE_ENV', 'development')
  if (!['development', 'production', 'test'].includes(envName)) throw new ConfigError('NODE_ENV', `expected development, production or test, got "${envName}"`)
  const logLevel = str(env, 'LOG_LEVEL', envName === 'test' ? 'silent' : 'info') as LogLevel
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) throw new ConfigError('LOG_LEVEL', `expected debug, info, warn, error or silent, got "${logLevel}"`)
  const port = int(env, 'PORT', 3000, 0, 65535)
  const host = str(env, 'HOST', '0.0.0.0')
  const dataDir = resolve(str(env, 'DATA_DIR', './data'))
  mkdirSync(dataDir, { recursive: true })
  const jwtSecret = env.JWT_SECRET?.trim() || persistentSecret(dataDir, 'jwt')
  if (jwtSecret.length < 32) throw new ConfigError('JWT_SECRET', 'must be at least 32 characters')
  const oauth: Config['oauth'] = {}
  for (const name of ['google', 'github', 'microsoft'] as const) {
    const provider = oauthProvider(env, name)
    if (provider) oauth[name] = provider
  }
  return {
    env: envName as Config['env'],
    host,
    port,
    publicUrl: url(env, 'PUBLIC_URL', `http://localhost:${port}`, ['http:', 'https:'])!,
    dataDir,
    databasePath: resolve(str(env, 'DATABASE_PATH', join(dataDir, 'parley.db'))),
    redisUrl: url(env, 'REDIS_URL', null, ['redis:', 'rediss:']),
    redisPrefix: str(env, 'REDIS_PREFIX', 'parley:'),
    jwtSecret,
    logLevel,
    corsOrigins: str(env, 'CORS_ORIGINS', '').split(',').map((o) => o.trim()).filter(Boolean),
    trustProxy: bool(env, 'TRUST_PROXY', false),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024),
    accessTokenTtlSeconds: int(env, 'ACCESS_TOKEN_TTL_SECONDS', 900, 10, 86_400),
    refreshTokenTtlDays: int(env, 'REFRESH_TOKEN_TTL_DAYS', 30, 1, 365),
    sessionCacheMs: int(env, 'SESSION_CACHE_MS', 5000, 0, 60_000),
    rateLimit: {
      ipPerMinute: int(env, 'RATE_LIMIT_IP_PER_MINUTE', 1200, 1),
      userPerMinute: int(env, 'RATE_LIMIT_USER_PER_MINUTE', 600, 1),
      authPerMinute: int(env, 'RATE_LIMIT_AUTH_PER_MINUTE', 60, 1),
    },
    loginThrottle: {
      maxFailures: int(env, 'LOGIN_MAX_FAILURES', 5, 1),
      windowSeconds: int(env, 'LOGIN_FAILURE_WINDOW_SECONDS', 900, 1),
    },
    mail: {
      smtpUrl: url(env, 'SMTP_URL', null, ['smtp:', 'smtps:']),
      from: str(env, 'MAIL_FROM', 'Parley <no-reply@parley.local>'),
    },
    oauth,
    clientDistDir: resolve(str(env, 'CLIENT_DIST_DIR', './client/dist')),
    webhooks: {
      allowPrivateNetworks: bool(env, 'WEBHOOK_ALLOW_PRIVATE_NETWORKS', false),
      timeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
    },
    push: {
      subject: pushSubject(env, str(env, 'MAIL_FROM', 'Parley <no-reply@parley.local>')),
      ttlSeconds: int(env, 'PUSH_TTL_SECONDS', 86_400, 0, 2_419_200),
      timeoutMs: int(env, 'PUSH_TIMEOUT_MS', 10_000, 100, 120_000),
      allowLocalEndpoints: bool(env, 'PUSH_ALLOW_LOCAL_ENDPOINTS', false),
    },
    files: filesConfig(env, dataDir),
    reports: { ttlSeconds: int(env, 'REPORT_TTL_HOURS', 72, 1, 24 * 365) * 3600 },
    workers: {
      shutdownTimeoutMs: int(env, 'WORKER_SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
      queues: queueWorkers(env),
      only: workerQueues(env),
      lockDurationMs: env.WORKER_LOCK_DURATION_MS?.trim() ? int(env, 'WORKER_LOCK_DURATION_MS', 30_000, 1000, 3600_000) : null,
      stalledIntervalMs: int(env, 'WORKER_STALLED_INTERVAL_MS', 30_000, 1000, 3600_000),
    },
    ai: aiConfig(env),
    calls: callsConfig(env),
  }
}

function callsConfig(env: Env): CallsConfig {
  const mediaUrl = url(env, 'MEDIA_URL', null, ['ws:', 'wss:'])
  const mediaSecret = env.MEDIA_SECRET?.trim() || null
  if (mediaUrl && !mediaSecret) throw new ConfigError('MEDIA_SECRET', 'required when MEDIA_URL is set')
  if (mediaSecret && mediaSecret.length < 16) throw new ConfigError('MEDIA_SECRET', 'must be at least 16 characters')
  return {
    mediaUrl,
    mediaSecret,
    mediaRequestTimeoutMs: int(env, 'MEDIA_REQUEST_TIMEOUT_MS', 10_000, 100, 120_000),
    ringTimeoutSeconds: int(env, 'CALL_RING_TIMEOUT_SECONDS', 30, 1, 600),
  }
}
