import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { errors, NoContent } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import { Message } from '../messages/model'
import { Ban, BanBody, ConversationParams, DeleteMessageBody, LogPage, LogQuery, MessageParams, Mute, MuteBody, SlowMode, SlowModeBody, TargetParams } from './model'

const bearer = [{ bearer: [] }]

export function moderationRoutes(ctx: AppContext) {
  const { moderation, messages } = ctx.services
  return new Elysia({ prefix: '/conversations/:id/moderation', tags: ['moderation'] })
    .use(authGuard(ctx))
    .post('/mutes', ({ auth, params, body, set }) => {
      set.status = 201
      return moderation.mute(auth.user, params.id, body)
    }, {
      auth: true,
      params: ConversationParams,
      body: MuteBody,
      response: { 201: Mute, ...errors(401, 403, 404, 413, 422, 429) },
      detail: {
        summary: 'Mute a participant for 1–43200 minutes (moderators)',
        description: 'Until then their sends answer 403 `MUTED_IN_CONVERSATION` with `details.until`. Muting again replaces the mute. Moderators, the owner and yourself cannot be muted (403).',
        security: bearer,
      },
    })
    .delete('/mutes/:userId', ({ auth, params, set }) => {
      moderation.unmute(auth.user, params.id, params.userId)
      set.status = 204
    }, {
      auth: true,
      params: TargetParams,
      response: { 204: NoContent, ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Lift a mute (moderators); 404 `MUTE_NOT_FOUND` when none is running', security: bearer },
    })
    .get('/bans', ({ auth, params }) => moderation.bans(auth.user, params.id), {
      auth: true,
      params: ConversationParams,
      response: { 200: t.Array(Ban), ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Bans still running, newest first (moderators)', security: bearer },
    })
    .post('/bans', ({ auth, params, body, set }) => {
      set.status = 201
      return moderation.ban(auth.user, params.id, body)
    }, {
      auth: true,
      params: ConversationParams,
      body: BanBody,
      response: { 201: Ban, ...errors(401, 403, 404, 413, 422, 429) },
      detail: {
        summary: 'Ban a user, for some minutes or for good (moderators)',
        description: 'Removes them from the conversation (their sockets get `conversation.left`); joining answers 403 `BANNED_FROM_CONVERSATION` while the ban runs. Moderators, the owner and yourself cannot be banned (403).',
        security: bearer,
      },
    })
    .delete('/bans/:userId', ({ auth, params, set }) => {
      moderation.unban(auth.user, params.id, params.userId)
      set.status = 204
    }, {
      auth: true,
      params: TargetParams,
      response: { 204: NoContent, ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Lift a ban (moderators); 404 `BAN_NOT_FOUND` when none is running', security: bearer },
    })
    .put('/slow-mode', ({ auth, params, body }) => moderation.setSlowMode(auth.user, params.id, body.seconds), {
      auth: true,
      params: ConversationParams,
      body: SlowModeBody,
      response: { 200: SlowMode, ...errors(401, 403, 404, 413, 422, 429) },
      detail: {
        summary: 'Set slow mode: one message per N seconds per user, 0 turns it off (moderators)',
        description: 'A participant who sends sooner gets 429 `SLOW_MODE` with `Retry-After` and `details.retryAfterSeconds`. Moderators are exempt.',
        security: bearer,
      },
    })
    .delete('/messages/:messageId', ({ auth, params, body }) => moderation.deleteMessage(auth.user, params.id, params.messageId, body?.reason ?? '', messages), {
      auth: true,
      params: MessageParams,
      body: DeleteMessageBody,
      response: { 200: Message, ...errors(401, 403, 404, 413, 422, 429) },
      detail: { summary: "Delete someone's message as a moderator, with an optional reason for the log", security: bearer },
    })
    .get('/log', ({ auth, params, query }) => moderation.log(auth.user, params.id, query), {
      auth: true,
      params: ConversationParams,
      query: LogQuery,
      response: { 200: LogPage, ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'The moderation log, newest first; `before` an entry id pages back (moderators and admins)', security: bearer },
    })
}
