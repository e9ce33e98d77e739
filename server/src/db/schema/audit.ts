import { sqliteTable, text, integer, index } from 'drizzle-orm/sqlite-core'

/** Security events; user ids are kept as plain text so the trail outlives deleted accounts. */
export const auditLog = sqliteTable('audit_log', {
  id: text('id').primaryKey(),
  at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  action: text('action').notNull(),
  actorUserId: text('actor_user_id'),
  targetUserId: text('target_user_id'),
  ip: text('ip'),
  userAgent: text('user_agent'),
  details: text('details', { mode: 'json' }).$type<Record<string, unknown>>(),
}, (table) => [index('audit_log_at_idx').on(table.at), index('audit_log_target_idx').on(table.targetUserId), index('audit_log_action_idx').on(table.action)])
