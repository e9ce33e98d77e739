import { expect } from 'bun:test'
import { eq } from 'drizzle-orm'
import { conversations, users, type WorkspaceRole } from '../src/db/schema'
import { newId } from '../src/lib/crypto'
import { seedWorkspace } from './fixtures'
import type { Session, TestServer } from './harness'

/** Helpers for the conversation tests, bound to one test server. */
export function conversationKit(server: TestServer) {
  /** The workspaces service is built separately; rows go in directly. */
  const createWorkspace = (owner: Session, members: Array<[Session, WorkspaceRole]> = []) => seedWorkspace(server, owner, members)

  /** A user row without the cost of registering (password hashing), for filling a group. */
  function insertUser(): string {
    const id = newId()
    const now = new Date()
    server.ctx.db.insert(users).values({ id, email: `${id}@example.com`, username: `u${id.replace(/-/g, '').slice(-20)}`, displayName: 'Filler', createdAt: now, updatedAt: now }).run()
    return id
  }

  function setLastSeq(conversationId: string, lastSeq: number) {
    server.ctx.db.update(conversations).set({ lastSeq, lastMessageAt: new Date() }).where(eq(conversations.id, conversationId)).run()
  }

  function call(session: Session | null, method: string, path: string, body?: unknown) {
    return server.request(method, path, { token: session?.accessToken, body })
  }

  async function createChannel(session: Session, workspaceId: string, extra: Record<string, unknown> = {}) {
    const response = await call(session, 'POST', '/conversations', { kind: 'channel', workspaceId, name: `ch-${Math.random().toString(36).slice(2, 9)}`, ...extra })
    if (response.status !== 201) throw new Error(`channel create failed: ${response.status} ${JSON.stringify(response.body)}`)
    return response.body
  }

  async function participantIds(session: Session, id: string): Promise<string[]> {
    const response = await call(session, 'GET', `/conversations/${id}/participants?limit=200`)
    expect(response.status).toBe(200)
    return response.body.participants.map((p: { user: { id: string } }) => p.user.id)
  }

  return { createWorkspace, insertUser, setLastSeq, call, createChannel, participantIds }
}
