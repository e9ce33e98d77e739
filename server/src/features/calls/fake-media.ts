import type { Server, ServerWebSocket } from 'bun'
import { tokenFromRequest, verifyMediaToken } from '../../../../media/src/auth'
import { parseSignalingRequest, type MediaNotificationFrame, type MediaRequestFrame, type MediaResponseFrame, type SignalingRequest } from '../../contracts/signaling'

/** A request the fake received, after validating it with the contract's schemas. */
export interface ReceivedRequest {
  roomId: string
  peerId?: string
  request: SignalingRequest
}

export interface FakeMedia {
  url: string
  secret: string
  received: ReceivedRequest[]
  /** Upgrade attempts refused for a bad token. */
  refused: number
  /** While true, every connection attempt is refused (a media process that is down). */
  down: boolean
  /** Requests with these names are never answered (to test timeouts). */
  silent: Set<string>
  notify(frame: MediaNotificationFrame): void
  /** Closes every channel (the API reconnects). */
  dropConnections(): void
  stop(): Promise<void>
}

/**
 * For tests only: a tiny stand-in for the media process' internal channel. It checks the API's
 * HMAC token and validates every frame with the signaling contract, answers like media would for
 * the lifecycle (rooms, joins) and refuses peer requests before join with PEER_NOT_JOINED.
 */
export async function startFakeMedia(secret = 'fake-media-secret-0123456789'): Promise<FakeMedia> {
  const sockets = new Set<ServerWebSocket<unknown>>()
  const rooms = new Map<string, Set<string>>()
  const fake: FakeMedia = {
    url: '',
    secret,
    received: [],
    refused: 0,
    down: false,
    silent: new Set(),
    notify: (frame) => {
      for (const ws of sockets) ws.send(JSON.stringify(frame))
    },
    dropConnections: () => {
      for (const ws of sockets) ws.close(1001, 'going away')
    },
    stop: async () => {
      for (const ws of sockets) ws.close(1001, 'shutdown')
      await server.stop(true)
    },
  }

  const answer = (frame: MediaRequestFrame): MediaResponseFrame => {
    const { request, roomId, peerId } = frame
    const fail = (code: string, message: string) => ({ id: frame.id, ok: false, error: { code, message } }) as MediaResponseFrame
    if (request.name === 'createRoom') {
      rooms.set(roomId, rooms.get(roomId) ?? new Set())
      return { id: frame.id, ok: true, data: { roomId, rtpCapabilities: { codecs: [] } } }
    }
    if (request.name === 'closeRoom') {
      rooms.delete(roomId)
      return { id: frame.id, ok: true, data: {} }
    }
    const room = rooms.get(roomId)
    if (!room) return fail('ROOM_NOT_FOUND', `room ${roomId} does not exist`)
    if (!peerId) return fail('INVALID_REQUEST', 'peer requests need a peerId')
    if (request.name === 'join') {
      room.add(peerId)
      return { id: frame.id, ok: true, data: { peers: [], activeSpeakerPeerId: null } }
    }
    if (!room.has(peerId)) return fail('PEER_NOT_JOINED', 'join first')
    if (request.name === 'connectTransport') return fail('TRANSPORT_NOT_FOUND', `transport ${request.data.transportId} is not one of this peer's`)
    if (request.name === 'leave') room.delete(peerId)
    return { id: frame.id, ok: true, data: {} }
  }

  const server: Server<unknown> = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(request, srv) {
      if (fake.down) return new Response('down', { status: 503 })
      if (!verifyMediaToken(secret, tokenFromRequest(request))) {
        fake.refused++
        return new Response('unauthorized', { status: 401 })
      }
      return srv.upgrade(request, { data: {} }) ? undefined : new Response('upgrade required', { status: 426 })
    },
    websocket: {
      open: (ws) => void sockets.add(ws),
      close: (ws) => void sockets.delete(ws),
      message(ws, raw) {
        const frame = JSON.parse(String(raw)) as MediaRequestFrame
        const parsed = parseSignalingRequest(frame.request)
        if (!parsed.ok) return void ws.send(JSON.stringify({ id: frame.id, ok: false, error: parsed.error }))
        fake.received.push({ roomId: frame.roomId, peerId: frame.peerId, request: parsed.value })
        if (fake.silent.has(parsed.value.name)) return
        ws.send(JSON.stringify(answer({ ...frame, request: parsed.value })))
      },
    },
  })
  fake.url = `ws://127.0.0.1:${server.port}`
  return fake
}
