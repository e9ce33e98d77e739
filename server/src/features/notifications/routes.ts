import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { errors, NoContent } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import { DndBody, DndState, ListQuery, Notification, NotificationPage, ReadAllBody, ReadAllResult, UnreadCount } from './model'

const bearer = [{ bearer: [] }]
const IdParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) })

export function notificationRoutes(ctx: AppContext) {
  const { notifications } = ctx.services
  return new Elysia({ tags: ['notifications'] })
    .use(authGuard(ctx))
    .get('/notifications', ({ auth, query }) => notifications.list(auth.user.id, query), {
      auth: true,
      query: ListQuery,
      response: { 200: NotificationPage, ...errors(401, 422, 429) },
      detail: {
        summary: 'Your notifications, newest first',
        description: 'Mentions, DM messages, replies in threads you follow and workspace invites. `unread=true` for unread only; page with `before` = the id of the last one you hold. Notifications from conversations you have left are not listed.',
        security: bearer,
      },
    })
    .get('/notifications/unread-count', ({ auth }) => notifications.unreadCount(auth.user.id), {
      auth: true,
      response: { 200: UnreadCount, ...errors(401, 429) },
      detail: { summary: 'Unread notifications, in all and per conversation with unread mentions', security: bearer },
    })
    .post('/notifications/read-all', ({ auth, body }) => notifications.markAllRead(auth.user.id, body.conversationId), {
      auth: true,
      body: ReadAllBody,
      response: { 200: ReadAllResult, ...errors(401, 413, 422, 429) },
      detail: { summary: 'Mark every notification read (`{}`), or those of one conversation; your devices get `notification.read`', security: bearer },
    })
    .post('/notifications/:id/read', ({ auth, params }) => notifications.markRead(auth.user.id, params.id), {
      auth: true,
      params: IdParams,
      response: { 200: Notification, ...errors(401, 404, 422, 429) },
      detail: { summary: 'Mark one notification read (idempotent)', security: bearer },
    })
    .delete('/notifications/:id', ({ auth, params, set }) => {
      notifications.delete(auth.user.id, params.id)
      set.status = 204
    }, {
      auth: true,
      params: IdParams,
      response: { 204: NoContent, ...errors(401, 404, 422, 429) },
      detail: { summary: 'Delete a notification', security: bearer },
    })
    .get('/users/me/dnd', ({ auth }) => notifications.dnd(auth.user.id), {
      auth: true,
      response: { 200: DndState, ...errors(401, 429) },
      detail: { summary: 'Your do-not-disturb setting', tags: ['notifications'], security: bearer },
    })
    .put('/users/me/dnd', ({ auth, body }) => notifications.setDnd(auth.user.id, body.until), {
      auth: true,
      body: DndBody,
      response: { 200: DndState, ...errors(401, 413, 422, 429) },
      detail: {
        summary: 'Set or clear do-not-disturb',
        description: 'Until then, notifications are stored but not pushed over the socket; they show on the next `GET /notifications`.',
        security: bearer,
      },
    })
}
