import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { MessageView } from '../../../server/src/realtime/protocol'
import type { ConversationSummary, UserRef } from '../../../server/src/features/conversations/model'

/** A message the user sent that the server has not acknowledged yet; delivered exactly once by clientMsgId. */
export interface OutboxItem {
  clientMsgId: string
  conversationId: string
  content: string
  parentId?: string
  /** Ids of finished uploads sent with it. */
  attachments?: string[]
  createdAt: string
  /** Set when the server refused it for good (e.g. no longer a member); shown with the reason, not retried. */
  failed?: { code: string; message: string }
}

interface ParleySchema extends DBSchema {
  conversations: { key: string; value: ConversationSummary }
  messages: { key: string; value: MessageView; indexes: { byConversation: [string, number] } }
  outbox: { key: string; value: OutboxItem; indexes: { byCreated: string } }
  users: { key: string; value: UserRef }
}

/** How many recent messages per conversation stay readable offline. */
export const CACHED_PER_CONVERSATION = 300

const opened = new Map<string, Promise<IDBPDatabase<ParleySchema>>>()

/** One database per signed-in user, so two accounts in one browser never see each other's cache. */
export function database(userId: string): Promise<IDBPDatabase<ParleySchema>> {
  let db = opened.get(userId)
  if (!db) {
    db = openDB<ParleySchema>(`parley-${userId}`, 1, {
      upgrade(upgrade) {
        upgrade.createObjectStore('conversations', { keyPath: 'id' })
        upgrade.createObjectStore('messages', { keyPath: 'id' }).createIndex('byConversation', ['conversationId', 'seq'])
        upgrade.createObjectStore('outbox', { keyPath: 'clientMsgId' }).createIndex('byCreated', 'createdAt')
        upgrade.createObjectStore('users', { keyPath: 'id' })
      },
    })
    opened.set(userId, db)
  }
  return db
}

export async function loadCache(userId: string): Promise<{ conversations: ConversationSummary[]; users: UserRef[] }> {
  const db = await database(userId)
  const [conversations, users] = await Promise.all([db.getAll('conversations'), db.getAll('users')])
  return { conversations, users }
}

export async function cachedMessages(userId: string, conversationId: string): Promise<MessageView[]> {
  const db = await database(userId)
  const range = IDBKeyRange.bound([conversationId, 0], [conversationId, Number.MAX_SAFE_INTEGER])
  return db.getAllFromIndex('messages', 'byConversation', range)
}

export async function saveConversations(userId: string, conversations: ConversationSummary[], replaceAll = false): Promise<void> {
  const db = await database(userId)
  const tx = db.transaction('conversations', 'readwrite')
  if (replaceAll) await tx.store.clear()
  await Promise.all([...conversations.map((c) => tx.store.put(c)), tx.done])
}

export async function removeConversation(userId: string, conversationId: string): Promise<void> {
  const db = await database(userId)
  await db.delete('conversations', conversationId)
}

export async function saveUsers(userId: string, users: UserRef[]): Promise<void> {
  const db = await database(userId)
  const tx = db.transaction('users', 'readwrite')
  await Promise.all([...users.map((u) => tx.store.put(u)), tx.done])
}

/** Stores messages and trims each touched conversation to its newest CACHED_PER_CONVERSATION. */
export async function saveMessages(userId: string, messages: MessageView[]): Promise<void> {
  if (messages.length === 0) return
  const db = await database(userId)
  const tx = db.transaction('messages', 'readwrite')
  for (const message of messages) void tx.store.put(message)
  for (const conversationId of new Set(messages.map((m) => m.conversationId))) {
    const range = IDBKeyRange.bound([conversationId, 0], [conversationId, Number.MAX_SAFE_INTEGER])
    const count = await tx.store.index('byConversation').count(range)
    let excess = count - CACHED_PER_CONVERSATION
    if (excess <= 0) continue
    let cursor = await tx.store.index('byConversation').openCursor(range)
    while (cursor && excess-- > 0) {
      await cursor.delete()
      cursor = await cursor.continue()
    }
  }
  await tx.done
}

/**
 * The outbox journal: a synchronous copy in localStorage of each message until IndexedDB has
 * committed it, so a message sent a moment before a reload or a closed tab is still there after.
 */
const journalKey = (userId: string) => `parley.outbox-journal.${userId}`

function readJournal(userId: string): OutboxItem[] {
  try {
    return JSON.parse(localStorage.getItem(journalKey(userId)) ?? '[]') as OutboxItem[]
  } catch {
    return []
  }
}

function writeJournal(userId: string, items: OutboxItem[]): void {
  try {
    if (items.length) localStorage.setItem(journalKey(userId), JSON.stringify(items))
    else localStorage.removeItem(journalKey(userId))
  } catch {
    // @NOTE: storage full or blocked: IndexedDB alone still holds the item once committed.
  }
}

/** Everything waiting to be sent, oldest first, including items whose IndexedDB write never finished. */
export async function outboxItems(userId: string): Promise<OutboxItem[]> {
  const db = await database(userId)
  for (const item of readJournal(userId)) await db.put('outbox', item)
  writeJournal(userId, [])
  return db.getAllFromIndex('outbox', 'byCreated')
}

/** Stores an outbox item: journalled synchronously first, then committed to IndexedDB. */
export async function putOutbox(userId: string, item: OutboxItem): Promise<void> {
  writeJournal(userId, [...readJournal(userId).filter((i) => i.clientMsgId !== item.clientMsgId), item])
  const db = await database(userId)
  await db.put('outbox', item)
  writeJournal(userId, readJournal(userId).filter((i) => i.clientMsgId !== item.clientMsgId))
}

export async function removeOutbox(userId: string, clientMsgId: string): Promise<void> {
  const db = await database(userId)
  await db.delete('outbox', clientMsgId)
}
