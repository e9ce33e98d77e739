import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { randomBytes } from 'node:crypto'

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
  rateLimit: { ipPerMinute: number; userPerMinute: number; authPerMinute: number }
  loginThrottle: { maxFailures: number; windowSeconds: number }
  mail: { smtpUrl: string | null; from: string }
  oauth: Partial<Record<OAuthProviderName, OAuthProviderConfig>>
  clientDistDir: string
  /** Outgoing webhooks: private destinations are refused unless allowed (SSRF guard); each POST times out. */
  webhooks: { allowPrivateNetworks: boolean; timeoutMs: number }
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
  }
}
