import { conversations, participants } from '../src/db/schema'
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
