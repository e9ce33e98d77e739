import { sqliteTable, text, integer, index, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { users } from './identity'

const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

/**
 * The server's VAPID key pair (P-256, base64url), generated at first start and kept: every browser
 * subscription is bound to the public key, so replacing it would silently orphan them all.
 */
export const pushVapidKeys = sqliteTable('push_vapid_keys', {
  id: text('id').primaryKey(),
  publicKey: text('public_key').notNull(),
  privateKey: text('private_key').notNull(),
  createdAt: timestamp('created_at').notNull(),
})

/** One browser's push subscription; the endpoint identifies the browser profile, so it belongs to one user at a time. */
export const pushSubscriptions = sqliteTable('push_subscriptions', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  /**
   * The sign-in that subscribed it: once that session is revoked, expired or purged, this browser
   * gets nothing more. No foreign key: SQLite cannot add one with a cascade to an existing table.
   */
  sessionId: text('session_id'),
  endpoint: text('endpoint').notNull(),
  /** The browser's P-256 public key and auth secret (base64url); payloads are encrypted to them. */
  p256dh: text('p256dh').notNull(),
  auth: text('auth').notNull(),
  userAgent: text('user_agent'),
  expiresAt: timestamp('expires_at'),
  createdAt: timestamp('created_at').notNull(),
  lastSuccessAt: timestamp('last_success_at'),
}, (table) => [uniqueIndex('push_subscriptions_endpoint_unique').on(table.endpoint), index('push_subscriptions_user_idx').on(table.userId)])
