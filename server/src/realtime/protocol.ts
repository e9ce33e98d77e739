import { t, type Static } from 'elysia'
import { Message } from '../features/messages/model'
import { Conversation } from '../features/conversations/model'
import { ClientMsgId } from '../features/messages/model'
import { MAX_ATTACHMENTS, MAX_CONTENT_LENGTH } from '../features/messages/model'
import type { NotificationView } from '../features/notifications/model'
import type { TranscriptView } from '../features/ai/model'
import type { CallView } from '../features/calls/model'
import type { SignalingNotification } from '../contracts/signaling'
import type { FileViewType } from '../features/files/model'

/**
 * The socket protocol at /ws, one discriminated union per direction (`type`). Every command may
 * carry a `ref` that the server echoes on its `ack` or `error`, so clients can match replies.
 * docs/REALTIME.md is the prose version of this file; the client imports these types.
 */

const Id = t.String({ minLength: 1, maxLength: 64 })
const Ref = t.Optional(t.String({ maxLength: 64 }))
const Seq = t.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })

export const ClientCommand = t.Union([
  t.Object({ type: t.Literal('auth'), ref: Ref, token: t.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
  t.Object({ type: t.Literal('ping'), ref: Ref }, { additionalProperties: false }),
  t.Object(
    {
      type: t.Literal('send'),
      ref: Ref,
      conversationId: Id,
      clientMsgId: ClientMsgId,
      content: t.String({ minLength: 1, maxLength: MAX_CONTENT_LENGTH }),
      parentId: t.Optional(Id),
      /** Finished uploads of the sender (POST /files), at most MAX_ATTACHMENTS. */
      attachments: t.Optional(t.Array(Id, { maxItems: MAX_ATTACHMENTS, uniqueItems: true })),
    },
    { additionalProperties: false },
  ),
  t.Object({ type: t.Literal('edit'), ref: Ref, conversationId: Id, messageId: Id, content: t.String({ minLength: 1, maxLength: MAX_CONTENT_LENGTH }) }, { additionalProperties: false }),
  t.Object({ type: t.Literal('delete'), ref: Ref, conversationId: Id, messageId: Id }, { additionalProperties: false }),
  t.Object({ type: t.Literal('react'), ref: Ref, conversationId: Id, messageId: Id, emoji: t.String({ minLength: 1, maxLength: 64 }), on: t.Boolean() }, { additionalProperties: false }),
  t.Object({ type: t.Literal('typing'), ref: Ref, conversationId: Id }, { additionalProperties: false }),
  t.Object({ type: t.Literal('read'), ref: Ref, conversationId: Id, seq: Seq }, { additionalProperties: false }),
  t.Object({ type: t.Literal('presence'), ref: Ref, status: t.Union([t.Literal('online'), t.Literal('away'), t.Literal('dnd')]) }, { additionalProperties: false }),
  t.Object({ type: t.Literal('presence.subscribe'), ref: Ref, userIds: t.Array(Id, { minItems: 1, maxItems: 200 }) }, { additionalProperties: false }),
  t.Object(
    {
      type: t.Literal('resume'),
      ref: Ref,
      /** The last seq this client has seen per conversation; the server replays what came after. */
      conversations: t.Array(
        t.Object(
          {
            id: Id,
            lastSeq: Seq,
            /** The highest message `version` the client holds; with it the server also sends edits, deletions and reactions it missed. */
            lastVersion: t.Optional(Seq),
          },
          { additionalProperties: false },
        ),
        { maxItems: 1000 },
      ),
    },
    { additionalProperties: false },
  ),
  /** A call signaling request (server/src/contracts/signaling.ts), relayed to the media process; answered by `call.signal.response`. */
  t.Object(
    {
      type: t.Literal('call.signal'),
      ref: Ref,
      callId: Id,
      requestId: t.String({ minLength: 1, maxLength: 64 }),
      request: t.Object({ name: t.String({ minLength: 1, maxLength: 64 }), data: t.Optional(t.Unknown()) }, { additionalProperties: false }),
    },
    { additionalProperties: false },
  ),
])
export type ClientCommand = Static<typeof ClientCommand>

export type ServerEvent =
  | { type: 'ready'; userId: string; sessionId: string; conversations: string[] }
  | { type: 'ack'; ref?: string; for: ClientCommand['type']; message?: MessageView; hidden?: string[] }
  | { type: 'error'; ref?: string; code: string; message: string; details?: unknown }
  | { type: 'pong'; ref?: string; time: string }
  | { type: 'message.created'; message: MessageView }
  | { type: 'message.updated'; message: MessageView }
  | { type: 'message.deleted'; message: MessageView }
  | { type: 'reaction.changed'; message: MessageView }
  | { type: 'typing'; conversationId: string; userId: string }
  | { type: 'read.updated'; conversationId: string; lastReadSeq: number; unreadCount: number }
  | { type: 'read.receipt'; conversationId: string; userId: string; lastReadSeq: number }
  | { type: 'presence'; userId: string; status: PresenceStatus; lastSeenAt: string | null }
  | { type: 'replay'; conversationId: string; messages: MessageView[]; toSeq: number }
  | { type: 'changes'; conversationId: string; messages: MessageView[]; toVersion: number }
  | { type: 'resync'; conversationId: string; fromSeq: number; toSeq: number; reason: 'too_many_missed' }
  | { type: 'conversation.joined'; conversationId: string }
  | { type: 'conversation.updated'; conversation: ConversationView }
  | { type: 'conversation.left'; conversationId: string }
  | { type: 'notification.created'; notification: NotificationView }
  | { type: 'notification.read'; ids: string[] }
  | { type: 'notification.deleted'; ids: string[] }
  | { type: 'thread.read'; rootId: string; lastReadSeq: number; unreadReplies: number }
  | { type: 'story.viewed'; storyId: string; viewerId: string; viewedAt: string }
  | { type: 'message.transcribed'; transcript: TranscriptView }
  | { type: 'call.started'; call: CallView }
  | { type: 'call.updated'; call: CallView }
  | { type: 'call.ended'; call: CallView }
  | { type: 'call.ringing'; call: CallView; conversation: { id: string; kind: string; name: string | null }; caller: { id: string; displayName: string } }
  | ({ type: 'call.signal.response'; ref?: string; callId: string; requestId: string } & ({ ok: true; data: unknown } | { ok: false; error: { code: string; message: string; details?: unknown } }))
  | { type: 'call.signal.notification'; callId: string; notification: SignalingNotification }
  | { type: 'job.progress'; queue: string; jobId: string; percent: number; stage: string; state: JobProgressState; item?: { index: number; total: number } }
  | { type: 'file.progress'; fileId: string; percent: number; stage: string }
  | { type: 'file.ready'; file: FileViewType }
  | { type: 'file.failed'; fileId: string }

export type MessageView = Static<typeof Message>
export type ConversationView = Static<typeof Conversation>
export type PresenceStatus = 'online' | 'away' | 'dnd' | 'offline'
export type JobProgressState = 'active' | 'completed' | 'failed'

/** Close codes (4000–4999 are ours). A client refreshes its token on 4001 and reconnects. */
export const CLOSE = {
  TOKEN_EXPIRED: 4001,
  UNAUTHORIZED: 4003,
  SESSION_REVOKED: 4004,
  AUTH_TIMEOUT: 4008,
  TOO_LARGE: 1009,
} as const

/** At most this many missed messages are replayed per conversation; beyond it the client refetches by REST. */
export const REPLAY_LIMIT = 500
export const MAX_FRAME_BYTES = 64 * 1024
export const TYPING_INTERVAL_MS = 3000
