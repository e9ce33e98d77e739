import { ConfigError, loadConfig } from './config'
import { createContext } from './context'
import { createApp } from './app'
import { serveClient } from './http/static'

let config
try {
  config = loadConfig()
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`parley api: invalid configuration: ${error.message}`)
    process.exit(1)
  }
  throw error
}

const ctx = createContext(config)
const app = serveClient(createApp(ctx), config).listen({ hostname: config.host, port: config.port })
ctx.log.info('listen() [api ready]', { url: config.publicUrl, port: app.server?.port, swagger: `${config.publicUrl}/swagger` })

let stopping = false
async function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  ctx.log.info('shutdown() [closing]', { signal })
  await app.stop()
  await ctx.close()
  process.exit(0)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))
