import { sqliteTable, text, integer, index, primaryKey } from 'drizzle-orm/sqlite-core'
import { users } from './identity'
import { messages } from './messaging'

const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

export const FILE_KINDS = ['image', 'video', 'audio', 'other'] as const
/** `uploading`: bytes still arriving (resumable); `ready`: stored and usable. */
export const FILE_STATUSES = ['uploading', 'ready'] as const
/** Derived media (thumbnails, poster, rendition, waveform) made by the `media` job. */
export const PROCESSING_STATES = ['none', 'pending', 'done', 'failed'] as const

/** One derived object of a file: a thumbnail size, the poster frame or the web rendition. */
export interface FileVariant {
  key: string
  mime: string
  size: number
  width?: number
  height?: number
}

export interface FileMeta {
  width?: number
  height?: number
  durationMs?: number
  /** Voice messages: peak levels 0–1, evenly spaced over the duration. */
  waveform?: number[]
  variants?: Record<string, FileVariant>
}

export const files = sqliteTable('files', {
  id: text('id').primaryKey(),
  ownerId: text('owner_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  /** Sanitised display name; never used as a storage path. */
  name: text('name').notNull(),
  /** Decided from the first bytes (magic numbers), never from the client's claim. */
  mime: text('mime').notNull().default('application/octet-stream'),
  kind: text('kind', { enum: FILE_KINDS }).notNull().default('other'),
  /** The client asked for voice-message treatment (waveform). */
  voice: integer('voice', { mode: 'boolean' }).notNull().default(false),
  status: text('status', { enum: FILE_STATUSES }).notNull(),
  /** Stored bytes once ready; the declared total while uploading. */
  size: integer('size').notNull(),
  /** Bytes received so far (resumable uploads). */
  uploadOffset: integer('upload_offset').notNull().default(0),
  storageKey: text('storage_key'),
  processing: text('processing', { enum: PROCESSING_STATES }).notNull().default('none'),
  meta: text('meta', { mode: 'json' }).$type<FileMeta>().notNull().default({}),
  createdAt: timestamp('created_at').notNull(),
  completedAt: timestamp('completed_at'),
  /** An upload never completed by then is purged by the `scheduled` queue. */
  expiresAt: timestamp('expires_at'),
}, (table) => [index('files_owner_idx').on(table.ownerId), index('files_status_expires_idx').on(table.status, table.expiresAt)])

/** Files attached to a message; members of its conversation may fetch them. */
export const messageAttachments = sqliteTable('message_attachments', {
  messageId: text('message_id').notNull().references(() => messages.id, { onDelete: 'cascade' }),
  fileId: text('file_id').notNull().references(() => files.id, { onDelete: 'cascade' }),
  position: integer('position').notNull(),
}, (table) => [primaryKey({ columns: [table.messageId, table.fileId] }), index('message_attachments_file_idx').on(table.fileId)])
