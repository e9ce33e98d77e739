import { and, eq, inArray, isNull } from 'drizzle-orm'
import type { Tx } from '../../db/client'
import { conversations, users, workspaceMembers, type WorkspaceRole } from '../../db/schema'
import { ConflictError, NotFoundError, ValidationError } from '../../errors'
import type { ParticipantRow } from './access'
import { CHANNEL_NAME_PATTERN } from './model'

/** The rules conversations are checked against: who may manage them, and what a valid input refers to. */

export const channelName = new RegExp(CHANNEL_NAME_PATTERN)
export const conversationNotFound = () => new NotFoundError('Conversation not found', { code: 'CONVERSATION_NOT_FOUND' })
export const workspaceNotFound = () => new NotFoundError('Workspace not found', { code: 'WORKSPACE_NOT_FOUND' })
export const isWorkspaceManager = (role: WorkspaceRole | null) => role === 'owner' || role === 'admin'
export const isModerator = (participant: ParticipantRow | null) => participant?.role === 'owner' || participant?.role === 'moderator'

/** The distinct ids other than the actor's. */
export function othersThan(actorId: string, ids: string[] = []): string[] {
  return [...new Set(ids)].filter((id) => id !== actorId)
}

export function assertChannelNameFree(tx: Tx, workspaceId: string, name: string): void {
  const taken = tx.select({ id: conversations.id }).from(conversations).where(and(eq(conversations.kind, 'channel'), eq(conversations.workspaceId, workspaceId), eq(conversations.name, name))).get()
  if (taken) throw new ConflictError(`A channel named #${name} already exists in this workspace`, { code: 'CHANNEL_NAME_TAKEN' })
}

export function assertUsersExist(tx: Tx, userIds: string[]): void {
  if (userIds.length === 0) return
  const found = new Set(tx.select({ id: users.id }).from(users).where(and(inArray(users.id, userIds), isNull(users.disabledAt))).all().map((row) => row.id))
  const missing = userIds.filter((id) => !found.has(id))
  if (missing.length > 0) throw new NotFoundError('Some users were not found', { code: 'USER_NOT_FOUND', details: { userIds: missing } })
}

/** Unknown users and non-members get the same answer, so ids reveal nothing about other workspaces. */
export function assertWorkspaceMembers(tx: Tx, workspaceId: string, userIds: string[]): void {
  if (userIds.length === 0) return
  const found = new Set(tx.select({ userId: workspaceMembers.userId }).from(workspaceMembers).where(and(eq(workspaceMembers.workspaceId, workspaceId), inArray(workspaceMembers.userId, userIds))).all().map((row) => row.userId))
  const missing = userIds.filter((id) => !found.has(id))
  if (missing.length > 0) throw new ValidationError('Some users are not members of this workspace', { code: 'NOT_WORKSPACE_MEMBERS', details: { userIds: missing } })
}

export function assertUnreachable(value: never): never {
  throw new Error(`Unexpected value: ${String(value)}`)
}

/** Read receipts are shared where the room is small and personal; channels and lounges keep reading private. */
export function hasReadReceipts(kind: string): boolean {
  return kind === 'dm' || kind === 'group'
}
