import { sqliteTable, text, integer, index } from 'drizzle-orm/sqlite-core'
import { users } from './identity'
import { conversations } from './messaging'

const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

export const EXPORT_FORMATS = ['markdown', 'json'] as const
export const EXPORT_STATUSES = ['queued', 'active', 'completed', 'failed'] as const

/** A conversation export asked for by one user; the `reports` queue writes its file (`fileId`, owned by that user). */
export const conversationExports = sqliteTable('conversation_exports', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
  format: text('format', { enum: EXPORT_FORMATS }).notNull(),
  /** Only top-level messages created in [fromAt, toAt) are exported; null = unbounded. */
  fromAt: timestamp('from_at'),
  toAt: timestamp('to_at'),
  includeThreads: integer('include_threads', { mode: 'boolean' }).notNull().default(false),
  status: text('status', { enum: EXPORT_STATUSES }).notNull(),
  percent: integer('percent').notNull().default(0),
  stage: text('stage').notNull().default('queued'),
  /** Messages written (roots and, with threads, replies). */
  messageCount: integer('message_count').notNull().default(0),
  fileId: text('file_id'),
  error: text('error'),
  createdAt: timestamp('created_at').notNull(),
  completedAt: timestamp('completed_at'),
  /** Set when the export completes or fails (REPORT_TTL_HOURS later); the `scheduled` queue purges it and its file then. */
  expiresAt: timestamp('expires_at'),
}, (table) => [index('conversation_exports_user_idx').on(table.userId, table.createdAt), index('conversation_exports_expires_idx').on(table.expiresAt)])
