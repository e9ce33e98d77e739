import { and, eq, inArray } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { participants, users } from '../../db/schema'

export interface Mentions {
  users: string[]
  channel: boolean
  here: boolean
}

const MENTION = /(^|[^\w@`])@([A-Za-z0-9_.-]{2,32})/g

/** Finds `@username`, `@channel`/`@everyone` and `@here`; usernames resolve only to participants of the conversation. */
export function parseMentions(tx: Db | Tx, conversationId: string, content: string): Mentions {
  // Code spans and blocks are not mentions.
  const text = content.replace(/```[\s\S]*?```/g, ' ').replace(/`[^`\n]*`/g, ' ')
  const names = new Set<string>()
  let channel = false
  let here = false
  for (const match of text.matchAll(MENTION)) {
    const name = match[2]!.replace(/[.-]+$/, '').toLowerCase()
    if (name === 'channel' || name === 'everyone') channel = true
    else if (name === 'here') here = true
    else names.add(name)
  }
  if (names.size === 0) return { users: [], channel, here }
  const found = tx
    .select({ id: users.id })
    .from(users)
    .innerJoin(participants, and(eq(participants.userId, users.id), eq(participants.conversationId, conversationId)))
    .where(inArray(users.username, [...names]))
    .all()
  return { users: found.map((u) => u.id), channel, here }
}
