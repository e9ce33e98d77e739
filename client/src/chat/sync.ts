import { createSignal } from 'solid-js'
import type { MessageView, ServerEvent } from '../../../server/src/realtime/protocol'
import { api, call, refreshSession } from '../api/client'
import { session } from '../api/session'
import * as cache from '../offline/db'
import { RealtimeClient, CommandError } from '../realtime/socket'
import { notificationArrived, refreshUnreadNotifications } from './notifications'
import { applyEvent, chat, rememberUsers, replaceWindow, resumeState, setChat, setMessages, setOutbox, upsertConversation } from './store'

export const PAGE = 100

let socket: RealtimeClient | null = null
let userId = ''
const [currentSocket, setCurrentSocket] = createSignal<RealtimeClient | null>(null)
const [signedOut, setSignedOut] = createSignal(false)
/** True once the session is gone (revoked, or its refresh refused); the shell returns to login. */
export { signedOut }

type Listener = (event: ServerEvent) => void
const listeners = new Set<Listener>()

/** Every server event, for features beyond the chat store (calls). Returns the unsubscribe. */
export function onServerEvent(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** The live socket (a signal: the shell's connection indicator follows it). */
export function realtime(): RealtimeClient | null {
  return currentSocket()
}

/** Starts the chat for the signed-in user: cache first (instant, offline), then server and socket. */
export async function startChat(me: string): Promise<void> {
  if (userId === me && socket) return
  stopChat()
  userId = me
  setSignedOut(false)
  const cached = await cache.loadCache(me).catch(() => ({ conversations: [], users: [] }))
  for (const conversation of cached.conversations) upsertConversation(conversation)
  rememberUsers(cached.users)
  setOutbox(await cache.outboxItems(me).catch(() => []))
  socket = new RealtimeClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
    token: () => session()?.accessToken ?? null,
    refresh: refreshSession,
    signedOut: () => setSignedOut(true),
    resumeState,
    onEvent: (event) => {
      for (const listener of listeners) listener(event)
      if (event.type === 'conversation.joined') return void refreshConversations()
      const delivered = applyEvent(event, me)
      if (delivered.length > 0) void cache.saveMessages(me, delivered.map(plain))
      if (event.type === 'message.created' && event.message.senderId === me && event.message.clientMsgId) void cache.removeOutbox(me, event.message.clientMsgId)
      if (event.type === 'resync') void loadLatest(event.conversationId)
      if (event.type === 'notification.created') notificationArrived(event.notification)
      if (event.type === 'notification.read' || event.type === 'notification.deleted') void refreshUnreadNotifications()
    },
    onOnline: () => {
      void refreshConversations()
      void refreshUnreadNotifications()
      void flushOutbox()
    },
  })
  setCurrentSocket(socket)
  socket.start()
  void refreshConversations()
}

export function stopChat(): void {
  socket?.stop()
  socket = null
  setCurrentSocket(null)
}

// Solid store proxies cannot be structured-cloned into IndexedDB.
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}

export async function refreshConversations(): Promise<void> {
  let list
  try {
    list = await call(() => api.conversations.get({ query: {} }))
  } catch {
    // @NOTE: offline or server away: the cached sidebar stays; the socket's reconnect retries.
    return
  }
  const ids = new Set(list.map((c) => c.id))
  setChat('conversations', (current) => Object.fromEntries(Object.entries(current).filter(([id]) => ids.has(id))))
  for (const conversation of list) upsertConversation(conversation)
  rememberUsers(list.flatMap((c) => (c.dmPeer ? [c.dmPeer] : [])))
  await cache.saveConversations(userId, list.map(plain), true)
}

/** Opens a conversation: cached messages at once, then the page around the first unread from the server. */
export async function openConversation(conversationId: string, around?: number): Promise<void> {
  setChat('activeId', conversationId)
  if (!chat.messages[conversationId]?.length) {
    const cached = await cache.cachedMessages(userId, conversationId).catch(() => [])
    setMessages(conversationId, cached)
  }
  void loadParticipants(conversationId)
  const conversation = chat.conversations[conversationId]
  const firstUnread = conversation && conversation.me.unreadCount > 0 ? conversation.me.lastReadSeq + 1 : undefined
  const target = around ?? firstUnread
  await loadPage(conversationId, target ? { around: target } : {})
}

export async function loadLatest(conversationId: string): Promise<void> {
  await loadPage(conversationId, {})
}

export async function loadOlder(conversationId: string): Promise<boolean> {
  const first = chat.messages[conversationId]?.[0]
  if (!first || chat.hasMoreBefore[conversationId] === false) return false
  return loadPage(conversationId, { before: first.seq })
}

export async function loadNewer(conversationId: string): Promise<boolean> {
  const list = chat.messages[conversationId] ?? []
  const last = list[list.length - 1]
  if (!last || !chat.hasMoreAfter[conversationId]) return false
  return loadPage(conversationId, { after: last.seq })
}

/**
 * The timeline is one contiguous window built by cursors: the latest page (or a page around a
 * jump target) replaces what the cache showed, then `before`/`after` pages extend it.
 */
async function loadPage(conversationId: string, cursor: { before?: number; after?: number; around?: number }): Promise<boolean> {
  try {
    const page = await call(() => api.conversations({ id: conversationId }).messages.get({ query: { ...cursor, limit: PAGE, rootsOnly: true } }))
    if (cursor.before !== undefined) {
      setMessages(conversationId, page.messages)
      setChat('hasMoreBefore', conversationId, page.hasMoreBefore)
    } else if (cursor.after !== undefined) {
      setMessages(conversationId, page.messages)
      setChat('hasMoreAfter', conversationId, page.hasMoreAfter)
    } else {
      replaceWindow(conversationId, page.messages, { before: page.hasMoreBefore, after: cursor.around !== undefined && page.hasMoreAfter })
    }
    // Not awaited: the page is on screen already, and the next page must not wait for IndexedDB (a fast scroll would stall).
    void cache.saveMessages(userId, page.messages).catch(() => undefined) // @NOTE: a failed cache write only costs offline reading.
    return page.messages.length > 0
  } catch {
    // @NOTE: offline: what the cache holds is shown; the caller's UI offers a retry when nothing is.
    return false
  }
}

async function loadParticipants(conversationId: string): Promise<void> {
  try {
    const participants = await call(() => api.conversations({ id: conversationId }).participants.get({ query: { limit: 200 } }))
    const users = participants.participants.map((p) => p.user)
    const reads = participants.participants.filter((p) => p.lastReadSeq !== undefined)
    if (reads.length > 0) setChat('receipts', conversationId, Object.fromEntries(reads.map((p) => [p.user.id, p.lastReadSeq!])))
    rememberUsers(users)
    await cache.saveUsers(userId, users)
    socket?.notify({ type: 'presence.subscribe', userIds: users.map((u) => u.id).slice(0, 200) })
  } catch {
    // @NOTE: names fall back to what the cache holds.
  }
}

export async function loadThread(rootId: string, conversationId: string): Promise<void> {
  try {
    const thread = await call(() => api.conversations({ id: conversationId }).messages({ messageId: rootId }).thread.get({ query: {} }))
    setMessages(conversationId, thread.replies)
  } catch {
    // @NOTE: offline: cached replies stay visible.
  }
}

function newClientMsgId(): string {
  return `c-${Date.now().toString(36)}-${crypto.getRandomValues(new Uint32Array(2)).join('')}`
}

/**
 * Sends through the outbox: stored in IndexedDB first, then delivered over the socket. A reload,
 * a dropped connection or a retry cannot duplicate it: the server answers a repeated clientMsgId
 * with the original message.
 */
export async function sendMessage(conversationId: string, content: string, parentId?: string, attachments?: string[]): Promise<void> {
  const item: cache.OutboxItem = { clientMsgId: newClientMsgId(), conversationId, content, parentId, ...(attachments?.length ? { attachments } : {}), createdAt: new Date().toISOString() }
  setChat('outbox', (items) => [...items, item])
  // Sending from deep in history brings the reader back to the present, where the message will be.
  if (chat.hasMoreAfter[conversationId] && !parentId) void loadLatest(conversationId)
  await cache.putOutbox(userId, item)
  void deliver(item)
}

const inFlight = new Set<string>()

async function deliver(item: cache.OutboxItem): Promise<void> {
  if (!socket || socket.state() !== 'online' || inFlight.has(item.clientMsgId) || item.failed) return
  inFlight.add(item.clientMsgId)
  try {
    const ack = await socket.request({ type: 'send', conversationId: item.conversationId, clientMsgId: item.clientMsgId, content: item.content, ...(item.parentId ? { parentId: item.parentId } : {}), ...(item.attachments?.length ? { attachments: item.attachments } : {}) })
    if (ack.message) {
      applyEvent({ type: 'message.created', message: ack.message }, userId)
      await cache.saveMessages(userId, [plain(ack.message)])
    }
    setChat('outbox', (items) => items.filter((i) => i.clientMsgId !== item.clientMsgId))
    await cache.removeOutbox(userId, item.clientMsgId)
  } catch (error) {
    if (error instanceof CommandError && !error.transient) {
      const failed = { ...item, failed: { code: error.code, message: error.message } }
      setChat('outbox', (items) => items.map((i) => (i.clientMsgId === item.clientMsgId ? failed : i)))
      await cache.putOutbox(userId, failed)
    }
  } finally {
    inFlight.delete(item.clientMsgId)
  }
}

/** Delivers everything waiting, oldest first, one at a time so the order is kept. */
export async function flushOutbox(): Promise<void> {
  for (const item of [...chat.outbox]) await deliver(item)
}

export async function discardPending(clientMsgId: string): Promise<void> {
  setChat('outbox', (items) => items.filter((i) => i.clientMsgId !== clientMsgId))
  await cache.removeOutbox(userId, clientMsgId)
}

export async function retryPending(clientMsgId: string): Promise<void> {
  const item = chat.outbox.find((i) => i.clientMsgId === clientMsgId)
  if (!item) return
  const { failed: _failed, ...fresh } = item
  setChat('outbox', (items) => items.map((i) => (i.clientMsgId === clientMsgId ? fresh : i)))
  await cache.putOutbox(userId, plain(fresh))
  void deliver(fresh)
}

export async function command(work: Parameters<RealtimeClient['request']>[0]): Promise<MessageView | undefined> {
  if (!socket) throw new CommandError('DISCONNECTED', 'Not connected')
  const ack = await socket.request(work)
  if (ack.message) applyEvent({ type: 'message.updated', message: ack.message }, userId)
  return ack.message
}

let lastReadSent = new Map<string, number>()

/** Marks the conversation read up to its newest message (once per seq). */
export function markRead(conversationId: string): void {
  const conversation = chat.conversations[conversationId]
  if (!conversation) return
  const seq = conversation.lastSeq
  if ((lastReadSent.get(conversationId) ?? -1) >= seq && conversation.me.unreadCount === 0) return
  lastReadSent.set(conversationId, seq)
  setChat('conversations', conversationId, 'me', { lastReadSeq: Math.max(conversation.me.lastReadSeq, seq), unreadCount: 0 })
  // Over the socket when it is up; otherwise by REST, so a read made while connecting is not lost.
  if (socket?.state() === 'online') socket.notify({ type: 'read', conversationId, seq })
  else void call(() => api.conversations({ id: conversationId }).read.post({ seq })).catch(() => lastReadSent.delete(conversationId))
}

export function resetReadMarks(): void {
  lastReadSent = new Map()
}
