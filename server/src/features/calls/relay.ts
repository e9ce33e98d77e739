import { and, eq } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { callParticipants, calls, users } from '../../db/schema'
import { AppError } from '../../errors'
import type { Logger } from '../../logger'
import { errorFields } from '../../logger'
import { CLIENT_REQUEST_NAMES, parseSignalingRequest, type MediaNotificationFrame, type SignalingError } from '../../contracts/signaling'
import type { ServerEvent } from '../../realtime/protocol'
import type { EventSink } from '../../realtime/hub'
import { MediaRequestError, type MediaClient } from './media-client'
import type { CallService } from './service'

/** One user socket as the relay sees it: something to send events to. */
export type SignalSink = (event: ServerEvent) => void

export interface SignalCommand {
  ref?: string
  callId: string
  requestId: string
  request: unknown
}

const CLIENT_REQUESTS = new Set<string>(CLIENT_REQUEST_NAMES)

/**
 * The `call.signal` relay: checks the user has joined the running call, forwards the browser's
 * request to the media process as the user's peer (roomId and peerId come from here, never from the
 * browser), and answers `call.signal.response`. Media notifications for one peer go to the socket
 * that joined as that peer (media sends them over the link that peer speaks through); room-wide ones
 * go to every joined participant's user topic, so they cross API instances.
 */
export class SignalRelay {
  /** roomId → peerId (the user id) → the socket that last sent `join` for it. */
  #peers = new Map<string, Map<string, SignalSink>>()
  /** Rooms this instance created on the current media link (createRoom is idempotent; this saves a round trip). */
  #rooms = new Set<string>()

  constructor(private db: Db, private calls: CallService, private media: MediaClient, private events: EventSink, private log: Logger) {
    media.onNotification((frame) => this.#route(frame))
    media.onLink((up) => {
      if (!up) this.#rooms.clear()
    })
  }

  async handle(userId: string, sink: SignalSink, command: SignalCommand): Promise<void> {
    const answer = (result: { ok: true; data: unknown } | { ok: false; error: SignalingError | AppErrorBody }) =>
      sink({ type: 'call.signal.response', ref: command.ref, callId: command.callId, requestId: command.requestId, ...result } as ServerEvent)
    try {
      const call = this.calls.assertJoined(userId, command.callId)
      const parsed = parseSignalingRequest(command.request)
      if (!parsed.ok) return answer({ ok: false, error: parsed.error })
      const request = parsed.value
      if (!CLIENT_REQUESTS.has(request.name)) return answer({ ok: false, error: { code: 'FORBIDDEN', message: `${request.name} can only be sent by the API` } })
      const roomId = call.mediaRoomId
      // Rooms are made on first use (getRouterRtpCapabilities comes before join); the media process may have restarted since.
      await this.#ensureRoom(roomId)
      if (request.name === 'join') {
        // The display name is the account's, not what the browser claims.
        request.data.displayName = this.#displayName(userId) ?? request.data.displayName
        this.#register(roomId, userId, sink)
      }
      const data = await this.media.request(roomId, userId, request)
      if (request.name === 'leave') this.#unregister(roomId, userId, sink)
      answer({ ok: true, data })
    } catch (error) {
      if (error instanceof MediaRequestError) return answer({ ok: false, error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) } })
      if (error instanceof AppError) return answer({ ok: false, error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) } })
      this.log.error('relay() [signal failed]', { callId: command.callId, ...errorFields(error) })
      answer({ ok: false, error: { code: 'INTERNAL', message: 'Something went wrong on our side' } })
    }
  }

  /** A user socket closed: it no longer receives media notifications (media times the peer out by itself). */
  socketClosed(sink: SignalSink): void {
    for (const [roomId, peers] of this.#peers) {
      for (const [peerId, held] of peers) if (held === sink) peers.delete(peerId)
      if (peers.size === 0) this.#peers.delete(roomId)
    }
  }

  async #ensureRoom(roomId: string): Promise<void> {
    if (this.#rooms.has(roomId)) return
    await this.media.request(roomId, undefined, { name: 'createRoom', data: {} })
    this.#rooms.add(roomId)
  }

  #register(roomId: string, peerId: string, sink: SignalSink): void {
    const peers = this.#peers.get(roomId) ?? new Map<string, SignalSink>()
    peers.set(peerId, sink)
    this.#peers.set(roomId, peers)
  }

  #unregister(roomId: string, peerId: string, sink: SignalSink): void {
    const peers = this.#peers.get(roomId)
    if (peers?.get(peerId) === sink) peers.delete(peerId)
    if (peers?.size === 0) this.#peers.delete(roomId)
  }

  #route(frame: MediaNotificationFrame): void {
    const peers = this.#peers.get(frame.roomId)
    const callId = this.#callIdOf(frame.roomId)
    if (frame.notification.name === 'roomClosed') this.#rooms.delete(frame.roomId)
    if (!callId) return
    // A peer the media process timed out or lost has left the call too.
    if (frame.notification.name === 'peerLeft' && (frame.notification.data.reason === 'timeout' || frame.notification.data.reason === 'link-lost')) this.#leftByMedia(callId, frame.notification.data.peerId)
    const event: ServerEvent = { type: 'call.signal.notification', callId, notification: frame.notification }
    if (frame.peerId) return peers?.get(frame.peerId)?.(event)
    // Media sends room-wide notifications over one link only; user topics carry them to every API instance.
    const joined = this.db.select({ userId: callParticipants.userId }).from(callParticipants).where(and(eq(callParticipants.callId, callId), eq(callParticipants.state, 'joined'))).all()
    for (const { userId } of joined) this.events.toUser(userId, event)
    if (frame.notification.name === 'roomClosed' && !frame.notification.data.rejoin) this.#peers.delete(frame.roomId)
  }

  #leftByMedia(callId: string, userId: string): void {
    const state = this.db.select({ state: callParticipants.state }).from(callParticipants).where(and(eq(callParticipants.callId, callId), eq(callParticipants.userId, userId))).get()?.state
    if (state !== 'joined') return
    try {
      this.calls.leave(userId, callId)
    } catch (error) {
      this.log.warn('relay() [could not mark a lost peer as left]', { callId, userId, ...errorFields(error) })
    }
  }

  #callIdOf(roomId: string): string | null {
    // Rooms are named after their call (CallService.start), so the primary key finds it.
    const call = this.db.select({ id: calls.id, roomId: calls.mediaRoomId }).from(calls).where(eq(calls.id, roomId)).get()
    return call?.roomId === roomId ? call.id : null
  }

  #displayName(userId: string): string | null {
    return this.db.select({ displayName: users.displayName }).from(users).where(eq(users.id, userId)).get()?.displayName ?? null
  }
}

interface AppErrorBody {
  code: string
  message: string
  details?: unknown
}
