import { sqliteTable, text, integer, index, primaryKey } from 'drizzle-orm/sqlite-core'
import { users } from './identity'
import { conversations } from './messaging'

const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

/** A banned user cannot rejoin or read the conversation until `expiresAt` (null: for good). */
export const conversationBans = sqliteTable('conversation_bans', {
  conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  bannedBy: text('banned_by').references(() => users.id, { onDelete: 'set null' }),
  reason: text('reason').notNull().default(''),
  createdAt: timestamp('created_at').notNull(),
  expiresAt: timestamp('expires_at'),
}, (table) => [primaryKey({ columns: [table.conversationId, table.userId] })])

/** A muted user stays in the conversation but cannot post until `until`. */
export const conversationMutes = sqliteTable('conversation_mutes', {
  conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  mutedBy: text('muted_by').references(() => users.id, { onDelete: 'set null' }),
  reason: text('reason').notNull().default(''),
  createdAt: timestamp('created_at').notNull(),
  until: timestamp('until').notNull(),
}, (table) => [primaryKey({ columns: [table.conversationId, table.userId] })])

/** Every moderation action, readable by the conversation's moderators and platform admins. */
export const moderationLog = sqliteTable('moderation_log', {
  id: text('id').primaryKey(),
  conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
  actorId: text('actor_id').references(() => users.id, { onDelete: 'set null' }),
  action: text('action').notNull(),
  targetUserId: text('target_user_id'),
  messageId: text('message_id'),
  details: text('details', { mode: 'json' }).$type<Record<string, unknown>>(),
  createdAt: timestamp('created_at').notNull(),
}, (table) => [index('moderation_log_conversation_idx').on(table.conversationId, table.createdAt)])
