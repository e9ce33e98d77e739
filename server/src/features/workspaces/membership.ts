import { and, eq, sql } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { workspaceMembers, workspaces, type WorkspaceRole } from '../../db/schema'
import { ForbiddenError, NotFoundError } from '../../errors'

export type WorkspaceRow = typeof workspaces.$inferSelect
export interface Membership {
  workspace: WorkspaceRow
  role: WorkspaceRole
}

/**
 * The one answer to "what may this user do in this workspace?". A workspace you are not a member of
 * is reported as not found, so ids do not leak existence.
 */
export class WorkspaceMembership {
  #lookup

  constructor(db: Db) {
    this.#lookup = db
      .select({ workspace: workspaces, role: workspaceMembers.role })
      .from(workspaces)
      .innerJoin(workspaceMembers, and(eq(workspaceMembers.workspaceId, workspaces.id), eq(workspaceMembers.userId, sql`cast(${sql.placeholder('userId')} as text)`)))
      .where(eq(workspaces.id, sql`cast(${sql.placeholder('workspaceId')} as text)`))
      .prepare()
  }

  find(workspaceId: string, userId: string, tx?: Db | Tx): Membership | undefined {
    return tx
      ? tx.select({ workspace: workspaces, role: workspaceMembers.role }).from(workspaces)
          .innerJoin(workspaceMembers, and(eq(workspaceMembers.workspaceId, workspaces.id), eq(workspaceMembers.userId, userId)))
          .where(eq(workspaces.id, workspaceId)).get()
      : this.#lookup.get({ workspaceId, userId })
  }

  assertMember(workspaceId: string, userId: string, tx?: Db | Tx): Membership {
    const found = this.find(workspaceId, userId, tx)
    if (!found) throw new NotFoundError('Workspace not found', { code: 'WORKSPACE_NOT_FOUND' })
    return found
  }

  /** Members with one of `roles`; other members learn the workspace exists, which they already know. */
  assertRole(workspaceId: string, userId: string, roles: readonly WorkspaceRole[], tx?: Db | Tx): Membership {
    const found = this.assertMember(workspaceId, userId, tx)
    if (!roles.includes(found.role)) {
      const owner = roles.length === 1 && roles[0] === 'owner'
      throw new ForbiddenError(owner ? 'Only the workspace owner can do this' : 'Only workspace owners and admins can do this', { code: owner ? 'WORKSPACE_OWNER_REQUIRED' : 'WORKSPACE_ADMIN_REQUIRED' })
    }
    return found
  }

  /** The member's role, or a 404 naming the member (the caller is already known to be inside). */
  assertTarget(workspaceId: string, userId: string, tx: Db | Tx): WorkspaceRole {
    const row = tx.select({ role: workspaceMembers.role }).from(workspaceMembers).where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId))).get()
    if (!row) throw new NotFoundError('This user is not a member of the workspace', { code: 'MEMBER_NOT_FOUND' })
    return row.role
  }
}

export const MANAGERS = ['owner', 'admin'] as const satisfies readonly WorkspaceRole[]
export const OWNER = ['owner'] as const satisfies readonly WorkspaceRole[]
