import { batch } from 'solid-js'
import { createStore, produce, reconcile } from 'solid-js/store'
import type { MessageView, PresenceStatus, ServerEvent } from '../../../server/src/realtime/protocol'
import type { ConversationSummary, UserRef } from '../../../server/src/features/conversations/model'
import type { OutboxItem } from '../offline/db'

export interface ChatState {
  conversations: Record<string, ConversationSummary>
  /** Timeline (thread roots) per conversation, ascending by seq. */
  messages: Record<string, MessageView[]>
  /** Whether older messages exist before the first one held. */
  hasMoreBefore: Record<string, boolean>
  /** The window does not reach the newest message (after a jump into history). */
  hasMoreAfter: Record<string, boolean>
  /** Replies per thread root id, ascending by seq. */
  threads: Record<string, MessageView[]>
  users: Record<string, UserRef>
  presence: Record<string, PresenceStatus>
  /** DMs and groups: conversationId → userId → how far they have read (read receipts). */
  receipts: Record<string, Record<string, number>>
  /** Text another feature asks the conversation's composer to take (a suggested reply). */
  composerInsert: { conversationId: string; text: string } | null
  /** Voice message transcripts by message id, as they finish. */
  transcripts: Record<string, { status: 'pending' | 'done' | 'failed'; text: string }>
  /** conversationId → userId → when the indicator expires (ms). */
  typing: Record<string, Record<string, number>>
  outbox: OutboxItem[]
  /** The conversation on screen, whose new messages count as read. */
  activeId: string | null
}

const [state, setState] = createStore<ChatState>({
  conversations: {},
  messages: {},
  hasMoreBefore: {},
  hasMoreAfter: {},
  threads: {},
  users: {},
  presence: {},
  typing: {},
  receipts: {},
  transcripts: {},
  composerInsert: null,
  outbox: [],
  activeId: null,
})

export const chat = state
export { setState as setChat }

export const TYPING_VISIBLE_MS = 5000

/** Inserts or replaces by id, keeping ascending seq order (messages mostly arrive at the end). */
export function mergeInto(list: MessageView[], incoming: MessageView[]): MessageView[] {
  if (incoming.length === 0) return list
  const byId = new Map(list.map((m) => [m.id, m]))
  let appendOnly = true
  const last = list.length > 0 ? list[list.length - 1]!.seq : -1
  for (const message of incoming) {
    const existing = byId.get(message.id)
    // Versions only grow: an older copy (a late REST page) never replaces a newer one.
    if (existing && existing.version > message.version) continue
    if (existing || message.seq <= last) appendOnly = false
    byId.set(message.id, message)
  }
  const merged = [...byId.values()]
  return appendOnly ? merged : merged.sort((a, b) => a.seq - b.seq)
}

/** Makes `messages` the conversation's whole window (a jump, or the latest page replacing cached ones). */
export function replaceWindow(conversationId: string, messages: MessageView[], more: { before: boolean; after: boolean }): void {
  batch(() => {
    setState('messages', conversationId, [])
    setMessages(conversationId, messages)
    setState('hasMoreBefore', conversationId, more.before)
    setState('hasMoreAfter', conversationId, more.after)
  })
}

export function setMessages(conversationId: string, messages: MessageView[], hasMoreBefore?: boolean): void {
  batch(() => {
    // While the window sits in history, live messages would leave a gap: they arrive by scrolling down instead.
    const roots = messages.filter((m) => !m.parentId)
    const held = state.messages[conversationId] ?? []
    const last = held.length > 0 ? held[held.length - 1]!.seq : -1
    const fitting = state.hasMoreAfter[conversationId] ? roots.filter((m) => m.seq <= last || held.some((h) => h.id === m.id)) : roots
    setState('messages', conversationId, (list) => mergeInto(list ?? [], fitting))
    const replies = messages.filter((m) => m.parentId)
    for (const [rootId, group] of groupBy(replies, (m) => m.parentId!)) {
      setState('threads', rootId, (list) => mergeInto(list ?? [], group))
    }
    if (hasMoreBefore !== undefined) setState('hasMoreBefore', conversationId, hasMoreBefore)
  })
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item])
  return groups
}

/** Replaces the message wherever it is held (timeline or thread). */
function updateMessage(message: MessageView): void {
  setMessages(message.conversationId, [message])
}

export function upsertConversation(conversation: ConversationSummary): void {
  setState('conversations', conversation.id, reconcile(conversation))
}

export function setOutbox(items: OutboxItem[]): void {
  setState('outbox', items)
}

export function rememberUsers(users: UserRef[]): void {
  setState(produce((draft) => {
    for (const user of users) draft.users[user.id] = user
  }))
}

/** Applies one socket event; returns message ids it delivered so the caller can persist them. */
export function applyEvent(event: ServerEvent, me: string): MessageView[] {
  switch (event.type) {
    case 'message.created':
    case 'message.updated':
    case 'message.deleted':
    case 'reaction.changed': {
      const message = event.message
      batch(() => {
        if (event.type === 'message.created' && message.parentId) countReply(message)
        updateMessage(message)
        if (event.type === 'message.created') onNewMessage(message, me)
        if (message.clientMsgId && message.senderId === me) setState('outbox', (items) => items.filter((item) => item.clientMsgId !== message.clientMsgId))
        if (message.senderId) clearTyping(message.conversationId, message.senderId)
      })
      return [message]
    }
    case 'replay':
    case 'changes':
      setMessages(event.conversationId, event.messages)
      if (event.type === 'replay') bumpLastSeq(event.conversationId, event.toSeq)
      return event.messages
    case 'read.updated':
      if (state.conversations[event.conversationId]) {
        setState('conversations', event.conversationId, 'me', { lastReadSeq: event.lastReadSeq, unreadCount: event.unreadCount })
      }
      return []
    case 'message.transcribed':
      setState('transcripts', event.transcript.messageId, { status: event.transcript.status, text: event.transcript.text })
      return []
    case 'read.receipt':
      setState('receipts', event.conversationId, (current) => ({ ...current, [event.userId]: Math.max(current?.[event.userId] ?? 0, event.lastReadSeq) }))
      return []
    case 'typing':
      if (event.userId !== me) setState('typing', event.conversationId, (current) => ({ ...current, [event.userId]: Date.now() + TYPING_VISIBLE_MS }))
      return []
    case 'presence':
      setState('presence', event.userId, event.status)
      return []
    case 'conversation.updated':
      if (state.conversations[event.conversation.id]) setState('conversations', event.conversation.id, (current) => ({ ...current, ...event.conversation }))
      return []
    case 'conversation.left':
      setState(produce((draft) => {
        delete draft.conversations[event.conversationId]
      }))
      return []
    default:
      return []
  }
}

// The server bumps the root's version for a reply but sends only the reply; the root's count follows here.
function countReply(reply: MessageView): void {
  if ((state.threads[reply.parentId!] ?? []).some((m) => m.id === reply.id)) return
  const list = state.messages[reply.conversationId]
  const index = list?.findIndex((m) => m.id === reply.parentId) ?? -1
  if (index < 0) return
  setState('messages', reply.conversationId, index, (root) => ({ ...root, replyCount: root.replyCount + 1, lastReplyAt: reply.createdAt }))
}

function onNewMessage(message: MessageView, me: string): void {
  const conversation = state.conversations[message.conversationId]
  if (!conversation) return
  const fromMe = message.senderId === me
  const reading = state.activeId === message.conversationId && document.visibilityState === 'visible'
  setState('conversations', message.conversationId, produce((draft) => {
    draft.lastSeq = Math.max(draft.lastSeq, message.seq)
    draft.lastMessageAt = message.createdAt
    if (fromMe || reading) draft.me.lastReadSeq = Math.max(draft.me.lastReadSeq, message.seq)
    draft.me.unreadCount = Math.max(0, draft.lastSeq - draft.me.lastReadSeq)
  }))
}

function bumpLastSeq(conversationId: string, seq: number): void {
  if (!state.conversations[conversationId]) return
  setState('conversations', conversationId, produce((draft) => {
    draft.lastSeq = Math.max(draft.lastSeq, seq)
    draft.me.unreadCount = Math.max(0, draft.lastSeq - draft.me.lastReadSeq)
  }))
}

function clearTyping(conversationId: string, userId: string): void {
  if (!state.typing[conversationId]?.[userId]) return
  setState('typing', conversationId, produce((draft) => {
    delete draft[userId]
  }))
}

/** What the socket resumes from: the newest seq and version held per conversation. */
export function resumeState(): Array<{ id: string; lastSeq: number; lastVersion?: number }> {
  return Object.keys(state.conversations).flatMap((id) => {
    const list = state.messages[id]
    if (!list || list.length === 0) return []
    const replies = list.flatMap((m) => state.threads[m.id] ?? [])
    const all = [...list, ...replies]
    return [{ id, lastSeq: Math.max(...all.map((m) => m.seq)), lastVersion: Math.max(...all.map((m) => m.version)) }]
  })
}

export function displayName(userId: string | null): string {
  if (!userId) return 'Parley'
  return state.users[userId]?.displayName ?? 'Someone'
}

export function conversationTitle(conversation: ConversationSummary): string {
  if (conversation.kind === 'channel') return `#${conversation.name ?? 'channel'}`
  return conversation.name ?? conversation.dmPeer?.displayName ?? 'Conversation'
}
