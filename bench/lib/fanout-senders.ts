/**
 * The fan-out benchmark's sender: one socket posting `send` commands and counting acks, spoken as
 * Parley's `/ws` protocol or as Socket.IO (bench/ws-fanout.ts and its baseline server).
 */
import { io as socketIo, type Socket } from 'socket.io-client'

/** One socket that posts `send` commands and counts the server's acks. */
export interface Sender {
  send(frame: { conversationId: string; clientMsgId: string; content: string }): void
  readonly acked: number
  readonly failures: string[]
  close(): void
}

export async function parleySender(url: string, token: string): Promise<Sender> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`)
  const failures: string[] = []
  let acked = 0
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the sender socket got no ready within 10 s')), 10_000)
    ws.onclose = (event) => reject(new Error(`the sender socket closed (${event.code} ${event.reason})`))
    ws.onmessage = (event) => {
      const data = event.data as string
      if (data.includes('"type":"ready"')) {
        clearTimeout(timer)
        resolve()
      } else if (data.startsWith('{"type":"ack"')) acked++
      else if (data.startsWith('{"type":"error"')) failures.push(data.slice(0, 300))
    }
  })
  ws.onclose = (event) => failures.push(`sender socket closed (${event.code} ${event.reason})`)
  return {
    send: (frame) => ws.send(JSON.stringify({ type: 'send', ...frame })),
    get acked() {
      return acked
    },
    failures,
    close: () => ws.close(),
  }
}

export async function socketIoSender(url: string, token: string): Promise<Sender> {
  const socket: Socket = socketIo(url, { transports: ['websocket'], auth: { token }, reconnection: false })
  const failures: string[] = []
  let acked = 0
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the Socket.IO sender did not connect within 10 s')), 10_000)
    socket.once('connect', () => (clearTimeout(timer), resolve()))
    socket.once('connect_error', (error) => (clearTimeout(timer), reject(error)))
  })
  socket.on('disconnect', (reason) => failures.push(`sender socket disconnected (${reason})`))
  return {
    send: (frame) =>
      socket.emit('send', frame, (reply: { error?: string }) => {
        if (reply?.error) failures.push(reply.error)
        else acked++
      }),
    get acked() {
      return acked
    },
    failures,
    close: () => socket.close(),
  }
}
