import { and, asc, count, desc, eq, inArray, sql, type SQL } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { conversations, participants, users } from '../../db/schema'
import type { ConversationRow, ParticipantRow } from './access'
import type { Conversation, ConversationListing, ConversationSummary, Participant, UserRef } from './model'

type Reader = Db | Tx

const userRefColumns = { id: users.id, username: users.username, displayName: users.displayName, avatarUrl: users.avatarUrl }

/** The other party of a DM from its key; yourself for a notes-to-self DM. */
function dmPeerId(conversation: ConversationRow, userId: string): string | null {
  if (conversation.kind !== 'dm' || !conversation.dmKey) return null
  const [first, second] = conversation.dmKey.split(':')
  return first === userId ? (second ?? null) : (first ?? null)
}

function userRefs(db: Reader, ids: string[]): Map<string, UserRef> {
  if (ids.length === 0) return new Map()
  const rows = db.select(userRefColumns).from(users).where(inArray(users.id, [...new Set(ids)])).all()
  return new Map(rows.map((row) => [row.id, row]))
}

export function toConversation(conversation: ConversationRow): Conversation {
  return {
    id: conversation.id,
    kind: conversation.kind,
    name: conversation.name,
    topic: conversation.topic,
    description: conversation.description,
    isPrivate: conversation.isPrivate,
    archived: conversation.archivedAt !== null,
    archivedAt: conversation.archivedAt?.toISOString() ?? null,
    workspaceId: conversation.workspaceId,
    createdBy: conversation.createdBy,
    lastSeq: conversation.lastSeq,
    lastMessageAt: conversation.lastMessageAt?.toISOString() ?? null,
    createdAt: conversation.createdAt.toISOString(),
  }
}

export function toSummary(conversation: ConversationRow, participant: ParticipantRow, peer: UserRef | null): ConversationSummary {
  return {
    ...toConversation(conversation),
    name: conversation.kind === 'dm' ? (peer?.displayName ?? null) : conversation.name,
    dmPeer: peer,
    me: {
      role: participant.role,
      joinedAt: participant.joinedAt.toISOString(),
      muted: participant.muted,
      pinned: participant.pinned,
      notificationLevel: participant.notificationLevel,
      lastReadSeq: participant.lastReadSeq,
      unreadCount: Math.max(0, conversation.lastSeq - participant.lastReadSeq),
    },
  }
}

/** The caller's conversations, pinned first, then the most recently active. */
export function summariesFor(db: Reader, userId: string, filter?: SQL): ConversationSummary[] {
  const rows = db
    .select({ conversation: conversations, participant: participants })
    .from(participants)
    .innerJoin(conversations, eq(conversations.id, participants.conversationId))
    .where(and(eq(participants.userId, userId), filter))
    .orderBy(desc(participants.pinned), sql`coalesce(${conversations.lastMessageAt}, ${conversations.createdAt}) desc`, asc(conversations.id))
    .all()
  const peers = userRefs(db, rows.flatMap((row) => dmPeerId(row.conversation, userId) ?? []))
  return rows.map((row) => {
    const peerId = dmPeerId(row.conversation, userId)
    return toSummary(row.conversation, row.participant, peerId ? (peers.get(peerId) ?? null) : null)
  })
}

export function summaryFor(db: Reader, conversation: ConversationRow, participant: ParticipantRow): ConversationSummary {
  const peerId = dmPeerId(conversation, participant.userId)
  return toSummary(conversation, participant, peerId ? (userRefs(db, [peerId]).get(peerId) ?? null) : null)
}

/** Joinable conversations matching `where`, with how many take part and whether the caller does. */
export function listingsFor(db: Reader, userId: string, where: SQL): ConversationListing[] {
  const memberCount = sql<number>`(select count(*) from ${participants} where ${participants.conversationId} = ${conversations.id})`
  const joined = sql<number>`exists(select 1 from ${participants} where ${participants.conversationId} = ${conversations.id} and ${participants.userId} = ${userId})`
  return db
    .select({ conversation: conversations, memberCount, joined })
    .from(conversations)
    .where(where)
    .orderBy(asc(conversations.name), asc(conversations.id))
    .all()
    .map(({ conversation, memberCount, joined }) => ({
      id: conversation.id,
      kind: conversation.kind,
      name: conversation.name,
      topic: conversation.topic,
      description: conversation.description,
      workspaceId: conversation.workspaceId,
      archived: conversation.archivedAt !== null,
      memberCount: Number(memberCount),
      joined: Boolean(joined),
    }))
}

export function participantPage(db: Reader, conversationId: string, page: { limit: number; offset: number }, withReadState = false): { participants: Participant[]; total: number } {
  const rows = db
    .select({ user: userRefColumns, role: participants.role, joinedAt: participants.joinedAt, lastReadSeq: participants.lastReadSeq })
    .from(participants)
    .innerJoin(users, eq(users.id, participants.userId))
    .where(eq(participants.conversationId, conversationId))
    .orderBy(asc(participants.joinedAt), asc(participants.userId))
    .limit(page.limit)
    .offset(page.offset)
    .all()
  const total = db.select({ n: count() }).from(participants).where(eq(participants.conversationId, conversationId)).get()?.n ?? 0
  return { participants: rows.map((row) => (withReadState ? { ...toParticipant(row), lastReadSeq: row.lastReadSeq } : toParticipant(row))), total }
}

export function toParticipant(row: { user: UserRef; role: ParticipantRow['role']; joinedAt: Date }): Participant {
  return { user: row.user, role: row.role, joinedAt: row.joinedAt.toISOString() }
}

export function participantsByIds(db: Reader, conversationId: string, userIds: string[]): Participant[] {
  if (userIds.length === 0) return []
  return db
    .select({ user: userRefColumns, role: participants.role, joinedAt: participants.joinedAt })
    .from(participants)
    .innerJoin(users, eq(users.id, participants.userId))
    .where(and(eq(participants.conversationId, conversationId), inArray(participants.userId, userIds)))
    .orderBy(asc(participants.joinedAt), asc(participants.userId))
    .all()
    .map(toParticipant)
}
