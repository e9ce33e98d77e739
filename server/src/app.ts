import { Elysia } from 'elysia'
import { swagger } from '@elysiajs/swagger'
import type { AppContext } from './context'
import { platform } from './http/platform'
import { renderError } from './http/error-handler'
import { normalizeOpenApi } from './http/openapi'
import { healthRoutes } from './features/health/routes'
import { authRoutes } from './features/auth/routes'
import { userRoutes } from './features/users/routes'
import { mfaRoutes } from './features/mfa/routes'
import { adminRoutes } from './features/admin/routes'
import { oauthRoutes } from './features/oauth/routes'
import { workspaceRoutes } from './features/workspaces/routes'
import { conversationRoutes } from './features/conversations/routes'
import { messageRoutes } from './features/messages/routes'
import { threadRoutes } from './features/threads/routes'
import { notificationRoutes } from './features/notifications/routes'
import { searchRoutes } from './features/search/routes'
import { moderationRoutes } from './features/moderation/routes'
import { marketplaceRoutes } from './features/marketplace/routes'
import { storyRoutes } from './features/stories/routes'
import { webhookRoutes } from './features/webhooks/routes'
import { pushRoutes } from './features/push/routes'
import { callRoutes } from './features/calls/routes'
import { aiRoutes } from './features/ai/routes'
import { fileRoutes } from './features/files/routes'
import { imageRoutes } from './features/images/routes'
import { reportRoutes } from './features/reports/routes'
import { queueDashboard } from './features/jobs/dashboard'
import { realtimeGateway } from './realtime/gateway'
import { MAX_FRAME_BYTES } from './realtime/protocol'

export function createApp(ctx: AppContext) {
  return new Elysia({
    normalize: false,
    // Uploads stream past the JSON limit (platform.ts exempts them); their own limits apply as bytes arrive.
    serve: { maxRequestBodySize: Math.max(ctx.config.bodyLimitBytes * 4, 16 * 1024 * 1024, ctx.config.files.simpleUploadMaxBytes, ctx.config.files.chunkMaxBytes) + 1024 },
    // Oversize frames close the socket with 1009; Bun pings idle sockets and drops dead ones.
    websocket: { maxPayloadLength: MAX_FRAME_BYTES, idleTimeout: 60 },
  })
    .onError({ as: 'global' }, ({ code, error, request, set }) => {
      const rendered = renderError(ctx, code, error, request)
      set.status = rendered.status
      Object.assign(set.headers, rendered.headers, { 'content-type': 'application/json; charset=utf-8' })
      return rendered.body
    })
    .use(platform(ctx))
    // Registered before swagger() so it applies to the document route the plugin adds.
    .onAfterHandle({ as: 'global' }, ({ path, responseValue }) => (path === '/swagger/json' ? normalizeOpenApi(responseValue) : undefined))
    .use(
      swagger({
        path: '/swagger',
        provider: 'swagger-ui',
        documentation: {
          info: { title: 'Parley API', version: '0.1.0', description: 'Self-hostable team chat, calls and AI products. Errors always have the shape `{ "error": { "code", "message", "details"? } }`.' },
          tags: [
            { name: 'health', description: 'Liveness, readiness and metrics' },
            { name: 'auth', description: 'Registration, sign-in, tokens, email verification, password reset, OAuth' },
            { name: 'users', description: 'The signed-in user: profile, password, sessions, MFA' },
            { name: 'admin', description: 'Platform administration (admins only)' },
            { name: 'workspaces', description: 'Workspaces, members, roles and invites' },
            { name: 'conversations', description: 'Channels, groups, DMs and lounges; participants and read state' },
            { name: 'messages', description: 'Messages, threads, edits, reactions and pins' },
            { name: 'threads', description: 'Following threads, the threads inbox and thread read state' },
            { name: 'notifications', description: 'Mentions, DMs, thread replies and invites; read state, unread counts, do-not-disturb' },
            { name: 'search', description: 'Full-text search over messages and file names, and people search' },
            { name: 'moderation', description: 'Mutes, bans, slow mode, moderator deletes and the moderation log' },
            { name: 'marketplace', description: 'Listings in lounges, offers and their transaction record, each change posted as a system message' },
            { name: 'stories', description: '24-hour stories: feed, views and replies by DM' },
            { name: 'webhooks', description: 'Outgoing webhooks (signed, retried, logged) and incoming webhooks that post into a channel' },
            { name: 'files', description: 'Uploads (simple and resumable), file metadata, signed download URLs with Range support' },
            { name: 'calls', description: 'Audio and video calls: start, ring, accept/decline, join/leave, end for all, history (signaling goes over /ws)' },
            { name: 'push', description: 'Web Push: the VAPID public key and your browsers\' push subscriptions' },
            { name: 'images', description: 'Background removal and enhancement jobs over your uploaded images: progress, outputs, zip' },
            { name: 'reports', description: 'Conversation exports (Markdown or JSON lines) as jobs: status, progress, signed download links' },
            { name: 'ai', description: 'Chat AI: smart replies, rewrite, translate, summaries (TextRank offline), voice message transcripts, usage' },
          ],
          components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
        },
      }),
    )
    .use(healthRoutes(ctx))
    .use(authRoutes(ctx))
    .use(userRoutes(ctx))
    .use(mfaRoutes(ctx))
    .use(adminRoutes(ctx))
    .use(oauthRoutes(ctx))
    .use(workspaceRoutes(ctx))
    .use(conversationRoutes(ctx))
    .use(messageRoutes(ctx))
    .use(threadRoutes(ctx))
    .use(notificationRoutes(ctx))
    .use(searchRoutes(ctx))
    .use(moderationRoutes(ctx))
    .use(marketplaceRoutes(ctx))
    .use(storyRoutes(ctx))
    .use(webhookRoutes(ctx))
    .use(pushRoutes(ctx))
    .use(callRoutes(ctx))
    .use(aiRoutes(ctx))
    .use(fileRoutes(ctx))
    .use(imageRoutes(ctx))
    .use(reportRoutes(ctx))
    .use(queueDashboard(ctx))
    .use(realtimeGateway(ctx, ctx.hub))
    .onStart(({ server }) => {
      if (server) void ctx.hub.attach(server)
    })
}

export type App = ReturnType<typeof createApp>
