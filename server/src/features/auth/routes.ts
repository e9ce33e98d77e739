import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { BadRequestError, UnauthorizedError } from '../../errors'
import { errors, NoContent } from '../../http/schemas'
import { authGuard } from './guard'
import { Accepted, ForgotBody, LoginBody, MfaChallenge, MfaVerifyBody, Ok, RefreshBody, RegisterBody, ResetBody, TokenBody, Tokens } from './model'

const bearer = [{ bearer: [] }]

export function authRoutes(ctx: AppContext) {
  const { auth, sessions } = ctx.services

  return new Elysia({ prefix: '/auth', tags: ['auth'] })
    .use(authGuard(ctx))
    .post('/register', async ({ body, meta, issueTokens, set }) => {
      const session = await auth.register(body, meta)
      set.status = 201
      return issueTokens(session)
    }, {
      body: RegisterBody,
      response: { 201: Tokens, ...errors(400, 409, 413, 422, 429) },
      detail: { summary: 'Create an account and sign in', description: 'The first account on a server becomes its administrator. A verification mail is sent.' },
    })
    .post('/login', async ({ body, meta, completeSignIn }) => completeSignIn(await auth.login(body.login, body.password, meta)), {
      body: LoginBody,
      response: { 200: t.Union([Tokens, MfaChallenge]), ...errors(400, 401, 403, 413, 422, 429) },
      detail: { summary: 'Sign in with email or username and password', description: 'Answers 200 with tokens, or with `{ mfaRequired: true, challengeToken }` when two-factor authentication is on. After 5 failures per account and address in 15 minutes, answers 429.' },
    })
    .post('/mfa/verify', async ({ body, meta, issueTokens, challengeJwt }) => {
      const claims = (await challengeJwt.verify(body.challengeToken)) as false | { sub?: string; typ?: string }
      if (!claims || claims.typ !== 'mfa_challenge' || !claims.sub) throw new UnauthorizedError('The sign-in challenge is not valid or has expired', { code: 'INVALID_CHALLENGE' })
      if (!body.code && !body.recoveryCode) throw new BadRequestError('Provide a code or a recovery code')
      return issueTokens(await auth.completeMfa(claims.sub, body, meta))
    }, {
      body: MfaVerifyBody,
      response: { 200: Tokens, ...errors(400, 401, 403, 413, 422, 429) },
      detail: { summary: 'Complete a sign-in with a TOTP code or a recovery code' },
    })
    .post('/refresh', ({ body, meta, issueTokens }) => issueTokens(sessions.rotate(body.refreshToken, meta)), {
      body: RefreshBody,
      response: { 200: Tokens, ...errors(401, 413, 422, 429) },
      detail: { summary: 'Exchange a refresh token for a new token pair', description: 'The refresh token rotates on every use. Presenting one that was already used revokes the whole session (reuse detection).' },
    })
    .post('/logout', ({ auth: { user, sessionId }, meta, set }) => {
      auth.logout(user.id, sessionId, meta)
      set.status = 204
    }, {
      auth: true,
      response: { 204: NoContent, ...errors(401, 429) },
      detail: { summary: 'Sign out this session', security: bearer },
    })
    .post('/verify-email', ({ body, meta }) => {
      auth.verifyEmail(body.token, meta)
      return { ok: true as const }
    }, {
      body: TokenBody,
      response: { 200: Ok, ...errors(400, 413, 422, 429) },
      detail: { summary: 'Confirm an email address with the mailed token (single use, 24 hours)' },
    })
    .post('/verify-email/resend', async ({ auth: { user }, set }) => {
      await auth.resendVerification(user.id)
      set.status = 202
      return { accepted: true as const, message: 'A new verification mail is on its way' }
    }, {
      auth: true,
      response: { 202: Accepted, ...errors(401, 409, 429) },
      detail: { summary: 'Send the verification mail again', security: bearer },
    })
    .post('/password/forgot', async ({ body, meta, set }) => {
      await auth.forgotPassword(body.email, meta)
      set.status = 202
      return { accepted: true as const, message: 'If an account uses this address, a reset link is on its way' }
    }, {
      body: ForgotBody,
      response: { 202: Accepted, ...errors(400, 413, 422, 429) },
      detail: { summary: 'Mail a password reset link (valid one hour)', description: 'Always answers 202, whether or not the address has an account.' },
    })
    .post('/password/reset', async ({ body, meta }) => {
      await auth.resetPassword(body.token, body.password, meta)
      return { ok: true as const }
    }, {
      body: ResetBody,
      response: { 200: Ok, ...errors(400, 413, 422, 429) },
      detail: { summary: 'Set a new password with a reset token; signs out every session' },
    })
}
