import { sqliteTable, text, integer, index } from 'drizzle-orm/sqlite-core'
import { users } from './identity'
import { conversations } from './messaging'

const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

export const SUMMARY_STATUSES = ['queued', 'active', 'completed', 'failed'] as const

/** A conversation (or thread) summary asked for by one user, written by an `ai` job; only they read it. */
export const aiSummaries = sqliteTable('ai_summaries', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
  /** Summarize this thread only; null = the conversation's newest `messageLimit` messages. */
  rootId: text('root_id'),
  messageLimit: integer('message_limit').notNull(),
  status: text('status', { enum: SUMMARY_STATUSES }).notNull(),
  percent: integer('percent').notNull().default(0),
  stage: text('stage').notNull().default('queued'),
  summary: text('summary'),
  /** `llm` (the configured provider) or `extractive` (TextRank, offline). */
  method: text('method', { enum: ['llm', 'extractive'] }),
  citedMessageIds: text('cited_message_ids', { mode: 'json' }).$type<string[]>(),
  messageCount: integer('message_count').notNull().default(0),
  error: text('error'),
  createdAt: timestamp('created_at').notNull(),
  completedAt: timestamp('completed_at'),
}, (table) => [index('ai_summaries_user_idx').on(table.userId, table.createdAt)])
