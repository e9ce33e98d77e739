import { randomUUID } from 'node:crypto'
import type { Server, ServerWebSocket } from 'bun'
import { t } from 'elysia'
import { Value } from '@sinclair/typebox/value'
import type { Logger } from '../../server/src/logger'
import { errorFields } from '../../server/src/logger'
import { parseSignalingRequest, type MediaNotificationFrame, type MediaResponseFrame, type SignalingError, type SignalingNotification } from '../../server/src/contracts/signaling'
import { tokenFromRequest, verifyMediaToken } from './auth'
import type { MediaConfig } from './config'
import { MediaError } from './errors'
import { handleRequest } from './handlers'
import type { MediaServer } from './server'

/** How long a closed room's notifications keep going to its API link (a recording finishing after the close). */
const ROOM_LINK_GRACE_MS = 120_000

const MAX_FRAME_BYTES = 256 * 1024
const Id = t.String({ minLength: 1, maxLength: 64 })
const Frame = t.Object({ id: t.Integer({ minimum: 0 }), roomId: Id, peerId: t.Optional(Id), request: t.Unknown() }, { additionalProperties: false })

interface LinkData {
  linkId: string
}

/**
 * The internal channel: a WebSocket only the API opens (HMAC token from MEDIA_SECRET in the upgrade),
 * carrying addressed requests and notifications (server/src/contracts/signaling.ts). Requests of one
 * peer run one after another; different peers run concurrently.
 */
export class SignalingChannel {
  readonly #server: Server<LinkData>
  readonly #media: MediaServer
  readonly #config: MediaConfig & { secret: string }
  readonly #logger: Logger
  readonly #links = new Map<string, ServerWebSocket<LinkData>>()
  /** Which API link last spoke for a peer / a room: notifications go back the same way. */
  readonly #peerLinks = new Map<string, string>()
  readonly #roomLinks = new Map<string, string>()
  readonly #queues = new Map<string, Promise<void>>()
  readonly #linkLossTimers = new Map<string, ReturnType<typeof setTimeout>>()

  private constructor(media: MediaServer, config: MediaConfig & { secret: string }, logger: Logger) {
    this.#media = media
    this.#config = config
    this.#logger = logger
    this.#server = Bun.serve<LinkData>({
      hostname: config.host,
      port: config.port,
      fetch: (request, server) => this.#fetch(request, server),
      websocket: {
        maxPayloadLength: MAX_FRAME_BYTES,
        open: (ws) => void this.#links.set(ws.data.linkId, ws),
        message: (ws, raw) => void this.#onMessage(ws, raw),
        close: (ws) => this.#onLinkClosed(ws.data.linkId),
      },
    })
  }

  static start(media: MediaServer, config: MediaConfig & { secret: string }, logger: Logger): SignalingChannel {
    return new SignalingChannel(media, config, logger)
  }

  get port(): number {
    return this.#server.port!
  }

  /** Sends a notification over the link that speaks for its peer (or room); any link when that one is gone. */
  notify(roomId: string, peerId: string | null, notification: SignalingNotification): void {
    const linkId = (peerId ? this.#peerLinks.get(key(roomId, peerId)) : undefined) ?? this.#roomLinks.get(roomId)
    const ws = (linkId ? this.#links.get(linkId) : undefined) ?? this.#links.values().next().value
    if (!ws) return
    const frame: MediaNotificationFrame = { roomId, peerId, notification }
    ws.send(JSON.stringify(frame))
    // A replaced peer's successor already speaks through the same key.
    if (notification.name === 'peerLeft' && notification.data.reason !== 'replaced') this.#peerLinks.delete(key(roomId, notification.data.peerId))
    if (notification.name === 'roomClosed') {
      for (const peerKey of this.#peerLinks.keys()) if (peerKey.startsWith(`${roomId}\n`)) this.#peerLinks.delete(peerKey)
      // A recording still finishing reports recordingStopped after roomClosed: it must reach the same API link.
      const closedLink = this.#roomLinks.get(roomId)
      const forget = setTimeout(() => {
        if (this.#roomLinks.get(roomId) === closedLink) this.#roomLinks.delete(roomId)
      }, ROOM_LINK_GRACE_MS)
      forget.unref?.()
    }
  }

  stop(): void {
    for (const timer of this.#linkLossTimers.values()) clearTimeout(timer)
    this.#server.stop(true)
  }

  #fetch(request: Request, server: Server<LinkData>): Response | undefined {
    const { pathname } = new URL(request.url)
    if (pathname === '/health') return Response.json({ ok: true })
    if (!verifyMediaToken(this.#config.secret, tokenFromRequest(request))) {
      this.#logger.warn('fetch() [refused: bad token]', { path: pathname })
      return Response.json({ error: { code: 'UNAUTHORIZED', message: 'a valid media token is required' } }, { status: 401 })
    }
    if (pathname === '/status') return Response.json({ ...this.#media.load(), rooms: this.#media.rooms.map((room) => ({ roomId: room.id, workerPid: room.primaryWorkerPid, peers: room.peers.length })) })
    if (pathname !== '/' && pathname !== '/signaling') return Response.json({ error: { code: 'NOT_FOUND', message: 'not found' } }, { status: 404 })
    if (server.upgrade(request, { data: { linkId: randomUUID() } })) return undefined
    return Response.json({ error: { code: 'UPGRADE_REQUIRED', message: 'open a WebSocket here' } }, { status: 426 })
  }

  async #onMessage(ws: ServerWebSocket<LinkData>, raw: string | Buffer): Promise<void> {
    let parsed: unknown
    try {
      parsed = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'))
    } catch {
      return this.#reply(ws, { id: -1, ok: false, error: { code: 'INVALID_REQUEST', message: 'frames are JSON' } })
    }
    if (!Value.Check(Frame, parsed)) {
      const id = typeof (parsed as { id?: unknown })?.id === 'number' ? (parsed as { id: number }).id : -1
      const details = [...Value.Errors(Frame, parsed)].slice(0, 5).map((issue) => ({ field: issue.path.replace(/^\//, '') || null, message: issue.message }))
      return this.#reply(ws, { id, ok: false, error: { code: 'INVALID_REQUEST', message: 'frames are { id, roomId, peerId?, request }', details } })
    }
    const frame = parsed
    const request = parseSignalingRequest(frame.request)
    if (!request.ok) return this.#reply(ws, { id: frame.id, ok: false, error: request.error })
    this.#roomLinks.set(frame.roomId, ws.data.linkId)
    if (frame.peerId) this.#adopt(frame.roomId, frame.peerId, ws.data.linkId)
    const queueKey = key(frame.roomId, frame.peerId ?? '')
    const previous = this.#queues.get(queueKey) ?? Promise.resolve()
    const run = previous.then(async () => {
      let result: Awaited<ReturnType<typeof handleRequest>>
      try {
        result = await handleRequest(this.#media, { roomId: frame.roomId, peerId: frame.peerId, request: request.value })
      } catch (error) {
        return this.#reply(ws, { id: frame.id, ok: false, error: this.#toError(error, request.value.name) })
      }
      this.#reply(ws, { id: frame.id, ok: true, data: result.data })
      await result.after?.().catch((error: unknown) => this.#logger.warn('onMessage() [after reply failed]', { request: request.value.name, ...errorFields(error) }))
    })
    this.#queues.set(queueKey, run)
    await run
    if (this.#queues.get(queueKey) === run) this.#queues.delete(queueKey)
  }

  #toError(error: unknown, name: string): SignalingError {
    if (error instanceof MediaError) return error.toSignalingError()
    this.#logger.error('onMessage() [request failed]', { request: name, ...errorFields(error) })
    return { code: 'INTERNAL', message: 'the media server failed this request' }
  }

  #reply(ws: ServerWebSocket<LinkData>, frame: MediaResponseFrame): void {
    // @NOTE: send on a closed socket returns 0; the API gave up on this request with its link.
    ws.send(JSON.stringify(frame))
  }

  /** A peer now speaks through this link; a pending link-loss cleanup for it is off. */
  #adopt(roomId: string, peerId: string, linkId: string): void {
    const peerKey = key(roomId, peerId)
    this.#peerLinks.set(peerKey, linkId)
    const timer = this.#linkLossTimers.get(peerKey)
    if (timer) clearTimeout(timer)
    this.#linkLossTimers.delete(peerKey)
  }

  /** Peers whose link is gone and that no other link adopts within MEDIA_PEER_TIMEOUT_MS are closed. */
  #onLinkClosed(linkId: string): void {
    this.#links.delete(linkId)
    this.#logger.info('onLinkClosed() [api link closed]', { linkId, links: this.#links.size })
    for (const [peerKey, owner] of this.#peerLinks) {
      if (owner !== linkId) continue
      const [roomId, peerId] = peerKey.split('\n') as [string, string]
      this.#linkLossTimers.set(peerKey, setTimeout(() => {
        this.#linkLossTimers.delete(peerKey)
        if (this.#peerLinks.get(peerKey) !== linkId) return
        this.#peerLinks.delete(peerKey)
        try {
          this.#media.room(roomId).peer(peerId).close('link-lost')
        } catch {
          // @NOTE: the peer or its room is already gone.
        }
      }, this.#config.peerTimeoutMs))
    }
  }
}

function key(roomId: string, peerId: string): string {
  return `${roomId}\n${peerId}`
}
