import { sqliteTable, text, integer, index, primaryKey } from 'drizzle-orm/sqlite-core'
import { users } from './identity'

const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

/** 24-hour stories; an expired story leaves every listing at once and is purged by a scheduled job. */
export const stories = sqliteTable('stories', {
  id: text('id').primaryKey(),
  authorId: text('author_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  kind: text('kind', { enum: ['text', 'media'] }).notNull(),
  text: text('text').notNull().default(''),
  /** Storage id of the image or video (uploads land with the worker issue). */
  mediaId: text('media_id'),
  background: text('background'),
  createdAt: timestamp('created_at').notNull(),
  expiresAt: timestamp('expires_at').notNull(),
}, (table) => [index('stories_author_idx').on(table.authorId, table.createdAt), index('stories_expires_idx').on(table.expiresAt)])

export const storyViews = sqliteTable('story_views', {
  storyId: text('story_id').notNull().references(() => stories.id, { onDelete: 'cascade' }),
  viewerId: text('viewer_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  viewedAt: timestamp('viewed_at').notNull(),
}, (table) => [primaryKey({ columns: [table.storyId, table.viewerId] })])
