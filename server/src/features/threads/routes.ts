import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { errors } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import { FollowState, Inbox, InboxQuery, ThreadReadBody, ThreadReadState } from './model'

const bearer = [{ bearer: [] }]
const Id = t.String({ minLength: 1, maxLength: 64 })
const MessageParams = t.Object({ id: Id, messageId: Id })

export function threadRoutes(ctx: AppContext) {
  const { threads } = ctx.services
  return new Elysia({ tags: ['threads'] })
    .use(authGuard(ctx))
    .put('/conversations/:id/messages/:messageId/follow', ({ auth, params }) => threads.setFollowing(auth.user.id, params.id, params.messageId, true), {
      auth: true,
      params: MessageParams,
      response: { 200: FollowState, ...errors(400, 401, 404, 422, 429) },
      detail: { summary: 'Follow a thread (idempotent)', description: 'Its replies then notify you and it shows in `GET /threads`. The message must be a thread root.', security: bearer },
    })
    .delete('/conversations/:id/messages/:messageId/follow', ({ auth, params }) => threads.setFollowing(auth.user.id, params.id, params.messageId, false), {
      auth: true,
      params: MessageParams,
      response: { 200: FollowState, ...errors(400, 401, 404, 422, 429) },
      detail: { summary: 'Unfollow a thread (idempotent); replying to it follows it again', security: bearer },
    })
    .get('/threads', ({ auth, query }) => threads.inbox(auth.user.id, query), {
      auth: true,
      query: InboxQuery,
      response: { 200: Inbox, ...errors(401, 422, 429) },
      detail: {
        summary: 'Threads inbox: followed threads, newest reply first',
        description: 'Only threads with replies, in conversations you are still in. `unreadReplies` counts replies by others after your `lastReadSeq`. Page with `before` = the `lastReplyAt` of the last thread you hold.',
        security: bearer,
      },
    })
    .post('/threads/:rootId/read', ({ auth, params, body }) => threads.markRead(auth.user.id, params.rootId, body.seq), {
      auth: true,
      params: t.Object({ rootId: Id }),
      body: ThreadReadBody,
      response: { 200: ThreadReadState, ...errors(400, 401, 404, 413, 422, 429) },
      detail: { summary: 'Mark a thread read up to a reply seq (forward only); your other devices get `thread.read`', security: bearer },
    })
}
