import { sqliteTable, text, integer, index } from 'drizzle-orm/sqlite-core'
import { users } from './identity'

const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

export const IMAGE_OPERATIONS = ['remove-background', 'enhance'] as const
export const IMAGE_JOB_STATUSES = ['queued', 'active', 'completed', 'failed'] as const
export const SOCIAL_FORMATS = ['original', 'square', 'portrait', 'story', 'landscape'] as const

export interface ImageJobOptions {
  /** remove-background: also composite the cut-out onto this colour (`#rrggbb`). */
  background?: string
  /** remove-background: also composite the cut-out onto this image (a file id; scaled to cover the cut-out). */
  backgroundFileId?: string
  /** enhance: auto-level (stretch the histogram). */
  normalize?: boolean
  /** enhance: median filter size (0 = off, 3 or 5). */
  denoise?: number
  /** enhance: unsharp mask. */
  sharpen?: boolean
  /** enhance: one output per format. */
  formats?: Array<(typeof SOCIAL_FORMATS)[number]>
}

/** One result image; `key` is a storage key (never a client-chosen path). */
export interface ImageOutput {
  input: number
  name: string
  key: string
  mime: string
  size: number
  width: number
  height: number
}

/** An image job: inputs are file ids (checked owned and ready at creation), outputs land in storage. */
export const imageJobs = sqliteTable('image_jobs', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  operation: text('operation', { enum: IMAGE_OPERATIONS }).notNull(),
  options: text('options', { mode: 'json' }).$type<ImageJobOptions>().notNull(),
  fileIds: text('file_ids', { mode: 'json' }).$type<string[]>().notNull(),
  status: text('status', { enum: IMAGE_JOB_STATUSES }).notNull(),
  percent: integer('percent').notNull().default(0),
  stage: text('stage').notNull().default('queued'),
  outputs: text('outputs', { mode: 'json' }).$type<ImageOutput[]>().notNull().default([]),
  /** The zip of every output, written once the last image is done. */
  archiveKey: text('archive_key'),
  error: text('error'),
  createdAt: timestamp('created_at').notNull(),
  completedAt: timestamp('completed_at'),
}, (table) => [index('image_jobs_user_idx').on(table.userId, table.createdAt)])
