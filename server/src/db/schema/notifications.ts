import { sqliteTable, text, integer, index, primaryKey } from 'drizzle-orm/sqlite-core'
import { users } from './identity'
import { conversations, messages } from './messaging'

const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

export const NOTIFICATION_KINDS = ['mention', 'dm', 'thread_reply', 'invite', 'missed_call'] as const
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number]

/** One row per recipient; delivered over the socket as it is created, listed and marked read by REST. */
export const notifications = sqliteTable('notifications', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  kind: text('kind', { enum: NOTIFICATION_KINDS }).notNull(),
  actorId: text('actor_id').references(() => users.id, { onDelete: 'set null' }),
  conversationId: text('conversation_id').references(() => conversations.id, { onDelete: 'cascade' }),
  messageId: text('message_id').references(() => messages.id, { onDelete: 'cascade' }),
  workspaceId: text('workspace_id'),
  /** Small display data (a text preview, a workspace name); never secrets. */
  data: text('data', { mode: 'json' }).$type<Record<string, unknown>>(),
  createdAt: timestamp('created_at').notNull(),
  readAt: timestamp('read_at'),
}, (table) => [index('notifications_user_created_idx').on(table.userId, table.createdAt)])

/** Who follows a thread (its root message): authors, repliers and mentioned users, or by choice. */
export const threadFollows = sqliteTable('thread_follows', {
  rootId: text('root_id').notNull().references(() => messages.id, { onDelete: 'cascade' }),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  following: integer('following', { mode: 'boolean' }).notNull().default(true),
  /** The newest reply seq this user has seen in the thread, for the threads inbox. */
  lastReadSeq: integer('last_read_seq').notNull().default(0),
  updatedAt: timestamp('updated_at').notNull(),
}, (table) => [primaryKey({ columns: [table.rootId, table.userId] }), index('thread_follows_user_idx').on(table.userId)])
