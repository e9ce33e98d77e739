import { Elysia, t } from 'elysia'
import { Value } from '@sinclair/typebox/value'
import type { AppContext } from '../context'
import { AppError, RateLimitedError, UnauthorizedError } from '../errors'
import { errorFields } from '../logger'
import { accessTokenAuthenticator } from '../features/auth/guard'
import { conversationIdsOf, usersSharingSpace } from '../features/conversations/membership'
import { PresenceTracker, presenceTopic } from './presence'
import { conversationTopic, userTopic, type HubSocket, type RealtimeHub } from './hub'
import { ClientCommand, CLOSE, REPLAY_LIMIT, TYPING_INTERVAL_MS, type ServerEvent } from './protocol'

interface RawSocket {
  send(data: string): unknown
  close(code?: number, reason?: string): void
  subscribe(topic: string): void
  unsubscribe(topic: string): void
}

interface SocketState {
  hub?: HubSocket
  authTimer?: ReturnType<typeof setTimeout>
  /** This socket's sink for call signaling answers and media notifications. */
  signals?: (event: ServerEvent) => void
}

const AUTH_TIMEOUT_MS = 10_000
const COMMANDS = new Map(ClientCommand.anyOf.map((variant) => [variant.properties.type.const as string, variant]))

/**
 * `/ws`: one socket per client. Authenticate with `?token=` or a first `auth` frame; every command
 * is validated against the protocol union and answered with `ack` or `error` (never a silent drop);
 * events reach a socket only through the topics of conversations its user belongs to.
 */
export function realtimeGateway(ctx: AppContext, hub: RealtimeHub) {
  const { services, limiter, log } = ctx
  const authenticate = accessTokenAuthenticator(ctx)
  const states = new WeakMap<RawSocket, SocketState>()
  const connections = ctx.metrics.gauge('ws_connections', 'Open authenticated WebSocket connections', () => [[{}, hub.connections]])
  void connections

  const presence = new PresenceTracker(ctx.db, (topic, event) => hub.toTopic(topic, event), ctx.id, ctx.redis, ctx.config.redisPrefix, log, services.notifications)
  // @NOTE: presence is best effort; failures are logged inside.
  services.notifications.onDndChanged((userId) => void presence.dndChanged(userId).catch(() => {}))
  ctx.onClose(() => presence.close())
  const send = (raw: RawSocket, event: ServerEvent) => void raw.send(JSON.stringify(event))
  const fail = (raw: RawSocket, ref: string | undefined, error: unknown) => {
    if (error instanceof AppError) return send(raw, { type: 'error', ref, code: error.code, message: error.message, details: error.details })
    log.error('gateway() [command failed]', errorFields(error))
    send(raw, { type: 'error', ref, code: 'INTERNAL', message: 'Something went wrong on our side' })
  }

  function signIn(raw: RawSocket, token: string): void {
    const state = states.get(raw)!
    clearTimeout(state.authTimer)
    let identity: { user: { id: string }; sessionId: string }
    try {
      identity = authenticate(token)
    } catch (error) {
      const code = error instanceof AppError ? error.code : 'UNAUTHORIZED'
      const closeCode = code === 'TOKEN_EXPIRED' ? CLOSE.TOKEN_EXPIRED : code === 'SESSION_REVOKED' || code === 'SESSION_EXPIRED' ? CLOSE.SESSION_REVOKED : CLOSE.UNAUTHORIZED
      send(raw, { type: 'error', code, message: error instanceof Error ? error.message : 'Not authenticated' })
      return raw.close(closeCode, code)
    }
    const socket: HubSocket = {
      userId: identity.user.id,
      sessionId: identity.sessionId,
      subscribe: (topic) => raw.subscribe(topic),
      unsubscribe: (topic) => raw.unsubscribe(topic),
      send: (data) => void raw.send(data),
      close: (code, reason) => raw.close(code, reason),
    }
    // Subscribe before anything is read, so an event committed meanwhile is delivered rather than missed.
    raw.subscribe(userTopic(socket.userId))
    const conversations = conversationIdsOf(ctx.db, socket.userId)
    for (const id of conversations) raw.subscribe(conversationTopic(id))
    state.hub = socket
    hub.register(socket)
    // @NOTE: presence is best effort; a failure is logged inside and must not fail the sign-in.
    void presence.connected(socket.userId).catch(() => {})
    send(raw, { type: 'ready', userId: socket.userId, sessionId: socket.sessionId, conversations })
  }

  async function handle(raw: RawSocket, socket: HubSocket, command: ClientCommand): Promise<void> {
    const userId = socket.userId
    switch (command.type) {
      case 'auth':
        return send(raw, { type: 'error', ref: command.ref, code: 'ALREADY_AUTHENTICATED', message: 'This socket is already signed in' })
      case 'ping':
        return send(raw, { type: 'pong', ref: command.ref, time: new Date().toISOString() })
      case 'send': {
        const { message } = services.messages.send(userId, command.conversationId, { content: command.content, clientMsgId: command.clientMsgId, parentId: command.parentId, attachments: command.attachments })
        return send(raw, { type: 'ack', ref: command.ref, for: 'send', message })
      }
      case 'edit':
        return send(raw, { type: 'ack', ref: command.ref, for: 'edit', message: services.messages.edit(userId, command.conversationId, command.messageId, command.content) })
      case 'delete':
        return send(raw, { type: 'ack', ref: command.ref, for: 'delete', message: services.messages.delete(userId, command.conversationId, command.messageId) })
      case 'react':
        return send(raw, { type: 'ack', ref: command.ref, for: 'react', message: services.messages.react(userId, command.conversationId, command.messageId, command.emoji, command.on) })
      case 'typing': {
        services.access.assertParticipant(command.conversationId, userId)
        const rate = await limiter.hit(`typing:${userId}:${command.conversationId}`, 1, TYPING_INTERVAL_MS)
        // Extra typing frames inside the interval are acknowledged and dropped: typing is ephemeral.
        if (rate.allowed) hub.toConversation(command.conversationId, { type: 'typing', conversationId: command.conversationId, userId })
        return send(raw, { type: 'ack', ref: command.ref, for: 'typing' })
      }
      case 'read': {
        services.conversations.markRead(userId, command.conversationId, command.seq)
        return send(raw, { type: 'ack', ref: command.ref, for: 'read' })
      }
      case 'presence':
        await presence.choose(userId, command.status)
        return send(raw, { type: 'ack', ref: command.ref, for: 'presence' })
      case 'presence.subscribe': {
        // Only people you share a conversation or workspace with; others are reported as not visible.
        const allowed = usersSharingSpace(ctx.db, userId, command.userIds)
        for (const id of allowed) {
          raw.subscribe(presenceTopic(id))
          send(raw, await presence.snapshot(id))
        }
        const hidden = command.userIds.filter((id) => !allowed.has(id))
        return send(raw, { type: 'ack', ref: command.ref, for: 'presence.subscribe', ...(hidden.length ? { hidden } : {}) })
      }
      case 'resume': {
        for (const { id, lastSeq, lastVersion } of command.conversations) {
          try {
            if (lastVersion !== undefined) {
              // Everything created or changed since the client's version, in the order it changed.
              const changed = services.messages.changedSince(userId, id, lastVersion, REPLAY_LIMIT)
              if (changed.hasMore) send(raw, { type: 'resync', conversationId: id, fromSeq: lastSeq + 1, toSeq: changed.lastSeq, reason: 'too_many_missed' })
              else send(raw, { type: 'changes', conversationId: id, messages: changed.messages, toVersion: changed.messages.at(-1)?.version ?? lastVersion })
              continue
            }
            const page = services.messages.page(userId, id, { after: lastSeq, limit: REPLAY_LIMIT })
            const toSeq = page.messages.at(-1)?.seq ?? lastSeq
            if (page.hasMoreAfter) send(raw, { type: 'resync', conversationId: id, fromSeq: lastSeq + 1, toSeq: services.access.assertParticipant(id, userId).conversation.lastSeq, reason: 'too_many_missed' })
            else send(raw, { type: 'replay', conversationId: id, messages: page.messages, toSeq })
          } catch (error) {
            // Gone or never visible: tell the client to drop it, the same event a removal sends.
            if (error instanceof AppError && error.code === 'CONVERSATION_NOT_FOUND') send(raw, { type: 'conversation.left', conversationId: id })
            else fail(raw, command.ref, error)
          }
        }
        return send(raw, { type: 'ack', ref: command.ref, for: 'resume' })
      }
      case 'call.signal': {
        const state = states.get(raw)
        // The socket closed while this frame waited for the rate limiter: nobody to answer.
        if (!state) return
        state.signals ??= (event) => send(raw, event)
        return services.callSignals.handle(userId, state.signals, command)
      }
      default:
        return assertUnreachable(command)
    }
  }

  return new Elysia({ name: 'realtime', seed: ctx.id }).ws('/ws', {
    query: t.Object({ token: t.Optional(t.String({ maxLength: 4096 })) }),
    open(ws) {
      const raw = ws.raw as unknown as RawSocket
      states.set(raw, {
        authTimer: setTimeout(() => {
          if (!states.get(raw)?.hub) raw.close(CLOSE.AUTH_TIMEOUT, 'AUTH_TIMEOUT')
        }, AUTH_TIMEOUT_MS),
      })
      const token = (ws.data.query as { token?: string }).token
      if (token) signIn(raw, token)
    },
    async message(ws, incoming) {
      const raw = ws.raw as unknown as RawSocket
      const state = states.get(raw)
      if (!state) return
      let frame: unknown = incoming
      if (typeof incoming === 'string') {
        try {
          frame = JSON.parse(incoming)
        } catch {
          return send(raw, { type: 'error', code: 'MALFORMED_FRAME', message: 'Frames must be JSON objects' })
        }
      }
      const ref = typeof (frame as { ref?: unknown })?.ref === 'string' ? ((frame as { ref: string }).ref.slice(0, 64)) : undefined
      if (!Value.Check(ClientCommand, frame)) {
        // Report against the variant the frame names, so the details point at the wrong field.
        const variant = COMMANDS.get(String((frame as { type?: unknown })?.type)) ?? ClientCommand
        const issues = [...Value.Errors(variant, frame)].slice(0, 5).map((issue) => ({ field: issue.path.replace(/^\//, '').replace(/\//g, '.') || null, message: issue.message }))
        return send(raw, { type: 'error', ref, code: 'INVALID_FRAME', message: 'The frame does not match the protocol', details: issues })
      }
      const command = frame as ClientCommand
      if (!state.hub) {
        if (command.type === 'auth') return signIn(raw, command.token)
        if (command.type === 'ping') return send(raw, { type: 'pong', ref, time: new Date().toISOString() })
        return send(raw, { type: 'error', ref, code: 'UNAUTHENTICATED', message: 'Send an auth frame (or connect with ?token=) first' })
      }
      try {
        const rate = await limiter.hit(`ws:${state.hub.userId}`, ctx.config.rateLimit.userPerMinute, 60_000)
        if (!rate.allowed) throw new RateLimitedError('Too many frames for this account', rate.retryAfterSeconds)
        // Revoked sessions and disabled accounts stop being served on their next frame.
        services.sessions.authenticate(state.hub.sessionId, state.hub.userId)
        await handle(raw, state.hub, command)
      } catch (error) {
        fail(raw, ref, error)
        if (error instanceof UnauthorizedError) raw.close(CLOSE.SESSION_REVOKED, error.code)
      }
    },
    close(ws) {
      const raw = ws.raw as unknown as RawSocket
      const state = states.get(raw)
      if (!state) return
      clearTimeout(state.authTimer)
      if (state.signals) services.callSignals.socketClosed(state.signals)
      if (state.hub) {
        hub.unregister(state.hub)
        // @NOTE: presence is best effort; failures are logged inside.
        void presence.disconnected(state.hub.userId).catch(() => {})
      }
      states.delete(raw)
    },
  })
}

function assertUnreachable(value: never): never {
  throw new Error(`unhandled command ${JSON.stringify(value)}`)
}
