import { Database } from 'bun:sqlite'

export interface Member {
  userId: string
  sessionId: string
}

/** Opens a database file another process also uses, with the API's pragmas (server/src/db/client.ts). */
export function openShared(path: string): Database {
  const db = new Database(path, { strict: true })
  db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA foreign_keys = ON')
  db.exec('PRAGMA busy_timeout = 5000')
  db.exec('PRAGMA synchronous = NORMAL')
  return db
}

/**
 * Adds `count` users straight into the database: no password (so no argon2), a live session each,
 * workspace membership and a seat in the conversation. Registering them over HTTP would cost about
 * 110 ms of CPU apiece. `tag` keeps usernames unique across calls.
 */
export function seedMembers(db: Database, options: { count: number; tag: string; workspaceId: string; conversationId: string }): Member[] {
  const now = Date.now()
  const insertUser = db.prepare(`insert into users (id, email, username, display_name, password_hash, role, created_at, updated_at) values (?, ?, ?, ?, null, 'user', ?, ?)`)
  const insertSession = db.prepare(`insert into sessions (id, user_id, created_at, last_used_at, expires_at, method) values (?, ?, ?, ?, ?, 'password')`)
  const insertMember = db.prepare(`insert into workspace_members (workspace_id, user_id, role, joined_at) values (?, ?, 'member', ?)`)
  const insertParticipant = db.prepare(`insert into participants (conversation_id, user_id, role, joined_at) values (?, ?, 'member', ?)`)
  const members: Member[] = []
  db.transaction(() => {
    for (let i = 0; i < options.count; i++) {
      const userId = Bun.randomUUIDv7()
      const sessionId = Bun.randomUUIDv7()
      const name = `${options.tag}${i}`
      insertUser.run(userId, `${name}@bench.test`, name, name, now, now)
      insertSession.run(sessionId, userId, now, now, now + 86_400_000)
      insertMember.run(options.workspaceId, userId, now)
      insertParticipant.run(options.conversationId, userId, now)
      members.push({ userId, sessionId })
    }
  })()
  return members
}

/** A workspace and one channel owned by `ownerId`, for a baseline database that has no API to create them. */
export function seedChannel(db: Database, ownerId: string): { workspaceId: string; conversationId: string } {
  const now = Date.now()
  const workspaceId = Bun.randomUUIDv7()
  const conversationId = Bun.randomUUIDv7()
  db.transaction(() => {
    db.prepare(`insert into workspaces (id, slug, name, owner_id, created_at, updated_at) values (?, 'bench', 'Bench', ?, ?, ?)`).run(workspaceId, ownerId, now, now)
    db.prepare(`insert into workspace_members (workspace_id, user_id, role, joined_at) values (?, ?, 'owner', ?)`).run(workspaceId, ownerId, now)
    db.prepare(`insert into conversations (id, kind, workspace_id, name, created_by, created_at, updated_at) values (?, 'channel', ?, 'fanout', ?, ?, ?)`).run(conversationId, workspaceId, ownerId, now, now)
    db.prepare(`insert into participants (conversation_id, user_id, role, joined_at) values (?, ?, 'owner', ?)`).run(conversationId, ownerId, now)
  })()
  return { workspaceId, conversationId }
}

/** A user with a session but no password, for the baseline's sender. */
export function seedUser(db: Database, tag: string): Member {
  const now = Date.now()
  const userId = Bun.randomUUIDv7()
  const sessionId = Bun.randomUUIDv7()
  db.prepare(`insert into users (id, email, username, display_name, password_hash, role, created_at, updated_at) values (?, ?, ?, ?, null, 'user', ?, ?)`).run(userId, `${tag}@bench.test`, tag, tag, now, now)
  db.prepare(`insert into sessions (id, user_id, created_at, last_used_at, expires_at, method) values (?, ?, ?, ?, ?, 'password')`).run(sessionId, userId, now, now, now + 86_400_000)
  return { userId, sessionId }
}
