import type { ConnectionOptions } from 'bullmq'
import type { Config } from '../../server/src/config'
import { openDatabase, type Db } from '../../server/src/db/client'
import { createLogger, type Logger } from '../../server/src/logger'

export interface WorkerContext {
  config: Config
  db: Db
  log: Logger
  connection: ConnectionOptions
}

export function createWorkerContext(config: Config): WorkerContext {
  if (!config.redisUrl) throw new Error('REDIS_URL is required for the worker')
  const url = new URL(config.redisUrl)
  return {
    config,
    db: openDatabase(config.databasePath),
    log: createLogger(config.logLevel, { service: 'worker' }),
    // BullMQ workers block on Redis; they must retry forever rather than fail a command.
    connection: {
      host: url.hostname,
      port: Number(url.port || 6379),
      username: url.username || undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined,
      tls: url.protocol === 'rediss:' ? {} : undefined,
      maxRetriesPerRequest: null,
    },
  }
}
