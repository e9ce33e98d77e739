import { sql } from 'drizzle-orm'
import { sqliteTable, text, integer, index, uniqueIndex, primaryKey } from 'drizzle-orm/sqlite-core'
import { users } from './identity'

const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

export const WORKSPACE_ROLES = ['owner', 'admin', 'member', 'guest'] as const
export type WorkspaceRole = (typeof WORKSPACE_ROLES)[number]

export const workspaces = sqliteTable('workspaces', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull(),
  name: text('name').notNull(),
  description: text('description').notNull().default(''),
  avatarUrl: text('avatar_url'),
  ownerId: text('owner_id').notNull().references(() => users.id),
  createdAt: timestamp('created_at').notNull(),
  updatedAt: timestamp('updated_at').notNull(),
}, (table) => [uniqueIndex('workspaces_slug_unique').on(table.slug)])

export const workspaceMembers = sqliteTable('workspace_members', {
  workspaceId: text('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  role: text('role', { enum: WORKSPACE_ROLES }).notNull(),
  joinedAt: timestamp('joined_at').notNull(),
}, (table) => [primaryKey({ columns: [table.workspaceId, table.userId] }), index('workspace_members_user_idx').on(table.userId)])

/** Invites by email (a token mailed to one address) or by link (a code with optional expiry and use cap). */
export const workspaceInvites = sqliteTable('workspace_invites', {
  id: text('id').primaryKey(),
  workspaceId: text('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
  kind: text('kind', { enum: ['email', 'link'] }).notNull(),
  /** sha256 of the token or link code; the plain value is only ever shown once. */
  codeHash: text('code_hash').notNull(),
  email: text('email'),
  role: text('role', { enum: WORKSPACE_ROLES }).notNull(),
  createdBy: text('created_by').notNull().references(() => users.id, { onDelete: 'cascade' }),
  createdAt: timestamp('created_at').notNull(),
  expiresAt: timestamp('expires_at'),
  maxUses: integer('max_uses'),
  uses: integer('uses').notNull().default(0),
  revokedAt: timestamp('revoked_at'),
}, (table) => [uniqueIndex('workspace_invites_code_unique').on(table.codeHash), index('workspace_invites_workspace_idx').on(table.workspaceId)])

export const CONVERSATION_KINDS = ['channel', 'group', 'dm', 'lounge'] as const
export type ConversationKind = (typeof CONVERSATION_KINDS)[number]

export const conversations = sqliteTable('conversations', {
  id: text('id').primaryKey(),
  kind: text('kind', { enum: CONVERSATION_KINDS }).notNull(),
  /** Channels belong to a workspace; groups and DMs may; lounges never do. */
  workspaceId: text('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
  name: text('name'),
  topic: text('topic').notNull().default(''),
  description: text('description').notNull().default(''),
  isPrivate: integer('is_private', { mode: 'boolean' }).notNull().default(false),
  /** For DMs only: the two user ids sorted and joined, so a pair has exactly one DM. */
  dmKey: text('dm_key'),
  /** The seq of the newest message; the next message takes lastSeq + 1 in the same transaction. */
  lastSeq: integer('last_seq').notNull().default(0),
  /** Bumped by every change to a message of the conversation (new, edited, deleted, reacted, pinned, replied to). */
  lastVersion: integer('last_version').notNull().default(0),
  lastMessageAt: timestamp('last_message_at'),
  createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
  archivedAt: timestamp('archived_at'),
  /** Slow mode: one message per this many seconds per user (0: off); moderators are exempt. */
  slowModeSeconds: integer('slow_mode_seconds').notNull().default(0),
  createdAt: timestamp('created_at').notNull(),
  updatedAt: timestamp('updated_at').notNull(),
}, (table) => [
  uniqueIndex('conversations_dm_key_unique').on(table.dmKey),
  uniqueIndex('conversations_workspace_name_unique').on(table.workspaceId, table.name).where(sql`kind = 'channel'`),
  index('conversations_workspace_idx').on(table.workspaceId),
])

export const PARTICIPANT_ROLES = ['owner', 'moderator', 'member'] as const
export const NOTIFICATION_LEVELS = ['all', 'mentions', 'none'] as const

export const participants = sqliteTable('participants', {
  conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  role: text('role', { enum: PARTICIPANT_ROLES }).notNull().default('member'),
  joinedAt: timestamp('joined_at').notNull(),
  muted: integer('muted', { mode: 'boolean' }).notNull().default(false),
  pinned: integer('pinned', { mode: 'boolean' }).notNull().default(false),
  notificationLevel: text('notification_level', { enum: NOTIFICATION_LEVELS }).notNull().default('all'),
  /** Everything up to this seq has been read (on any device). */
  lastReadSeq: integer('last_read_seq').notNull().default(0),
}, (table) => [primaryKey({ columns: [table.conversationId, table.userId] }), index('participants_user_idx').on(table.userId)])

export const MESSAGE_TYPES = ['text', 'file', 'voice', 'system'] as const

export const messages = sqliteTable('messages', {
  id: text('id').primaryKey(),
  conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
  /** Gap-free per conversation, assigned in the insert transaction; tombstones keep theirs. */
  seq: integer('seq').notNull(),
  senderId: text('sender_id').references(() => users.id, { onDelete: 'set null' }),
  type: text('type', { enum: MESSAGE_TYPES }).notNull().default('text'),
  content: text('content').notNull(),
  /** Thread root this message replies to. */
  parentId: text('parent_id'),
  replyCount: integer('reply_count').notNull().default(0),
  lastReplyAt: timestamp('last_reply_at'),
  /** Chosen by the sending client; a retry with the same value returns the original message. */
  clientMsgId: text('client_msg_id'),
  mentions: text('mentions', { mode: 'json' }).$type<{ users: string[]; channel: boolean; here: boolean }>(),
  forwardedFromId: text('forwarded_from_id'),
  editedAt: timestamp('edited_at'),
  deletedAt: timestamp('deleted_at'),
  /** The conversation's version when this message last changed: resume sends what changed after a client's version. */
  version: integer('version').notNull().default(0),
  /** Set when an incoming webhook posted it (no sender): outgoing webhooks skip these unless asked, so hooks cannot loop. */
  bot: text('bot', { mode: 'json' }).$type<{ webhookId: string; name: string }>(),
  createdAt: timestamp('created_at').notNull(),
}, (table) => [
  uniqueIndex('messages_conversation_seq_unique').on(table.conversationId, table.seq),
  // Slow mode looks up a sender's latest message in a conversation.
  index('messages_conversation_sender_created_idx').on(table.conversationId, table.senderId, table.createdAt),
  index('messages_conversation_version_idx').on(table.conversationId, table.version),
  uniqueIndex('messages_sender_client_unique').on(table.senderId, table.clientMsgId),
  index('messages_parent_idx').on(table.parentId),
])

export const messageEdits = sqliteTable('message_edits', {
  id: text('id').primaryKey(),
  messageId: text('message_id').notNull().references(() => messages.id, { onDelete: 'cascade' }),
  previousContent: text('previous_content').notNull(),
  editedAt: timestamp('edited_at').notNull(),
}, (table) => [index('message_edits_message_idx').on(table.messageId)])

export const reactions = sqliteTable('reactions', {
  messageId: text('message_id').notNull().references(() => messages.id, { onDelete: 'cascade' }),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  emoji: text('emoji').notNull(),
  createdAt: timestamp('created_at').notNull(),
}, (table) => [primaryKey({ columns: [table.messageId, table.userId, table.emoji] })])

export const pins = sqliteTable('pins', {
  conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
  messageId: text('message_id').notNull().references(() => messages.id, { onDelete: 'cascade' }),
  pinnedBy: text('pinned_by').references(() => users.id, { onDelete: 'set null' }),
  pinnedAt: timestamp('pinned_at').notNull(),
}, (table) => [primaryKey({ columns: [table.conversationId, table.messageId] })])
