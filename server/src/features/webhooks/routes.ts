import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { errors, NoContent } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import {
  ConversationParams, CreatedIncomingWebhook, CreatedWebhook, CreateIncomingBody, CreateWebhookBody, DeliveriesQuery, Delivery, IncomingParams, IncomingPosted,
  IncomingPostBody, IncomingWebhook, TokenParams, toDelivery, toIncoming, toWebhook, UpdateWebhookBody, Webhook, WebhookParams, WorkspaceParams, WEBHOOK_EVENTS,
} from './model'

const bearer = [{ bearer: [] }]

/** Outgoing webhooks under `/workspaces/:id/webhooks`, incoming ones under `/conversations/:id/incoming-webhooks` and `/hooks/incoming/:token`. */
export function webhookRoutes(ctx: AppContext) {
  return new Elysia().use(outgoingRoutes(ctx)).use(incomingManagementRoutes(ctx)).use(incomingPostRoute(ctx))
}

function outgoingRoutes(ctx: AppContext) {
  const { webhooks } = ctx.services
  return new Elysia({ prefix: '/workspaces/:id/webhooks', tags: ['webhooks'] })
    .use(authGuard(ctx))
    .post('', async ({ auth, params, body, set }) => {
      const hook = await webhooks.create(params.id, auth.user.id, body)
      set.status = 201
      return { ...toWebhook(hook), secret: hook.secret }
    }, {
      auth: true,
      params: WorkspaceParams,
      body: CreateWebhookBody,
      response: { 201: CreatedWebhook, ...errors(401, 403, 404, 413, 422, 429) },
      detail: {
        summary: 'Create an outgoing webhook (workspace owner or admin); the secret is shown once',
        description: `Events: ${WEBHOOK_EVENTS.join(', ')} (messages of channels only, DMs, groups and lounges never leave; member events for the workspace and its channels, with \`scope\`; payloads in docs/WEBHOOKS.md). An unknown event name is 422 VALIDATION_FAILED naming \`events\`. Messages posted by the workspace's incoming webhooks carry \`bot\` and are delivered only with \`includeBotMessages: true\`. Each delivery POSTs \`{ id, event, createdAt, workspaceId, data }\` with headers x-parley-event, x-parley-delivery, x-parley-timestamp and x-parley-signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed by the secret>. Non-2xx answers are retried with exponential backoff (6 attempts); 10 failed deliveries in a row disable the webhook. A URL resolving to a loopback, private or link-local address is 422 WEBHOOK_URL_NOT_ALLOWED.`,
        security: bearer,
      },
    })
    .get('', ({ auth, params }) => webhooks.list(params.id, auth.user.id).map(toWebhook), {
      auth: true,
      params: WorkspaceParams,
      response: { 200: t.Array(Webhook), ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Outgoing webhooks of a workspace, without secrets (owner or admin)', security: bearer },
    })
    .patch('/:hookId', async ({ auth, params, body }) => toWebhook(await webhooks.update(params.id, params.hookId, auth.user.id, body)), {
      auth: true,
      params: WebhookParams,
      body: UpdateWebhookBody,
      response: { 200: Webhook, ...errors(401, 403, 404, 413, 422, 429) },
      detail: { summary: 'Change the URL or events, or disable / re-enable a webhook (owner or admin)', security: bearer },
    })
    .delete('/:hookId', ({ auth, params, set }) => {
      webhooks.delete(params.id, params.hookId, auth.user.id)
      set.status = 204
    }, {
      auth: true,
      params: WebhookParams,
      response: { 204: NoContent, ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Delete a webhook and its delivery log (owner or admin)', security: bearer },
    })
    .get('/:hookId/deliveries', ({ auth, params, query }) => webhooks.deliveries(params.id, params.hookId, auth.user.id, query.limit ?? 50).map(toDelivery), {
      auth: true,
      params: WebhookParams,
      query: DeliveriesQuery,
      response: { 200: t.Array(Delivery), ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'The delivery log, newest first: status, attempts, last response code and error (owner or admin)', security: bearer },
    })
    .post('/:hookId/test', async ({ auth, params }) => toDelivery(await webhooks.ping(params.id, params.hookId, auth.user.id)), {
      auth: true,
      params: WebhookParams,
      response: { 200: Delivery, ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Send a ping event now and return its logged outcome (owner or admin)', description: 'One attempt, no retries; also works on a disabled webhook and does not count towards auto-disable.', security: bearer },
    })
}

function incomingManagementRoutes(ctx: AppContext) {
  const { incomingWebhooks } = ctx.services
  return new Elysia({ prefix: '/conversations/:id/incoming-webhooks', tags: ['webhooks'] })
    .use(authGuard(ctx))
    .post('', ({ auth, params, body, set }) => {
      const { hook, url } = incomingWebhooks.create(params.id, auth.user.id, body.name)
      set.status = 201
      return { ...toIncoming(hook), url }
    }, {
      auth: true,
      params: ConversationParams,
      body: CreateIncomingBody,
      response: { 201: CreatedIncomingWebhook, ...errors(401, 403, 404, 413, 422, 429) },
      detail: { summary: 'Create an incoming webhook for a channel (channel owner or moderator, or workspace admin); the URL is shown once', security: bearer },
    })
    .get('', ({ auth, params }) => incomingWebhooks.list(params.id, auth.user.id).map(toIncoming), {
      auth: true,
      params: ConversationParams,
      response: { 200: t.Array(IncomingWebhook), ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Incoming webhooks of a channel, revoked ones included, without their URLs', security: bearer },
    })
    .delete('/:hookId', ({ auth, params, set }) => {
      incomingWebhooks.revoke(params.id, params.hookId, auth.user.id)
      set.status = 204
    }, {
      auth: true,
      params: IncomingParams,
      response: { 204: NoContent, ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Revoke an incoming webhook; its URL answers 404 from now on', security: bearer },
    })
}

function incomingPostRoute(ctx: AppContext) {
  const { incomingWebhooks } = ctx.services
  return new Elysia({ tags: ['webhooks'] }).post('/hooks/incoming/:token', ({ params, body, set }) => {
    const message = incomingWebhooks.post(params.token, body)
    set.status = 201
    return { id: message.id, conversationId: message.conversationId, seq: message.seq, createdAt: message.createdAt }
  }, {
    params: TokenParams,
    body: IncomingPostBody,
    response: { 201: IncomingPosted, ...errors(403, 404, 413, 422, 429) },
    detail: { summary: 'Post a message into the channel as the webhook\'s bot (no auth: the URL is the secret)', description: 'The message has no sender; its text is "**<name>**: <text>". Rate limited per client address. Unknown or revoked tokens are 404.' },
  })
}
