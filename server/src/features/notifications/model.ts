import { t } from 'elysia'
import { NullableIso, Iso, strict } from '../../http/schemas'
import { NOTIFICATION_KINDS } from '../../db/schema'

export const DEFAULT_NOTIFICATION_PAGE = 50
export const MAX_NOTIFICATION_PAGE = 200
export const PREVIEW_LENGTH = 140

const Nullable = <T extends ReturnType<typeof t.String>>(schema: T) => t.Union([schema, t.Null()])

export const NotificationPreview = t.Object(
  {
    senderName: Nullable(t.String({ description: 'Display name of who caused it' })),
    conversationName: Nullable(t.String({ description: 'Null for DMs and invites' })),
    workspaceName: Nullable(t.String({ description: 'Invites only' })),
    text: t.String({ description: `The first ${PREVIEW_LENGTH} characters of the message as it reads now; empty once deleted` }),
  },
  { title: 'NotificationPreview' },
)

export const Notification = t.Object(
  {
    id: t.String(),
    kind: t.UnionEnum(NOTIFICATION_KINDS),
    actorId: Nullable(t.String()),
    conversationId: Nullable(t.String()),
    messageId: Nullable(t.String()),
    threadRootId: Nullable(t.String({ description: 'For a reply: the root of its thread' })),
    workspaceId: Nullable(t.String()),
    silent: t.Boolean({ description: 'The conversation is muted: show it, but without sound or a system notification' }),
    createdAt: Iso,
    readAt: NullableIso,
    preview: NotificationPreview,
  },
  { title: 'Notification' },
)
export type NotificationView = typeof Notification.static

export const ListQuery = t.Object({
  unread: t.Optional(t.BooleanString({ description: 'Only unread notifications' })),
  limit: t.Optional(t.Numeric({ minimum: 1, maximum: MAX_NOTIFICATION_PAGE })),
  before: t.Optional(t.String({ minLength: 1, maxLength: 64, description: 'The id of the last notification you hold; the page continues after it' })),
})

export const NotificationPage = t.Object({ notifications: t.Array(Notification), hasMore: t.Boolean() }, { title: 'NotificationPage' })

export const ReadAllBody = t.Object({ conversationId: t.Optional(t.String({ minLength: 1, maxLength: 64, description: 'Only this conversation' })) }, strict)

export const ReadAllResult = t.Object({ updated: t.Number() })

export const UnreadCount = t.Object(
  {
    total: t.Number({ description: 'Unread notifications, invites included' }),
    byConversation: t.Array(t.Object({ conversationId: t.String(), unread: t.Number(), mentions: t.Number({ description: 'Unread mention notifications' }) })),
  },
  { title: 'UnreadNotificationCount' },
)

export const DndBody = t.Object({ until: t.Union([Iso, t.Null()], { description: 'Do not disturb until this time; null (or a past time) turns it off' }) }, strict)

export const DndState = t.Object({ until: NullableIso, active: t.Boolean() }, { title: 'DoNotDisturb' })
export type DndStateView = typeof DndState.static
