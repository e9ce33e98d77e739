import { sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { mailOutbox } from './mail'

/**
 * The outbox copy to keep once SMTP has a queued mail: its text with tokens and links masked. It is
 * computed when the mail is recorded, so the worker that delivers later never needs the secrets.
 */
export const mailRedactions = sqliteTable('mail_redactions', {
  mailId: text('mail_id').primaryKey().references(() => mailOutbox.id, { onDelete: 'cascade' }),
  text: text('text').notNull(),
})
