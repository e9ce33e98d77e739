import { t } from 'elysia'
import { Iso, NullableIso, strict } from '../../http/schemas'

export const MAX_GROUP_SIZE = 50

export const Id = t.String({ minLength: 1, maxLength: 64 })
export const ConversationIdParams = t.Object({ id: Id })
export const ParticipantParams = t.Object({ id: Id, userId: Id })

export const ConversationKind = t.Union([t.Literal('channel'), t.Literal('group'), t.Literal('dm'), t.Literal('lounge')])
export const NotificationLevel = t.Union([t.Literal('all'), t.Literal('mentions'), t.Literal('none')])
export const ParticipantRole = t.Union([t.Literal('owner'), t.Literal('moderator'), t.Literal('member')])

export const CHANNEL_NAME_PATTERN = '^[a-z0-9_-]{1,80}$'
export const ChannelName = t.String({ pattern: CHANNEL_NAME_PATTERN, description: 'Lower-case letters, digits, dash or underscore; 1–80; unique in the workspace' })
/** Group and lounge names are free text shown as written. */
export const DisplayName = t.String({ minLength: 1, maxLength: 80, pattern: '\\S' })
export const Topic = t.String({ maxLength: 250 })
export const Description = t.String({ maxLength: 2000 })

const UserIds = (options: { minItems: number; maxItems: number }) => t.Array(Id, { ...options, uniqueItems: true })

export const CreateChannelBody = t.Object(
  {
    kind: t.Literal('channel'),
    workspaceId: Id,
    name: ChannelName,
    isPrivate: t.Optional(t.Boolean()),
    topic: t.Optional(Topic),
    description: t.Optional(Description),
    memberIds: t.Optional(UserIds({ minItems: 0, maxItems: 200 })),
  },
  { ...strict, title: 'CreateChannel' },
)
export const CreateGroupBody = t.Object(
  {
    kind: t.Literal('group'),
    memberIds: UserIds({ minItems: 1, maxItems: MAX_GROUP_SIZE - 1 }),
    name: t.Optional(DisplayName),
    workspaceId: t.Optional(Id),
  },
  { ...strict, title: 'CreateGroup' },
)
export const CreateDmBody = t.Object({ kind: t.Literal('dm'), userId: Id }, { ...strict, title: 'CreateDm' })
export const CreateLoungeBody = t.Object(
  { kind: t.Literal('lounge'), name: DisplayName, topic: t.Optional(Topic), description: t.Optional(Description) },
  { ...strict, title: 'CreateLounge' },
)
export const CreateConversationBody = t.Union([CreateChannelBody, CreateGroupBody, CreateDmBody, CreateLoungeBody])
export type CreateConversationInput = typeof CreateConversationBody.static

export const UpdateConversationBody = t.Object(
  {
    name: t.Optional(t.Union([DisplayName, t.Null()], { description: 'Channels: the channel-name rule; groups: null clears it' })),
    topic: t.Optional(Topic),
    description: t.Optional(Description),
    isPrivate: t.Optional(t.Boolean({ description: 'Channels only' })),
  },
  strict,
)
export type UpdateConversationInput = typeof UpdateConversationBody.static

export const UpdateMySettingsBody = t.Object(
  { muted: t.Optional(t.Boolean()), pinned: t.Optional(t.Boolean()), notificationLevel: t.Optional(NotificationLevel) },
  strict,
)
export type UpdateMySettingsInput = typeof UpdateMySettingsBody.static

export const MarkReadBody = t.Object({ seq: t.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) }, strict)
export const AddParticipantsBody = t.Object({ userIds: UserIds({ minItems: 1, maxItems: 200 }) }, strict)

export const ListConversationsQuery = t.Object({ workspaceId: t.Optional(Id), kind: t.Optional(ConversationKind) }, strict)
export const BrowseQuery = t.Object({ workspaceId: Id }, strict)
export const PageQuery = t.Object(
  { limit: t.Optional(t.Numeric({ minimum: 1, maximum: 200 })), offset: t.Optional(t.Numeric({ minimum: 0, maximum: 1_000_000 })) },
  strict,
)

export const UserRef = t.Object(
  { id: t.String(), username: t.String(), displayName: t.String(), avatarUrl: t.Union([t.String(), t.Null()]) },
  { title: 'UserRef' },
)
export type UserRef = typeof UserRef.static

/** The caller's own participation: private to them, never shown to others. */
export const MySettings = t.Object(
  {
    role: ParticipantRole,
    joinedAt: Iso,
    muted: t.Boolean(),
    pinned: t.Boolean(),
    notificationLevel: NotificationLevel,
    lastReadSeq: t.Integer(),
    unreadCount: t.Integer({ description: 'lastSeq - lastReadSeq; deleted messages keep their seq' }),
  },
  { title: 'MySettings' },
)
export type MySettings = typeof MySettings.static

const conversationFields = {
  id: t.String(),
  kind: ConversationKind,
  name: t.Union([t.String(), t.Null()]),
  topic: t.String(),
  description: t.String(),
  isPrivate: t.Boolean(),
  archived: t.Boolean(),
  archivedAt: NullableIso,
  workspaceId: t.Union([t.String(), t.Null()]),
  createdBy: t.Union([t.String(), t.Null()]),
  lastSeq: t.Integer(),
  lastMessageAt: NullableIso,
  createdAt: Iso,
}

/** The state every participant shares (what a management action or a realtime update carries). */
export const Conversation = t.Object(conversationFields, { title: 'Conversation' })
export type Conversation = typeof Conversation.static

/** One conversation as the signed-in participant sees it: sidebar entry and detail. */
export const ConversationSummary = t.Object(
  {
    ...conversationFields,
    name: t.Union([t.String(), t.Null()], { description: "For DMs the other user's display name" }),
    dmPeer: t.Union([UserRef, t.Null()], { description: 'For DMs the other user (yourself in a notes-to-self DM)' }),
    me: MySettings,
  },
  { title: 'ConversationSummary' },
)
export type ConversationSummary = typeof ConversationSummary.static

/** A joinable public channel or lounge, for browsing before joining. */
export const ConversationListing = t.Object(
  {
    id: t.String(),
    kind: ConversationKind,
    name: t.Union([t.String(), t.Null()]),
    topic: t.String(),
    description: t.String(),
    workspaceId: t.Union([t.String(), t.Null()]),
    archived: t.Boolean(),
    memberCount: t.Integer(),
    joined: t.Boolean(),
  },
  { title: 'ConversationListing' },
)
export type ConversationListing = typeof ConversationListing.static

export const Participant = t.Object(
  {
    user: UserRef,
    role: ParticipantRole,
    joinedAt: Iso,
    lastReadSeq: t.Optional(t.Integer({ description: 'DMs and groups only: how far this person has read (read receipts); channels and lounges keep it private' })),
  },
  { title: 'Participant' },
)
export type Participant = typeof Participant.static

export const ReadState = t.Object({ lastReadSeq: t.Integer(), unreadCount: t.Integer() }, { title: 'ReadState' })
