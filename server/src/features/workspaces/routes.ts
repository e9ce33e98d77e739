import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { errors, NoContent } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import {
  AcceptedInvite, ChangeRoleBody, CodeParams, CreatedInvite, CreateInviteBody, CreateWorkspaceBody, Invite, InviteParams, InvitePreview, Member, MemberPage,
  MemberParams, PageQuery, toInvite, toMember, toWorkspace, TransferBody, UpdateWorkspaceBody, Workspace, WorkspaceParams,
} from './model'

const bearer = [{ bearer: [] }]

/** `/workspaces/…` for members and managers, `/invites/:code` for whoever holds an invite. */
export function workspaceRoutes(ctx: AppContext) {
  return new Elysia().use(workspaceCrudRoutes(ctx)).use(inviteRoutes(ctx))
}

function workspaceCrudRoutes(ctx: AppContext) {
  const { workspaces } = ctx.services
  return new Elysia({ prefix: '/workspaces', tags: ['workspaces'] })
    .use(authGuard(ctx))
    .post('', ({ auth, body, meta, set }) => {
      const { workspace, role } = workspaces.create(auth.user.id, body, meta)
      set.status = 201
      return toWorkspace(workspace, role)
    }, {
      auth: true,
      body: CreateWorkspaceBody,
      response: { 201: Workspace, ...errors(401, 409, 413, 422, 429) },
      detail: { summary: 'Create a workspace; the creator becomes its owner', description: 'Without a slug, one is derived from the name (and numbered when taken). An explicit slug that is taken is 409 SLUG_TAKEN.', security: bearer },
    })
    .get('', ({ auth }) => workspaces.listMine(auth.user.id).map(({ workspace, role }) => toWorkspace(workspace, role)), {
      auth: true,
      response: { 200: t.Array(Workspace), ...errors(401, 429) },
      detail: { summary: 'Workspaces the caller belongs to, with their role', security: bearer },
    })
    .get('/:id', ({ auth, params }) => {
      const { workspace, role } = workspaces.get(params.id, auth.user.id)
      return toWorkspace(workspace, role)
    }, {
      auth: true,
      params: WorkspaceParams,
      response: { 200: Workspace, ...errors(401, 404, 422, 429) },
      detail: { summary: 'One workspace (members only; others get 404)', security: bearer },
    })
    .patch('/:id', ({ auth, params, body, meta }) => {
      const { workspace, role } = workspaces.update(params.id, auth.user.id, body, meta)
      return toWorkspace(workspace, role)
    }, {
      auth: true,
      params: WorkspaceParams,
      body: UpdateWorkspaceBody,
      response: { 200: Workspace, ...errors(401, 403, 404, 409, 413, 422, 429) },
      detail: { summary: 'Rename, re-slug or describe a workspace (owner or admin)', security: bearer },
    })
    .delete('/:id', ({ auth, params, meta, set }) => {
      workspaces.delete(params.id, auth.user.id, meta)
      set.status = 204
    }, {
      auth: true,
      params: WorkspaceParams,
      response: { 204: NoContent, ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Delete a workspace with its members, invites and conversations (owner only)', security: bearer },
    })
    .get('/:id/members', ({ auth, params, query }) => {
      const { rows, total } = workspaces.listMembers(params.id, auth.user.id, { limit: query.limit ?? 50, offset: query.offset ?? 0 })
      return { members: rows.map(toMember), total }
    }, {
      auth: true,
      params: WorkspaceParams,
      query: PageQuery,
      response: { 200: MemberPage, ...errors(401, 404, 422, 429) },
      detail: { summary: 'Members with their roles, oldest first', security: bearer },
    })
    .patch('/:id/members/:userId', ({ auth, params, body, meta }) => toMember(workspaces.changeRole(params.id, auth.user.id, params.userId, body.role, meta)), {
      auth: true,
      params: MemberParams,
      body: ChangeRoleBody,
      response: { 200: Member, ...errors(401, 403, 404, 413, 422, 429) },
      detail: { summary: 'Change a member\'s role (owner or admin)', description: 'Nobody changes their own role; the owner\'s role only changes through a transfer.', security: bearer },
    })
    .delete('/:id/members/:userId', ({ auth, params, meta, set }) => {
      workspaces.removeMember(params.id, auth.user.id, params.userId, meta)
      set.status = 204
    }, {
      auth: true,
      params: MemberParams,
      response: { 204: NoContent, ...errors(401, 403, 404, 409, 422, 429) },
      detail: { summary: 'Remove a member (owner or admin; the owner cannot be removed)', description: 'Removing yourself is the same as leaving.', security: bearer },
    })
    .post('/:id/leave', ({ auth, params, meta, set }) => {
      workspaces.leave(params.id, auth.user.id, meta)
      set.status = 204
    }, {
      auth: true,
      params: WorkspaceParams,
      response: { 204: NoContent, ...errors(401, 404, 409, 422, 429) },
      detail: { summary: 'Leave a workspace (the owner must transfer ownership first: 409 OWNER_MUST_TRANSFER)', security: bearer },
    })
    .post('/:id/transfer', ({ auth, params, body, meta }) => {
      const { workspace, role } = workspaces.transferOwnership(params.id, auth.user.id, body.userId, meta)
      return toWorkspace(workspace, role)
    }, {
      auth: true,
      params: WorkspaceParams,
      body: TransferBody,
      response: { 200: Workspace, ...errors(401, 403, 404, 409, 413, 422, 429) },
      detail: { summary: 'Hand ownership to another member (owner only); the old owner becomes an admin', security: bearer },
    })
    .post('/:id/invites', ({ auth, params, body, meta, set }) => {
      const { invite, code, joinUrl } = workspaces.invites.create(params.id, auth.user.id, body, meta)
      set.status = 201
      return { ...toInvite(invite), ...(code ? { code, joinUrl } : {}) }
    }, {
      auth: true,
      params: WorkspaceParams,
      body: CreateInviteBody,
      response: { 201: CreatedInvite, ...errors(401, 403, 404, 409, 413, 422, 429) },
      detail: { summary: 'Invite by email or create an invite link (owner or admin)', description: 'Email invites are mailed and single use. A link invite\'s code and join URL are in this answer only.', security: bearer },
    })
    .get('/:id/invites', ({ auth, params }) => workspaces.invites.listActive(params.id, auth.user.id).map(toInvite), {
      auth: true,
      params: WorkspaceParams,
      response: { 200: t.Array(Invite), ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Invites that can still be accepted (owner or admin; never the codes)', security: bearer },
    })
    .delete('/:id/invites/:inviteId', ({ auth, params, meta, set }) => {
      workspaces.invites.revoke(params.id, auth.user.id, params.inviteId, meta)
      set.status = 204
    }, {
      auth: true,
      params: InviteParams,
      response: { 204: NoContent, ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Revoke an invite (owner or admin)', security: bearer },
    })
}

function inviteRoutes(ctx: AppContext) {
  const { workspaces } = ctx.services
  return new Elysia({ prefix: '/invites', tags: ['workspaces'] })
    .use(authGuard(ctx))
    .get('/:code', ({ auth, params }) => {
      const { invite, workspace, alreadyMember } = workspaces.invites.preview(params.code, auth.user.id)
      return {
        workspace: { id: workspace.id, name: workspace.name, slug: workspace.slug, avatarUrl: workspace.avatarUrl },
        kind: invite.kind,
        role: invite.role,
        expiresAt: invite.expiresAt?.toISOString() ?? null,
        alreadyMember,
      }
    }, {
      auth: true,
      params: CodeParams,
      response: { 200: InvitePreview, ...errors(401, 404, 422, 429) },
      detail: { summary: 'Preview an invite: workspace, role and expiry', description: 'Unknown, revoked, expired and used-up invites are all 404 INVITE_NOT_FOUND.', security: bearer },
    })
    .post('/:code/accept', ({ auth, params, meta }) => {
      const { joined, membership } = workspaces.invites.accept(params.code, auth.user.id, meta)
      return { joined, workspace: toWorkspace(membership.workspace, membership.role) }
    }, {
      auth: true,
      params: CodeParams,
      response: { 200: AcceptedInvite, ...errors(401, 403, 404, 409, 422, 429), ...errors(410) },
      detail: { summary: 'Join the workspace of an invite', description: 'Idempotent for members. Email invites need the invited address (403 INVITE_EMAIL_MISMATCH); expired is 410 INVITE_EXPIRED, used up 409 INVITE_USED_UP.', security: bearer },
    })
}
