import { Elysia } from 'elysia'
import type { AppContext } from '../../context'
import { errors, NoContent } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import { MfaCodeBody, MfaDisableBody, MfaSetup, MfaStatus, RecoveryCodes } from '../auth/model'

const bearer = [{ bearer: [] }]

export function mfaRoutes(ctx: AppContext) {
  const { mfa } = ctx.services
  return new Elysia({ prefix: '/users/me/mfa', tags: ['users'] })
    .use(authGuard(ctx))
    .get('', ({ auth }) => ({ enabled: auth.user.mfaEnabledAt !== null, recoveryCodesRemaining: mfa.remainingRecoveryCodes(auth.user.id) }), {
      auth: true,
      response: { 200: MfaStatus, ...errors(401, 429) },
      detail: { summary: 'Two-factor status', security: bearer },
    })
    .post('/setup', ({ auth }) => mfa.setup(auth.user.id), {
      auth: true,
      response: { 200: MfaSetup, ...errors(401, 409, 429) },
      detail: { summary: 'Start TOTP setup: returns the secret, otpauth URI and a QR code', security: bearer },
    })
    .post('/confirm', async ({ auth, body, meta }) => ({ recoveryCodes: await mfa.confirm(auth.user.id, body.code, meta) }), {
      auth: true,
      body: MfaCodeBody,
      response: { 200: RecoveryCodes, ...errors(400, 401, 409, 413, 422, 429) },
      detail: { summary: 'Confirm setup with a first code; returns 10 one-time recovery codes', security: bearer },
    })
    .post('/disable', async ({ auth, body, meta, set }) => {
      await mfa.disable(auth.user.id, body, meta)
      set.status = 204
    }, {
      auth: true,
      body: MfaDisableBody,
      response: { 204: NoContent, ...errors(400, 401, 409, 413, 422, 429) },
      detail: { summary: 'Turn two-factor off (with a code, a recovery code or the password)', security: bearer },
    })
    .post('/recovery-codes', async ({ auth, body, meta }) => ({ recoveryCodes: await mfa.regenerateRecoveryCodes(auth.user.id, body.code, meta) }), {
      auth: true,
      body: MfaCodeBody,
      response: { 200: RecoveryCodes, ...errors(401, 409, 413, 422, 429) },
      detail: { summary: 'Replace the recovery codes', security: bearer },
    })
}
