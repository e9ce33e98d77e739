import { Elysia } from 'elysia'
import type { AppContext } from '../../context'
import { errors, NoContent } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import { PushSubscription, PushSubscriptionList, SubscribeBody, SubscriptionIdParams, VapidPublicKey } from './model'

const bearer = [{ bearer: [] }]

export function pushRoutes(ctx: AppContext) {
  const { push } = ctx.services
  return new Elysia({ prefix: '/push', tags: ['push'] })
    .use(authGuard(ctx))
    .get('/vapid-public-key', () => push.publicKey(), {
      response: { 200: VapidPublicKey, ...errors(429) },
      detail: {
        summary: 'The server\'s VAPID public key',
        description: 'Pass it as `applicationServerKey` to `pushManager.subscribe()`. Public by design; it never changes while the database lives.',
      },
    })
    .get('/subscriptions', ({ auth }) => push.list(auth.user.id), {
      auth: true,
      response: { 200: PushSubscriptionList, ...errors(401, 429) },
      detail: { summary: 'Your browsers subscribed to Web Push, newest first', security: bearer },
    })
    .post('/subscriptions', async ({ auth, body, set }) => {
      const { subscription, created } = await push.subscribe(auth.user.id, auth.sessionId, body)
      set.status = created ? 201 : 200
      return subscription
    }, {
      auth: true,
      body: SubscribeBody,
      response: { 200: PushSubscription, 201: PushSubscription, ...errors(401, 413, 422, 429) },
      detail: {
        summary: 'Subscribe this browser to Web Push (the JSON of its PushSubscription)',
        description: 'New mentions, DMs, thread replies, invites and missed calls are pushed to it, except in do-not-disturb, for muted conversations and below your notification level. It lasts as long as this sign-in: after sign-out or revocation nothing more is pushed to it. The endpoint must be an https URL of a public host. An endpoint already known is updated (200) and moves to you if another account had it; a new one is 201. Beyond 20 subscriptions your oldest is dropped.',
        security: bearer,
      },
    })
    .delete('/subscriptions/:id', ({ auth, params, set }) => {
      push.remove(auth.user.id, params.id)
      set.status = 204
    }, {
      auth: true,
      params: SubscriptionIdParams,
      response: { 204: NoContent, ...errors(401, 404, 422, 429) },
      detail: { summary: 'Unsubscribe a browser (only your own; anyone else\'s is 404)', security: bearer },
    })
}
