import { t } from 'elysia'
import { Iso, strict } from '../../http/schemas'

export const MAX_MUTE_MINUTES = 43_200
/** A timed ban lasts at most a year; longer than that, ban for good. */
export const MAX_BAN_MINUTES = 525_600
export const MAX_SLOW_MODE_SECONDS = 3600
export const DEFAULT_LOG_PAGE = 50

export const MODERATION_ACTIONS = ['mute', 'unmute', 'ban', 'unban', 'slow_mode', 'delete_message', 'withdraw_listing'] as const
export const ModerationAction = t.UnionEnum(MODERATION_ACTIONS, { description: '`withdraw_listing`: a moderator withdrew someone else\'s marketplace listing (details: listingId, title, reason, closedOffers)' })
export type ModerationAction = typeof ModerationAction.static

const Id = t.String({ minLength: 1, maxLength: 64 })
const Reason = t.String({ maxLength: 500, description: 'Shown to moderators in the moderation log' })

export const ConversationParams = t.Object({ id: Id })
export const TargetParams = t.Object({ id: Id, userId: Id })
export const MessageParams = t.Object({ id: Id, messageId: Id })

export const MuteBody = t.Object(
  { userId: Id, minutes: t.Integer({ minimum: 1, maximum: MAX_MUTE_MINUTES }), reason: t.Optional(Reason) },
  { ...strict, title: 'MuteRequest' },
)
export type MuteInput = typeof MuteBody.static

export const BanBody = t.Object(
  { userId: Id, minutes: t.Optional(t.Integer({ minimum: 1, maximum: MAX_BAN_MINUTES, description: 'Absent: the ban is permanent' })), reason: t.Optional(Reason) },
  { ...strict, title: 'BanRequest' },
)
export type BanInput = typeof BanBody.static

export const SlowModeBody = t.Object(
  { seconds: t.Integer({ minimum: 0, maximum: MAX_SLOW_MODE_SECONDS, description: '0 turns slow mode off' }) },
  { ...strict, title: 'SlowModeRequest' },
)

export const DeleteMessageBody = t.Optional(t.Object({ reason: t.Optional(Reason) }, { ...strict, title: 'ModeratorDeleteRequest' }))

export const LogQuery = t.Object(
  {
    limit: t.Optional(t.Numeric({ minimum: 1, maximum: 200 })),
    before: t.Optional(t.String({ minLength: 1, maxLength: 64, description: 'An entry id: the page continues with older entries' })),
  },
  strict,
)

export const Mute = t.Object(
  { conversationId: t.String(), userId: t.String(), mutedBy: t.Union([t.String(), t.Null()]), reason: t.String(), createdAt: Iso, until: Iso },
  { title: 'Mute' },
)
export type Mute = typeof Mute.static

export const Ban = t.Object(
  { conversationId: t.String(), userId: t.String(), bannedBy: t.Union([t.String(), t.Null()]), reason: t.String(), createdAt: Iso, expiresAt: t.Union([Iso, t.Null()], { description: 'null: permanent' }) },
  { title: 'Ban' },
)
export type Ban = typeof Ban.static

export const SlowMode = t.Object({ conversationId: t.String(), seconds: t.Integer() }, { title: 'SlowMode' })

export const LogEntry = t.Object(
  {
    id: t.String(),
    conversationId: t.String(),
    action: ModerationAction,
    actorId: t.Union([t.String(), t.Null()]),
    targetUserId: t.Union([t.String(), t.Null()]),
    messageId: t.Union([t.String(), t.Null()]),
    details: t.Record(t.String(), t.Unknown()),
    createdAt: Iso,
  },
  { title: 'ModerationLogEntry' },
)
export type LogEntry = typeof LogEntry.static

export const LogPage = t.Object({ entries: t.Array(LogEntry, { description: 'Newest first' }), hasMore: t.Boolean() }, { title: 'ModerationLogPage' })
