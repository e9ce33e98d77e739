import { sqliteTable, text, integer, index } from 'drizzle-orm/sqlite-core'

/** Every outgoing mail is recorded; without SMTP this table is the dev outbox. */
export const mailOutbox = sqliteTable('mail_outbox', {
  id: text('id').primaryKey(),
  to: text('to').notNull(),
  subject: text('subject').notNull(),
  text: text('text').notNull(),
  kind: text('kind').notNull(),
  status: text('status', { enum: ['stored', 'sent', 'failed'] }).notNull(),
  error: text('error'),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
}, (table) => [index('mail_outbox_created_idx').on(table.createdAt)])
