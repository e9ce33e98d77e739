import { availableParallelism } from 'node:os'
import { resolve, join } from 'node:path'
import type { LogLevel } from '../../server/src/config'

/** Thrown at boot when a variable is malformed; index.ts prints it as one line. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  constructor(readonly variable: string, reason: string) {
    super(`${variable}: ${reason}`)
  }
}

export interface TurnConfig {
  /** turn:/turns: URLs handed to browsers. */
  urls: string[]
  /** coturn `use-auth-secret` / `static-auth-secret`: credentials are minted per call (TURN REST API). */
  secret: string
  ttlSeconds: number
}

export interface MediaConfig {
  host: string
  port: number
  /** Shared with the API; null = the process idles (calls are off). */
  secret: string | null
  listenIp: string
  announcedIp: string | null
  rtcMinPort: number
  rtcMaxPort: number
  workers: number
  /** A router holds at most this many peers; the next ones go to a router on another worker, joined by pipeToRouter. */
  maxPeersPerRouter: number
  stunUrls: string[]
  turn: TurnConfig | null
  /** A peer with no connected transport after this long, or whose API link is gone this long, is closed. */
  peerTimeoutMs: number
  redisUrl: string | null
  redisPrefix: string
  /** What this process registers as its channel URL (how the API reaches it); null = ws://<host>:<bound port>. */
  publicUrl: string | null
  registrationTtlSeconds: number
  recordingsDir: string
  initialAvailableOutgoingBitrate: number
  logLevel: LogLevel
}

type Env = Record<string, string | undefined>

/** The only reader of process.env in the media process. */
export function readEnv(): Env {
  return { ...process.env }
}

function str(env: Env, name: string, fallback: string): string {
  return env[name]?.trim() || fallback
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim()
  if (!raw) return fallback
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`)
  const value = Number(raw)
  if (value < min || value > max) throw new ConfigError(name, `expected a number from ${min} to ${max}, got ${value}`)
  return value
}

function list(env: Env, name: string): string[] {
  return (env[name] ?? '').split(',').map((item) => item.trim()).filter(Boolean)
}

export function loadConfig(env: Env = readEnv()): MediaConfig {
  const port = int(env, 'MEDIA_PORT', 4000, 0, 65535)
  const host = str(env, 'MEDIA_HOST', '127.0.0.1')
  const secret = env.MEDIA_SECRET?.trim() || null
  if (secret && secret.length < 16) throw new ConfigError('MEDIA_SECRET', 'must be at least 16 characters')
  const rtcMinPort = int(env, 'MEDIA_RTC_MIN_PORT', 40000, 1024, 65535)
  const rtcMaxPort = int(env, 'MEDIA_RTC_MAX_PORT', 49999, 1024, 65535)
  if (rtcMaxPort <= rtcMinPort) throw new ConfigError('MEDIA_RTC_MAX_PORT', `must be above MEDIA_RTC_MIN_PORT (${rtcMinPort})`)
  const turnUrls = list(env, 'TURN_URLS')
  const turnSecret = env.TURN_SECRET?.trim() || ''
  if (turnUrls.length && !turnSecret) throw new ConfigError('TURN_SECRET', 'required when TURN_URLS is set')
  for (const url of turnUrls) if (!/^turns?:/.test(url)) throw new ConfigError('TURN_URLS', `expected turn: or turns: URLs, got "${url}"`)
  for (const url of list(env, 'STUN_URLS')) if (!/^stuns?:/.test(url)) throw new ConfigError('STUN_URLS', `expected stun: URLs, got "${url}"`)
  const logLevel = str(env, 'LOG_LEVEL', 'info')
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) throw new ConfigError('LOG_LEVEL', `expected debug, info, warn, error or silent, got "${logLevel}"`)
  const dataDir = resolve(str(env, 'DATA_DIR', './data'))
  const announcedIp = env.MEDIA_ANNOUNCED_IP?.trim() || null
  return {
    host,
    port,
    secret,
    listenIp: str(env, 'MEDIA_LISTEN_IP', '127.0.0.1'),
    announcedIp,
    rtcMinPort,
    rtcMaxPort,
    workers: int(env, 'MEDIA_WORKERS', availableParallelism(), 1, 256),
    maxPeersPerRouter: int(env, 'MEDIA_MAX_PEERS_PER_ROUTER', 100, 1, 10_000),
    stunUrls: list(env, 'STUN_URLS'),
    turn: turnUrls.length ? { urls: turnUrls, secret: turnSecret, ttlSeconds: int(env, 'TURN_TTL_SECONDS', 3600, 60, 86_400 * 7) } : null,
    peerTimeoutMs: int(env, 'MEDIA_PEER_TIMEOUT_MS', 30_000, 100, 3600_000),
    redisUrl: env.REDIS_URL?.trim() || null,
    redisPrefix: str(env, 'REDIS_PREFIX', 'parley:'),
    publicUrl: env.MEDIA_PUBLIC_URL?.trim().replace(/\/$/, '') || null,
    registrationTtlSeconds: int(env, 'MEDIA_REGISTRATION_TTL_SECONDS', 15, 3, 3600),
    recordingsDir: join(dataDir, 'recordings'),
    initialAvailableOutgoingBitrate: int(env, 'MEDIA_INITIAL_OUTGOING_BITRATE', 1_000_000, 100_000, 100_000_000),
    logLevel: logLevel as LogLevel,
  }
}
