import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { errors, Iso, NullableIso } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import { PublicUser, toPublicUser } from '../users/model'

const bearer = [{ bearer: [] }]
const UserIdParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) })

const AuditEntry = t.Object({
  id: t.String(),
  at: Iso,
  action: t.String(),
  actorUserId: t.Union([t.String(), t.Null()]),
  targetUserId: t.Union([t.String(), t.Null()]),
  ip: t.Union([t.String(), t.Null()]),
  userAgent: t.Union([t.String(), t.Null()]),
  details: t.Union([t.Record(t.String(), t.Unknown()), t.Null()]),
})

const OutboxMail = t.Object({
  id: t.String(),
  to: t.String(),
  subject: t.String(),
  text: t.String(),
  kind: t.String(),
  status: t.String(),
  error: t.Union([t.String(), t.Null()]),
  createdAt: Iso,
  sentAt: NullableIso,
})

const Limit = t.Optional(t.Numeric({ minimum: 1, maximum: 200 }))

export function adminRoutes(ctx: AppContext) {
  const { admin } = ctx.services
  return new Elysia({ prefix: '/admin', tags: ['admin'] })
    .use(authGuard(ctx))
    .get('/users', ({ query }) => {
      const { rows, total } = admin.listUsers({ q: query.q, limit: query.limit ?? 50, offset: query.offset ?? 0 })
      return { users: rows.map(toPublicUser), total }
    }, {
      admin: true,
      query: t.Object({ q: t.Optional(t.String({ maxLength: 100 })), limit: Limit, offset: t.Optional(t.Numeric({ minimum: 0, maximum: 1_000_000 })) }),
      response: { 200: t.Object({ users: t.Array(PublicUser), total: t.Number() }), ...errors(401, 403, 422, 429) },
      detail: { summary: 'List and search users (email, username, display name)', security: bearer },
    })
    .post('/users/:id/disable', ({ auth, params, meta }) => toPublicUser(admin.setDisabled(auth.user.id, params.id, true, meta)), {
      admin: true,
      params: UserIdParams,
      response: { 200: PublicUser, ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Disable a user and revoke all their sessions', security: bearer },
    })
    .post('/users/:id/enable', ({ auth, params, meta }) => toPublicUser(admin.setDisabled(auth.user.id, params.id, false, meta)), {
      admin: true,
      params: UserIdParams,
      response: { 200: PublicUser, ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Enable a disabled user', security: bearer },
    })
    .put('/users/:id/role', ({ auth, params, body, meta }) => toPublicUser(admin.setRole(auth.user.id, params.id, body.role, meta)), {
      admin: true,
      params: UserIdParams,
      body: t.Object({ role: t.Union([t.Literal('admin'), t.Literal('user')]) }, { additionalProperties: false }),
      response: { 200: PublicUser, ...errors(401, 403, 404, 409, 413, 422, 429) },
      detail: { summary: 'Change a user\'s platform role', security: bearer },
    })
    .get('/audit', ({ query }) =>
      ctx.audit.list({ limit: query.limit ?? 50, before: query.before ? new Date(query.before) : undefined, action: query.action, userId: query.userId }).map((e) => ({
        ...e,
        at: e.at.toISOString(),
      })), {
      admin: true,
      query: t.Object({ limit: Limit, before: t.Optional(Iso), action: t.Optional(t.String({ maxLength: 64 })), userId: t.Optional(t.String({ maxLength: 64 })) }),
      response: { 200: t.Array(AuditEntry), ...errors(401, 403, 422, 429) },
      detail: { summary: 'Security audit log, newest first', security: bearer },
    })
    .get('/outbox', ({ query }) =>
      ctx.mail.list({ limit: query.limit ?? 50, before: query.before ? new Date(query.before) : undefined }).map((m) => ({
        ...m,
        createdAt: m.createdAt.toISOString(),
        sentAt: m.sentAt?.toISOString() ?? null,
      })), {
      admin: true,
      query: t.Object({ limit: Limit, before: t.Optional(Iso) }),
      response: { 200: t.Array(OutboxMail), ...errors(401, 403, 422, 429) },
      detail: { summary: 'Outgoing mail, newest first (the dev outbox when SMTP is not configured)', security: bearer },
    })
}
