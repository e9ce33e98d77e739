import { sql } from 'drizzle-orm'
import { sqliteTable, text, integer, index, primaryKey, uniqueIndex } from 'drizzle-orm/sqlite-core'
import { users } from './identity'
import { conversations } from './messaging'

const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

export const CALL_KINDS = ['audio', 'video'] as const
export type CallKind = (typeof CALL_KINDS)[number]
/** ended: someone ended it for all · everyone_left: the last joined participant left · declined / unanswered: nobody took the call. */
export const CALL_END_REASONS = ['ended', 'everyone_left', 'declined', 'unanswered'] as const
export type CallEndReason = (typeof CALL_END_REASONS)[number]
export const CALL_PARTICIPANT_STATES = ['ringing', 'accepted', 'declined', 'missed', 'joined', 'left'] as const
export type CallParticipantState = (typeof CALL_PARTICIPANT_STATES)[number]

/** One call in a conversation; at most one per conversation has no endedAt (a partial unique index). */
export const calls = sqliteTable('calls', {
  id: text('id').primaryKey(),
  conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
  kind: text('kind', { enum: CALL_KINDS }).notNull(),
  startedBy: text('started_by').references(() => users.id, { onDelete: 'set null' }),
  startedAt: timestamp('started_at').notNull(),
  endedAt: timestamp('ended_at'),
  endedReason: text('ended_reason', { enum: CALL_END_REASONS }),
  recording: integer('recording', { mode: 'boolean' }).notNull().default(false),
  /** The room on the media process (the call id unless the media process names rooms itself). */
  mediaRoomId: text('media_room_id').notNull(),
}, (table) => [
  uniqueIndex('calls_one_active_per_conversation').on(table.conversationId).where(sql`ended_at is null`),
  index('calls_conversation_idx').on(table.conversationId, table.id),
])

/** Everyone rung or who joined; joinedAt is the first join, leftAt the latest leave. */
export const callParticipants = sqliteTable('call_participants', {
  callId: text('call_id').notNull().references(() => calls.id, { onDelete: 'cascade' }),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  state: text('state', { enum: CALL_PARTICIPANT_STATES }).notNull(),
  invitedAt: timestamp('invited_at'),
  joinedAt: timestamp('joined_at'),
  leftAt: timestamp('left_at'),
}, (table) => [
  primaryKey({ columns: [table.callId, table.userId] }),
  index('call_participants_user_idx').on(table.userId, table.callId),
  index('call_participants_ringing_idx').on(table.state, table.invitedAt),
])
