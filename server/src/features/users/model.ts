import { t } from 'elysia'
import type { users } from '../../db/schema'
import { Iso, strict } from '../../http/schemas'

export const Password = t.String({ minLength: 10, maxLength: 256, description: 'At least 10 characters' })
export const Username = t.String({ pattern: '^[A-Za-z0-9_.-]{3,32}$', description: '3–32 letters, digits, dot, dash or underscore' })
export const DisplayName = t.String({ minLength: 1, maxLength: 80 })
export const Email = t.String({ format: 'email', maxLength: 254 })

export const PublicUser = t.Object(
  {
    id: t.String(),
    email: t.String(),
    username: t.String(),
    displayName: t.String(),
    avatarUrl: t.Union([t.String(), t.Null()]),
    role: t.Union([t.Literal('admin'), t.Literal('user')]),
    emailVerified: t.Boolean(),
    mfaEnabled: t.Boolean(),
    disabled: t.Boolean(),
    createdAt: Iso,
  },
  { title: 'User' },
)
export type PublicUser = typeof PublicUser.static

export function toPublicUser(user: typeof users.$inferSelect): PublicUser {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    displayName: user.displayName,
    avatarUrl: user.avatarUrl,
    role: user.role,
    emailVerified: user.emailVerifiedAt !== null,
    mfaEnabled: user.mfaEnabledAt !== null,
    disabled: user.disabledAt !== null,
    createdAt: user.createdAt.toISOString(),
  }
}

export const UpdateProfileBody = t.Object(
  {
    displayName: t.Optional(DisplayName),
    username: t.Optional(Username),
    avatarUrl: t.Optional(t.Union([t.String({ format: 'uri', maxLength: 2048 }), t.Null()])),
  },
  strict,
)

export const ChangePasswordBody = t.Object({ currentPassword: t.String({ minLength: 1, maxLength: 256 }), newPassword: Password }, strict)
export const DeleteAccountBody = t.Object({ password: t.Optional(t.String({ minLength: 1, maxLength: 256 })) }, strict)

export const SessionInfo = t.Object(
  {
    id: t.String(),
    current: t.Boolean(),
    createdAt: Iso,
    lastUsedAt: Iso,
    expiresAt: Iso,
    ip: t.Union([t.String(), t.Null()]),
    userAgent: t.Union([t.String(), t.Null()]),
    method: t.String(),
  },
  { title: 'Session' },
)
