import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { NotFoundError } from '../../errors'
import { errors, NoContent } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import { ChangePasswordBody, DeleteAccountBody, PublicUser, SessionInfo, toPublicUser, UpdateProfileBody } from './model'

const bearer = [{ bearer: [] }]

export function userRoutes(ctx: AppContext) {
  const { users, sessions } = ctx.services
  return new Elysia({ prefix: '/users/me', tags: ['users'] })
    .use(authGuard(ctx))
    .get('', ({ auth }) => toPublicUser(auth.user), {
      auth: true,
      response: { 200: PublicUser, ...errors(401, 429) },
      detail: { summary: 'The signed-in user', security: bearer },
    })
    .patch('', ({ auth, body, meta }) => toPublicUser(users.updateProfile(auth.user.id, body, meta)), {
      auth: true,
      body: UpdateProfileBody,
      response: { 200: PublicUser, ...errors(401, 409, 413, 422, 429) },
      detail: { summary: 'Update display name, username or avatar', security: bearer },
    })
    .post('/password', async ({ auth, body, meta }) => {
      const revoked = await users.changePassword(auth.user.id, auth.sessionId, body.currentPassword, body.newPassword, meta)
      return { ok: true as const, otherSessionsRevoked: revoked }
    }, {
      auth: true,
      body: ChangePasswordBody,
      response: { 200: t.Object({ ok: t.Literal(true), otherSessionsRevoked: t.Number() }), ...errors(401, 413, 422, 429) },
      detail: { summary: 'Change password; signs out every other session', security: bearer },
    })
    .delete('', async ({ auth, body, meta, set }) => {
      await users.deleteAccount(auth.user.id, body?.password, meta)
      set.status = 204
    }, {
      auth: true,
      body: t.Optional(DeleteAccountBody),
      response: { 204: NoContent, ...errors(401, 409, 413, 422, 429) },
      detail: { summary: 'Delete the account (confirm with the password when it has one)', description: 'Refused with 409 OWNER_MUST_TRANSFER while the user owns a workspace.', security: bearer },
    })
    .get('/sessions', ({ auth }) =>
      sessions.listActive(auth.user.id).map((s) => ({
        id: s.id,
        current: s.id === auth.sessionId,
        createdAt: s.createdAt.toISOString(),
        lastUsedAt: s.lastUsedAt.toISOString(),
        expiresAt: s.expiresAt.toISOString(),
        ip: s.ip,
        userAgent: s.userAgent,
        method: s.method,
      })), {
      auth: true,
      response: { 200: t.Array(SessionInfo), ...errors(401, 429) },
      detail: { summary: 'Active sessions (signed-in devices)', security: bearer },
    })
    .delete('/sessions/:id', ({ auth, params, meta, set }) => {
      const session = sessions.get(params.id)
      if (!session || session.userId !== auth.user.id || session.revokedAt) throw new NotFoundError('Session not found')
      sessions.revoke(session.id, 'revoked_by_user')
      ctx.audit.record({ action: 'session.revoked', actorUserId: auth.user.id, targetUserId: auth.user.id, meta, details: { sessionId: session.id } })
      set.status = 204
    }, {
      auth: true,
      params: t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) }),
      response: { 204: NoContent, ...errors(401, 404, 422, 429) },
      detail: { summary: 'Revoke one session', security: bearer },
    })
    .post('/sessions/revoke-others', ({ auth, meta }) => {
      const revoked = sessions.revokeAllForUser(auth.user.id, 'revoked_by_user', { except: auth.sessionId })
      ctx.audit.record({ action: 'session.revoked_others', actorUserId: auth.user.id, targetUserId: auth.user.id, meta, details: { count: revoked } })
      return { revoked }
    }, {
      auth: true,
      response: { 200: t.Object({ revoked: t.Number() }), ...errors(401, 429) },
      detail: { summary: 'Revoke every session but this one', security: bearer },
    })
}
