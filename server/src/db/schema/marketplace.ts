import { sqliteTable, text, integer, index } from 'drizzle-orm/sqlite-core'
import { users } from './identity'
import { conversations } from './messaging'

const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

/** A listing posted in a lounge. Prices are integer minor units (cents) with an ISO 4217 currency. */
export const listings = sqliteTable('listings', {
  id: text('id').primaryKey(),
  conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
  sellerId: text('seller_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  title: text('title').notNull(),
  description: text('description').notNull().default(''),
  priceMinor: integer('price_minor').notNull(),
  currency: text('currency').notNull(),
  /** Storage ids of images (uploads land with the worker issue). */
  imageIds: text('image_ids', { mode: 'json' }).$type<string[]>().notNull(),
  status: text('status', { enum: ['active', 'reserved', 'sold', 'withdrawn'] }).notNull(),
  createdAt: timestamp('created_at').notNull(),
  updatedAt: timestamp('updated_at').notNull(),
}, (table) => [index('listings_conversation_idx').on(table.conversationId, table.createdAt)])

/** An offer is also the transaction record: offered → accepted → completed, or declined/cancelled. */
export const offers = sqliteTable('offers', {
  id: text('id').primaryKey(),
  listingId: text('listing_id').notNull().references(() => listings.id, { onDelete: 'cascade' }),
  buyerId: text('buyer_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  amountMinor: integer('amount_minor').notNull(),
  currency: text('currency').notNull(),
  message: text('message').notNull().default(''),
  status: text('status', { enum: ['offered', 'accepted', 'declined', 'completed', 'cancelled'] }).notNull(),
  createdAt: timestamp('created_at').notNull(),
  updatedAt: timestamp('updated_at').notNull(),
}, (table) => [index('offers_listing_idx').on(table.listingId)])
