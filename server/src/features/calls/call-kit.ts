import { startServer, type Session, type TestServer } from '../../../test/harness'
import { TestSocket } from '../../../test/socket'
import { waitFor } from '../../../test/wait'
import { startFakeMedia, type FakeMedia } from './fake-media'

/** For tests only: an API server linked to a fake media process, with helpers for the call routes. */
export interface CallKit {
  server: TestServer
  media: FakeMedia
  connect(who: Session): Promise<TestSocket>
  start(who: Session, conversationId: string, body?: Record<string, unknown>): Promise<any>
  act(who: Session, callId: string, action: 'accept' | 'decline' | 'join' | 'leave' | 'end'): Promise<{ status: number; body: any }>
  /** The conversation's messages, oldest first. */
  messages(who: Session, conversationId: string): Promise<any[]>
  stop(): Promise<void>
}

let signals = 0

/** Sends one `call.signal` and resolves with its `call.signal.response`. */
export function signal(socket: TestSocket, callId: string, request: unknown): Promise<any> {
  const requestId = `s${++signals}`
  const reply = socket.next((e) => e.type === 'call.signal.response' && e.requestId === requestId, 15_000)
  socket.send({ type: 'call.signal', ref: requestId, callId, requestId, request })
  return reply
}

export async function startCallKit(env: Record<string, string> = {}): Promise<CallKit> {
  const media = await startFakeMedia()
  const server = await startServer({ MEDIA_URL: media.url, MEDIA_SECRET: media.secret, ...env })
  const sockets: TestSocket[] = []
  await waitFor(() => server.ctx.services.calls.mediaAvailable || undefined, 'the media link')
  return {
    server,
    media,
    async connect(who) {
      const socket = await TestSocket.ready(server.url, who.accessToken)
      sockets.push(socket)
      return socket
    },
    async start(who, conversationId, body = { kind: 'video' }) {
      const response = await server.request('POST', `/conversations/${conversationId}/calls`, { token: who.accessToken, body })
      if (response.status !== 201) throw new Error(`start failed: ${response.status} ${JSON.stringify(response.body)}`)
      return response.body
    },
    act: (who, callId, action) => server.request('POST', `/calls/${callId}/${action}`, { token: who.accessToken }),
    async messages(who, conversationId) {
      const response = await server.request('GET', `/conversations/${conversationId}/messages`, { token: who.accessToken })
      if (response.status !== 200) throw new Error(`messages failed: ${response.status}`)
      return response.body.messages
    },
    async stop() {
      for (const socket of sockets) socket.close()
      await server.stop()
      await media.stop()
    },
  }
}
