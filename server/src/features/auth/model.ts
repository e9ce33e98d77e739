import { t } from 'elysia'
import { Iso, strict } from '../../http/schemas'
import { DisplayName, Email, Password, PublicUser, Username } from '../users/model'

export const RegisterBody = t.Object({ email: Email, username: Username, displayName: DisplayName, password: Password }, strict)

export const LoginBody = t.Object(
  { login: t.String({ minLength: 1, maxLength: 254, description: 'Email or username' }), password: t.String({ minLength: 1, maxLength: 256 }) },
  strict,
)

export const Tokens = t.Object(
  {
    tokenType: t.Literal('Bearer'),
    accessToken: t.String(),
    accessTokenExpiresIn: t.Number({ description: 'Seconds' }),
    refreshToken: t.String(),
    refreshTokenExpiresAt: Iso,
    sessionId: t.String(),
    user: PublicUser,
  },
  { title: 'Tokens' },
)

export const MfaChallenge = t.Object(
  {
    mfaRequired: t.Literal(true),
    challengeToken: t.String({ description: 'Send to POST /auth/mfa/verify with a code within 5 minutes' }),
    expiresIn: t.Number(),
  },
  { title: 'MfaChallenge' },
)

const TotpCode = t.String({ pattern: '^[0-9]{6}$' })
const RecoveryCode = t.String({ minLength: 6, maxLength: 32 })

export const MfaVerifyBody = t.Object({ challengeToken: t.String({ minLength: 1, maxLength: 2048 }), code: t.Optional(TotpCode), recoveryCode: t.Optional(RecoveryCode) }, strict)
export const RefreshBody = t.Object({ refreshToken: t.String({ minLength: 1, maxLength: 256 }) }, strict)
export const TokenBody = t.Object({ token: t.String({ minLength: 1, maxLength: 256 }) }, strict)
export const ForgotBody = t.Object({ email: Email }, strict)
export const ResetBody = t.Object({ token: t.String({ minLength: 1, maxLength: 256 }), password: Password }, strict)
export const Accepted = t.Object({ accepted: t.Literal(true), message: t.String() })
export const Ok = t.Object({ ok: t.Literal(true) })

export const MfaCodeBody = t.Object({ code: TotpCode }, strict)
export const MfaDisableBody = t.Object({ code: t.Optional(TotpCode), recoveryCode: t.Optional(RecoveryCode), password: t.Optional(t.String({ minLength: 1, maxLength: 256 })) }, strict)
export const MfaSetup = t.Object({ secret: t.String(), otpauthUri: t.String(), qrSvg: t.String({ description: 'SVG image of the otpauth URI' }) })
export const RecoveryCodes = t.Object({ recoveryCodes: t.Array(t.String(), { minItems: 10, maxItems: 10 }) })
export const MfaStatus = t.Object({ enabled: t.Boolean(), recoveryCodesRemaining: t.Number() })
