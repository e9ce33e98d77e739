import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { errors } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import { ClientMsgId, EditBody, Emoji, ForwardBody, Forwarded, Message, MessageEdit, Page, PageQuery, SendBody } from './model'

const bearer = [{ bearer: [] }]
const Id = t.String({ minLength: 1, maxLength: 64 })
const ConversationParams = t.Object({ id: Id })
const MessageParams = t.Object({ id: Id, messageId: Id })
const ReactionParams = t.Object({ id: Id, messageId: Id, emoji: Emoji })

export function messageRoutes(ctx: AppContext) {
  const { messages } = ctx.services
  return new Elysia({ prefix: '/conversations/:id', tags: ['messages'] })
    .use(authGuard(ctx))
    .post('/messages', ({ auth, params, body, headers, set }) => {
      const clientMsgId = body.clientMsgId ?? headers['idempotency-key']
      const { message, replayed } = messages.send(auth.user.id, params.id, { ...body, clientMsgId })
      set.status = replayed ? 200 : 201
      return message
    }, {
      auth: true,
      params: ConversationParams,
      body: SendBody,
      headers: t.Object({ 'idempotency-key': t.Optional(ClientMsgId) }),
      response: { 200: Message, 201: Message, ...errors(400, 401, 403, 404, 409, 413, 422, 429) },
      detail: {
        summary: 'Send a message (or a thread reply with parentId)',
        description: 'Answers 201 with the new message and its seq. Sending again with the same `clientMsgId` (or `Idempotency-Key` header) answers 200 with the original message, never a duplicate.',
        security: bearer,
      },
    })
    .get('/messages', ({ auth, params, query }) => messages.page(auth.user.id, params.id, query), {
      auth: true,
      params: ConversationParams,
      query: PageQuery,
      response: { 200: Page, ...errors(401, 404, 422, 429) },
      detail: {
        summary: 'Message history by seq cursor',
        description: 'Newest page by default; `before`, `after` or `around` a seq; `limit` 1–200 (default 50). Messages come oldest first.',
        security: bearer,
      },
    })
    .get('/messages/:messageId', ({ auth, params }) => messages.get(auth.user.id, params.id, params.messageId), {
      auth: true,
      params: MessageParams,
      response: { 200: Message, ...errors(401, 404, 422, 429) },
      detail: { summary: 'One message', security: bearer },
    })
    .patch('/messages/:messageId', ({ auth, params, body }) => messages.edit(auth.user.id, params.id, params.messageId, body.content), {
      auth: true,
      params: MessageParams,
      body: EditBody,
      response: { 200: Message, ...errors(400, 401, 403, 404, 409, 413, 422, 429) },
      detail: { summary: 'Edit your message (the previous text is kept in its edit history)', security: bearer },
    })
    .delete('/messages/:messageId', ({ auth, params }) => messages.delete(auth.user.id, params.id, params.messageId), {
      auth: true,
      params: MessageParams,
      response: { 200: Message, ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Delete a message (author or moderator); a tombstone keeps its seq', security: bearer },
    })
    .get('/messages/:messageId/edits', ({ auth, params }) =>
      messages.edits(auth.user.id, params.id, params.messageId).map((e) => ({ previousContent: e.previousContent, editedAt: e.editedAt.toISOString() })), {
      auth: true,
      params: MessageParams,
      response: { 200: t.Array(MessageEdit), ...errors(401, 404, 422, 429) },
      detail: { summary: 'Edit history of a message, oldest first', security: bearer },
    })
    .get('/messages/:messageId/thread', ({ auth, params, query }) => messages.thread(auth.user.id, params.id, params.messageId, query), {
      auth: true,
      params: MessageParams,
      query: t.Object({ after: t.Optional(t.Numeric({ minimum: 0 })), limit: t.Optional(t.Numeric({ minimum: 1, maximum: 200 })) }),
      response: { 200: t.Object({ root: Message, replies: t.Array(Message), hasMore: t.Boolean() }), ...errors(400, 401, 404, 422, 429) },
      detail: { summary: 'A thread: its root and replies after a seq', security: bearer },
    })
    .post('/messages/:messageId/forward', ({ auth, params, body, set }) => {
      set.status = 201
      return { messages: messages.forward(auth.user.id, params.id, params.messageId, body.conversationIds) }
    }, {
      auth: true,
      params: MessageParams,
      body: ForwardBody,
      response: { 201: Forwarded, ...errors(400, 401, 403, 404, 409, 413, 422, 429) },
      detail: {
        summary: 'Forward a message to up to 10 conversations',
        description: 'Each copy is a new text message with `forwardedFromId` set to this message, sent like any other (seq, events, notifications). Every target is checked first: one you cannot write to answers 404 (403 when archived) and nothing is written.',
        security: bearer,
      },
    })
    .put('/messages/:messageId/reactions/:emoji', ({ auth, params }) => messages.react(auth.user.id, params.id, params.messageId, params.emoji, true), {
      auth: true,
      params: ReactionParams,
      response: { 200: Message, ...errors(401, 404, 409, 422, 429) },
      detail: { summary: 'Add your reaction (idempotent)', security: bearer },
    })
    .delete('/messages/:messageId/reactions/:emoji', ({ auth, params }) => messages.react(auth.user.id, params.id, params.messageId, params.emoji, false), {
      auth: true,
      params: ReactionParams,
      response: { 200: Message, ...errors(401, 404, 409, 422, 429) },
      detail: { summary: 'Remove your reaction (idempotent)', security: bearer },
    })
    .put('/messages/:messageId/pin', ({ auth, params }) => messages.pin(auth.user.id, params.id, params.messageId, true), {
      auth: true,
      params: MessageParams,
      response: { 200: Message, ...errors(401, 403, 404, 409, 422, 429) },
      detail: { summary: 'Pin a message in its conversation', security: bearer },
    })
    .delete('/messages/:messageId/pin', ({ auth, params }) => messages.pin(auth.user.id, params.id, params.messageId, false), {
      auth: true,
      params: MessageParams,
      response: { 200: Message, ...errors(401, 403, 404, 409, 422, 429) },
      detail: { summary: 'Unpin a message', security: bearer },
    })
    .get('/pins', ({ auth, params }) => messages.pinned(auth.user.id, params.id), {
      auth: true,
      params: ConversationParams,
      response: { 200: t.Array(Message), ...errors(401, 404, 422, 429) },
      detail: { summary: 'Pinned messages, newest pin first', security: bearer },
    })
}
