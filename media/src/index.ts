import { hostname } from 'node:os'
import Redis from 'ioredis'
import { createLogger, errorFields } from '../../server/src/logger'
import { ConfigError, loadConfig, type MediaConfig } from './config'
import { startRegistration } from './registry'
import { MediaServer } from './server'
import { SignalingChannel } from './signaling'

let config: MediaConfig
try {
  config = loadConfig()
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  console.error(`media: ${error.message}`)
  process.exit(1)
}
const log = createLogger(config.logLevel, { process: 'media' })

if (!config.secret) {
  // @NOTE: idle rather than exit, so the supervisor does not restart it in a loop; the API answers MEDIA_UNAVAILABLE.
  log.warn('main() [MEDIA_SECRET unset: calls are off, the media process idles]')
  await new Promise<void>((resolve) => ['SIGINT', 'SIGTERM'].forEach((signal) => process.once(signal, () => resolve())))
  process.exit(0)
}

let channel: SignalingChannel | null = null
const media = await MediaServer.create(config, log, (roomId, peerId, notification) => channel?.notify(roomId, peerId, notification))
channel = SignalingChannel.start(media, { ...config, secret: config.secret }, log)
const url = config.publicUrl ?? `ws://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${channel.port}`
log.info('main() [media ready]', { url, port: channel.port, workers: media.pool.slots.map((slot) => slot.worker?.pid ?? null) })

const redis = config.redisUrl ? new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1 }) : null
redis?.on('error', (error) => log.warn('redis() [connection error]', errorFields(error)))
const stopRegistration = redis
  ? startRegistration(redis, { prefix: config.redisPrefix, id: `${hostname()}:${process.pid}`, url, ttlSeconds: config.registrationTtlSeconds, load: () => media.load() }, log)
  : null

// One failed async path must not end every call on this process: log it and keep serving.
process.on('unhandledRejection', (error) => log.error('main() [unhandled rejection]', errorFields(error)))

let closing = false
async function shutdown(signal: string): Promise<void> {
  if (closing) return
  closing = true
  log.info('shutdown() [closing]', { signal })
  await stopRegistration?.()
  redis?.disconnect()
  await media.close()
  channel?.stop()
  process.exit(0)
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(signal))
