import { and, eq } from 'drizzle-orm'
import { conversations, participants, workspaceMembers, workspaces, type WorkspaceRole } from '../src/db/schema'
import { newId } from '../src/lib/crypto'
import type { Session, TestServer } from './harness'

export interface SeedOptions {
  kind?: 'group' | 'channel' | 'dm'
  name?: string
  roles?: Record<string, 'owner' | 'moderator' | 'member'>
}

/**
 * A conversation written straight into the database, for tests of features that build on
 * conversations (messages, realtime, search, notifications) without depending on its REST rules.
 */
export function seedConversation(server: TestServer, members: Session[], options: SeedOptions = {}): string {
  const id = newId()
  const now = new Date()
  const kind = options.kind ?? 'group'
  const dmKey = kind === 'dm' ? members.map((m) => m.user.id).sort().join(':') : null
  const name = kind === 'dm' ? null : (options.name ?? `g-${id.slice(-6)}`)
  server.ctx.db.insert(conversations).values({ id, kind, name, dmKey, createdAt: now, updatedAt: now }).run()
  for (const member of members) {
    server.ctx.db.insert(participants).values({ conversationId: id, userId: member.user.id, role: options.roles?.[member.user.id] ?? 'member', joinedAt: now }).run()
  }
  return id
}

/**
 * A lounge created over HTTP by the platform admin (its owner), joined over HTTP by `members`, with
 * `moderator` (when given) promoted directly in the database.
 */
export async function openLounge(server: TestServer, admin: Session, members: Session[], moderator?: Session): Promise<string> {
  const created = await server.request('POST', '/conversations', { token: admin.accessToken, body: { kind: 'lounge', name: `Lounge ${Math.random().toString(36).slice(2, 8)}` } })
  if (created.status !== 201) throw new Error(`lounge create failed: ${created.status} ${JSON.stringify(created.body)}`)
  const id = created.body.id as string
  for (const member of members) {
    const joined = await server.request('POST', `/conversations/${id}/join`, { token: member.accessToken })
    if (joined.status !== 200) throw new Error(`join failed: ${joined.status} ${JSON.stringify(joined.body)}`)
  }
  if (moderator && members.includes(moderator)) {
    server.ctx.db.update(participants).set({ role: 'moderator' }).where(and(eq(participants.conversationId, id), eq(participants.userId, moderator.user.id))).run()
  }
  return id
}

/** A workspace written straight into the database, with its owner and members. */
export function seedWorkspace(server: TestServer, owner: Session, members: Array<[Session, WorkspaceRole]> = []): string {
  const id = newId()
  const now = new Date()
  server.ctx.db.insert(workspaces).values({ id, slug: `ws-${id}`, name: 'Workspace', ownerId: owner.user.id, createdAt: now, updatedAt: now }).run()
  server.ctx.db.insert(workspaceMembers).values([[owner, 'owner'] as const, ...members].map(([session, role]) => ({ workspaceId: id, userId: session.user.id, role, joinedAt: now }))).run()
  return id
}
