import { sqliteTable, text, integer, index } from 'drizzle-orm/sqlite-core'
import { users } from './identity'
import { messages, workspaces } from './messaging'

const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

export const AI_CAPABILITIES = ['chat', 'structured', 'transcription', 'speech'] as const
export type AiCapability = (typeof AI_CAPABILITIES)[number]

/** One row per provider call: the ledger behind daily quotas and cost reports. Never holds content. */
export const aiUsage = sqliteTable('ai_usage', {
  id: text('id').primaryKey(),
  userId: text('user_id').references(() => users.id, { onDelete: 'set null' }),
  workspaceId: text('workspace_id').references(() => workspaces.id, { onDelete: 'set null' }),
  capability: text('capability', { enum: AI_CAPABILITIES }).notNull(),
  /** The model name, or `pocketsphinx` / `festival` for offline engines. */
  model: text('model').notNull(),
  inputTokens: integer('input_tokens').notNull().default(0),
  outputTokens: integer('output_tokens').notNull().default(0),
  /** Millionths of a US dollar, from AI_COST_*_PER_MILLION. */
  costMicros: integer('cost_micros').notNull().default(0),
  /** UTC day `YYYY-MM-DD`, the quota period. */
  day: text('day').notNull(),
  createdAt: timestamp('created_at').notNull(),
}, (table) => [index('ai_usage_user_day_idx').on(table.userId, table.day), index('ai_usage_workspace_day_idx').on(table.workspaceId, table.day)])

export const TRANSCRIPT_STATUSES = ['pending', 'done', 'failed'] as const
export type TranscriptStatus = (typeof TRANSCRIPT_STATUSES)[number]

export interface TranscriptWord {
  word: string
  startMs: number
  endMs: number
}

/** The transcript of a voice message, one per message; searchable through message_transcripts_fts. */
export const messageTranscripts = sqliteTable('message_transcripts', {
  messageId: text('message_id').primaryKey().references(() => messages.id, { onDelete: 'cascade' }),
  conversationId: text('conversation_id').notNull(),
  fileId: text('file_id').notNull(),
  status: text('status', { enum: TRANSCRIPT_STATUSES }).notNull(),
  text: text('text').notNull().default(''),
  words: text('words', { mode: 'json' }).$type<TranscriptWord[]>(),
  /** `pocketsphinx` offline, or the provider's model name. */
  method: text('method'),
  error: text('error'),
  requestedBy: text('requested_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: timestamp('created_at').notNull(),
  updatedAt: timestamp('updated_at').notNull(),
}, (table) => [index('message_transcripts_conversation_idx').on(table.conversationId)])
