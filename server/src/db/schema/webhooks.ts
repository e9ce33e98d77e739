import { sqliteTable, text, integer, index, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { users } from './identity'
import { conversations, workspaces } from './messaging'

const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

/** Outgoing webhooks of a workspace: events are POSTed to `url`, signed with `secret`. */
export const webhooks = sqliteTable('webhooks', {
  id: text('id').primaryKey(),
  workspaceId: text('workspace_id').notNull().references(() => workspaces.id, { onDelete: 'cascade' }),
  url: text('url').notNull(),
  events: text('events', { mode: 'json' }).$type<string[]>().notNull(),
  /** Kept to sign deliveries (HMAC-SHA256); shown to the creator once. */
  secret: text('secret').notNull(),
  createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: timestamp('created_at').notNull(),
  /** Set by an admin, or automatically after repeated failures. */
  disabledAt: timestamp('disabled_at'),
  disabledReason: text('disabled_reason'),
  consecutiveFailures: integer('consecutive_failures').notNull().default(0),
  /** Deliver message events of the workspace's own incoming webhooks too (off: a bot cannot answer itself in a loop). */
  includeBotMessages: integer('include_bot_messages', { mode: 'boolean' }).notNull().default(false),
}, (table) => [index('webhooks_workspace_idx').on(table.workspaceId)])

export const webhookDeliveries = sqliteTable('webhook_deliveries', {
  id: text('id').primaryKey(),
  webhookId: text('webhook_id').notNull().references(() => webhooks.id, { onDelete: 'cascade' }),
  event: text('event').notNull(),
  payload: text('payload', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  status: text('status', { enum: ['pending', 'succeeded', 'failed'] }).notNull(),
  attempts: integer('attempts').notNull().default(0),
  responseCode: integer('response_code'),
  error: text('error'),
  createdAt: timestamp('created_at').notNull(),
  lastAttemptAt: timestamp('last_attempt_at'),
}, (table) => [index('webhook_deliveries_webhook_idx').on(table.webhookId, table.createdAt)])

/** Incoming webhooks: a secret URL that posts into one channel as a bot. */
export const incomingWebhooks = sqliteTable('incoming_webhooks', {
  id: text('id').primaryKey(),
  conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  tokenHash: text('token_hash').notNull(),
  createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: timestamp('created_at').notNull(),
  revokedAt: timestamp('revoked_at'),
}, (table) => [uniqueIndex('incoming_webhooks_token_unique').on(table.tokenHash)])
