import { t } from 'elysia'
import { Iso, NullableIso, strict } from '../../http/schemas'

export const MAX_CONTENT_LENGTH = 10_000
export const MAX_ATTACHMENTS = 10
export const DEFAULT_PAGE = 50
export const MAX_PAGE = 200

export const ReactionSummary = t.Object({ emoji: t.String(), count: t.Number(), userIds: t.Array(t.String()), me: t.Boolean() }, { title: 'ReactionSummary' })

export const Message = t.Object(
  {
    id: t.String(),
    conversationId: t.String(),
    seq: t.Number({ description: 'Gap-free position in the conversation; tombstones keep theirs' }),
    version: t.Number({ description: "The conversation's version when this message last changed (see resume in docs/REALTIME.md)" }),
    senderId: t.Union([t.String(), t.Null()]),
    type: t.Union([t.Literal('text'), t.Literal('file'), t.Literal('voice'), t.Literal('system')]),
    content: t.String({ description: 'Markdown; empty for a deleted message' }),
    parentId: t.Union([t.String(), t.Null()]),
    replyCount: t.Number(),
    lastReplyAt: NullableIso,
    clientMsgId: t.Union([t.String(), t.Null()]),
    mentions: t.Object({ users: t.Array(t.String()), channel: t.Boolean(), here: t.Boolean() }),
    forwardedFromId: t.Union([t.String(), t.Null()]),
    editedAt: NullableIso,
    deletedAt: NullableIso,
    createdAt: Iso,
    reactions: t.Array(ReactionSummary),
    pinned: t.Boolean(),
    attachments: t.Array(t.String(), { description: 'Ids of attached files (GET /files/:id); members of the conversation may fetch them' }),
    bot: t.Optional(t.Object({ webhookId: t.String(), name: t.String() }, { description: 'Present when an incoming webhook posted the message (it has no sender)' })),
  },
  { title: 'Message' },
)
export type MessageView = typeof Message.static

export const ClientMsgId = t.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$', description: 'Chosen by the client; a retry with the same value returns the original message' })

export const SendBody = t.Object(
  {
    content: t.String({ minLength: 1, maxLength: MAX_CONTENT_LENGTH }),
    clientMsgId: t.Optional(ClientMsgId),
    parentId: t.Optional(t.String({ minLength: 1, maxLength: 64, description: 'Reply in the thread of this message' })),
    attachments: t.Optional(t.Array(t.String({ minLength: 1, maxLength: 64 }), { maxItems: MAX_ATTACHMENTS, description: 'Ids of your finished uploads to attach (at most 10); the message becomes type file (voice for one voice recording)' })),
  },
  strict,
)

export const EditBody = t.Object({ content: t.String({ minLength: 1, maxLength: MAX_CONTENT_LENGTH }) }, strict)

const Seq = t.Numeric({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })
export const PageQuery = t.Object({
  before: t.Optional(Seq),
  after: t.Optional(Seq),
  around: t.Optional(Seq),
  limit: t.Optional(t.Numeric({ minimum: 1, maximum: MAX_PAGE })),
  rootsOnly: t.Optional(t.BooleanString({ description: 'Leave thread replies out of the timeline' })),
})

export const Page = t.Object({ messages: t.Array(Message), hasMoreBefore: t.Boolean(), hasMoreAfter: t.Boolean() }, { title: 'MessagePage' })

export const MessageEdit = t.Object({ previousContent: t.String(), editedAt: Iso })

export const Emoji = t.String({ minLength: 1, maxLength: 64, description: 'A Unicode emoji or a :short_code:' })

export const MAX_FORWARD_TARGETS = 10

export const ForwardBody = t.Object(
  {
    conversationIds: t.Array(t.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: MAX_FORWARD_TARGETS, description: 'Where to forward; you must be able to write to each' }),
  },
  strict,
)

export const Forwarded = t.Object({ messages: t.Array(Message, { description: 'One new message per target conversation, in the order given' }) }, { title: 'ForwardedMessages' })
