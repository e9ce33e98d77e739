// A dependency-free Redis PING over TCP, so the supervisor can tell "free port" from "Redis" from "something else".
export type RedisProbe = 'pong' | 'auth-required' | 'not-redis' | 'no-answer'

export async function probeRedis(hostname: string, port: number, timeoutMs = 1000): Promise<RedisProbe> {
  const { promise, resolve } = Promise.withResolvers<RedisProbe>()
  let reply = ''
  let opened = false
  // Something that accepts the connection but never answers PING still holds the port.
  const silent = () => resolve(opened ? 'not-redis' : 'no-answer')
  const timer = setTimeout(silent, timeoutMs)
  try {
    const socket = await Bun.connect({
      hostname,
      port,
      socket: {
        open(socket) {
          opened = true
          socket.write('PING\r\n')
        },
        data(socket, data) {
          reply += data.toString()
          if (!reply.includes('\r\n')) return
          if (reply.startsWith('+PONG')) resolve('pong')
          else if (/^-(NOAUTH|WRONGPASS)/.test(reply)) resolve('auth-required')
          else resolve('not-redis')
          socket.end()
        },
        close: silent,
        error() {
          resolve('no-answer')
        },
      },
    })
    const result = await promise
    socket.end()
    return result
  } catch {
    return 'no-answer' // @NOTE: connection refused: nothing listens there.
  } finally {
    clearTimeout(timer)
  }
}
