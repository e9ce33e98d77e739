import { t } from 'elysia'
import type { users, workspaceInvites, workspaceMembers, workspaces, WorkspaceRole } from '../../db/schema'
import { Iso, NullableIso, strict } from '../../http/schemas'
import { Email } from '../users/model'

export const Slug = t.String({ pattern: '^[a-z0-9-]{2,40}$', description: '2–40 lowercase letters, digits or dashes' })
const Name = t.String({ minLength: 1, maxLength: 80 })
const Description = t.String({ maxLength: 1000 })
const AvatarUrl = t.Union([t.String({ format: 'uri', maxLength: 2048 }), t.Null()])
const Role = t.Union([t.Literal('owner'), t.Literal('admin'), t.Literal('member'), t.Literal('guest')])
/** Roles that can be granted; ownership only moves through POST /workspaces/:id/transfer. */
const AssignableRole = t.Union([t.Literal('admin'), t.Literal('member'), t.Literal('guest')], { description: 'owner is only reachable through a transfer' })
const Id = t.String({ minLength: 1, maxLength: 64 })

export const WorkspaceParams = t.Object({ id: Id })
export const MemberParams = t.Object({ id: Id, userId: Id })
export const InviteParams = t.Object({ id: Id, inviteId: Id })
export const CodeParams = t.Object({ code: t.String({ pattern: '^[A-Za-z0-9_-]{16,128}$' }) })
export const PageQuery = t.Object({ limit: t.Optional(t.Numeric({ minimum: 1, maximum: 200 })), offset: t.Optional(t.Numeric({ minimum: 0, maximum: 1_000_000 })) })

export const CreateWorkspaceBody = t.Object({ name: Name, slug: t.Optional(Slug), description: t.Optional(Description) }, strict)
export const UpdateWorkspaceBody = t.Object({ name: t.Optional(Name), slug: t.Optional(Slug), description: t.Optional(Description), avatarUrl: t.Optional(AvatarUrl) }, strict)
export const ChangeRoleBody = t.Object({ role: AssignableRole }, strict)
export const TransferBody = t.Object({ userId: Id }, strict)

const ExpiresInHours = t.Optional(t.Integer({ minimum: 1, maximum: 720, description: 'Default 168 (7 days)' }))
export const CreateInviteBody = t.Union([
  t.Object({ kind: t.Literal('email'), email: Email, role: t.Optional(AssignableRole), expiresInHours: ExpiresInHours }, { ...strict, title: 'EmailInviteBody' }),
  t.Object({ kind: t.Literal('link'), role: t.Optional(AssignableRole), expiresInHours: ExpiresInHours, maxUses: t.Optional(t.Integer({ minimum: 1, maximum: 10_000 })) }, { ...strict, title: 'LinkInviteBody' }),
])
export type CreateInviteInput = typeof CreateInviteBody.static
export type UpdateWorkspaceInput = typeof UpdateWorkspaceBody.static

export const Workspace = t.Object(
  { id: t.String(), slug: t.String(), name: t.String(), description: t.String(), avatarUrl: t.Union([t.String(), t.Null()]), ownerId: t.String(), role: Role, createdAt: Iso, updatedAt: Iso },
  { title: 'Workspace', description: 'A workspace as the caller sees it, with the caller\'s role' },
)

export const Member = t.Object(
  { id: t.String(), username: t.String(), displayName: t.String(), avatarUrl: t.Union([t.String(), t.Null()]), role: Role, joinedAt: Iso },
  { title: 'WorkspaceMember' },
)
export const MemberPage = t.Object({ members: t.Array(Member), total: t.Number() })

export const Invite = t.Object(
  {
    id: t.String(),
    kind: t.Union([t.Literal('email'), t.Literal('link')]),
    email: t.Union([t.String(), t.Null()]),
    role: Role,
    createdBy: t.String(),
    createdAt: Iso,
    expiresAt: NullableIso,
    maxUses: t.Union([t.Number(), t.Null()]),
    uses: t.Number(),
  },
  { title: 'WorkspaceInvite' },
)
export const CreatedInvite = t.Object(
  {
    ...Invite.properties,
    code: t.Optional(t.String({ description: 'Link invites only, shown once' })),
    joinUrl: t.Optional(t.String({ description: 'Link invites only, shown once' })),
  },
  { title: 'CreatedWorkspaceInvite' },
)

export const InvitePreview = t.Object(
  {
    workspace: t.Object({ id: t.String(), name: t.String(), slug: t.String(), avatarUrl: t.Union([t.String(), t.Null()]) }),
    kind: t.Union([t.Literal('email'), t.Literal('link')]),
    role: Role,
    expiresAt: NullableIso,
    alreadyMember: t.Boolean(),
  },
  { title: 'WorkspaceInvitePreview' },
)
export const AcceptedInvite = t.Object({ joined: t.Boolean({ description: 'false when the caller already was a member' }), workspace: Workspace })

type WorkspaceRow = typeof workspaces.$inferSelect
type InviteRow = typeof workspaceInvites.$inferSelect

export function toWorkspace(workspace: WorkspaceRow, role: WorkspaceRole): typeof Workspace.static {
  return {
    id: workspace.id,
    slug: workspace.slug,
    name: workspace.name,
    description: workspace.description,
    avatarUrl: workspace.avatarUrl,
    ownerId: workspace.ownerId,
    role,
    createdAt: workspace.createdAt.toISOString(),
    updatedAt: workspace.updatedAt.toISOString(),
  }
}

export function toMember(row: { user: Pick<typeof users.$inferSelect, 'id' | 'username' | 'displayName' | 'avatarUrl'>; member: typeof workspaceMembers.$inferSelect }): typeof Member.static {
  return { id: row.user.id, username: row.user.username, displayName: row.user.displayName, avatarUrl: row.user.avatarUrl, role: row.member.role, joinedAt: row.member.joinedAt.toISOString() }
}

export function toInvite(invite: InviteRow): typeof Invite.static {
  return {
    id: invite.id,
    kind: invite.kind,
    email: invite.email,
    role: invite.role,
    createdBy: invite.createdBy,
    createdAt: invite.createdAt.toISOString(),
    expiresAt: invite.expiresAt?.toISOString() ?? null,
    maxUses: invite.maxUses,
    uses: invite.uses,
  }
}
