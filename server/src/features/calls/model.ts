import { t } from 'elysia'
import { Iso, NullableIso, strict } from '../../http/schemas'
import type { CallEndReason, CallKind, CallParticipantState } from '../../db/schema'

export const DEFAULT_CALL_PAGE = 20
export const MAX_CALL_PAGE = 100

const Id = t.String({ minLength: 1, maxLength: 64 })
// Literal unions, not t.UnionEnum: that one defaults to its first value, so a missing `kind` would silently mean audio.
const CallKindSchema = (options: { description?: string } = {}) => t.Union([t.Literal('audio'), t.Literal('video')], options)
const EndReason = t.Union([t.Literal('ended'), t.Literal('everyone_left'), t.Literal('declined'), t.Literal('unanswered')])
const ParticipantState = t.Union([t.Literal('ringing'), t.Literal('accepted'), t.Literal('declined'), t.Literal('missed'), t.Literal('joined'), t.Literal('left')])

export const CallParams = t.Object({ id: Id })
export const ConversationParams = t.Object({ id: Id })

export const StartCallBody = t.Object(
  {
    kind: CallKindSchema({ description: '`audio` or `video`' }),
    recording: t.Optional(t.Boolean({ description: 'Opt-in recording; everyone sees the indicator (`recording: true` on the call)' })),
  },
  { ...strict, title: 'StartCallRequest' },
)
export type StartCallInput = typeof StartCallBody.static

export const HistoryQuery = t.Object(
  {
    limit: t.Optional(t.Numeric({ minimum: 1, maximum: MAX_CALL_PAGE })),
    before: t.Optional(t.String({ minLength: 1, maxLength: 64, description: 'The id of the oldest call you hold; the page continues after it' })),
  },
  strict,
)
export type HistoryRequest = typeof HistoryQuery.static

export const CallParticipant = t.Object(
  {
    userId: t.String(),
    displayName: t.String(),
    state: ParticipantState,
    invitedAt: NullableIso,
    joinedAt: t.Union([Iso, t.Null()], { description: 'The first time this user joined' }),
    leftAt: t.Union([Iso, t.Null()], { description: 'The latest time this user left' }),
  },
  { title: 'CallParticipant' },
)

export const Call = t.Object(
  {
    id: t.String(),
    conversationId: t.String(),
    kind: CallKindSchema(),
    startedBy: t.Union([t.String(), t.Null()]),
    startedAt: Iso,
    endedAt: NullableIso,
    endedReason: t.Union([EndReason, t.Null()], { description: '`ended` (ended for all), `everyone_left`, `declined`, `unanswered`; null while running' }),
    active: t.Boolean(),
    durationSeconds: t.Integer({ description: 'From the first answer to the end (or now while running); 0 when nobody answered' }),
    recording: t.Boolean(),
    roomId: t.String({ description: 'The media room; signaling requests are relayed into it' }),
    participants: t.Array(CallParticipant),
  },
  { title: 'Call' },
)
export type CallView = typeof Call.static

export const CallPage = t.Object({ calls: t.Array(Call), hasMore: t.Boolean() }, { title: 'CallPage' })

// The schemas above must list exactly the database's values.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never
const inSync: [Same<typeof Call.static.kind, CallKind>, Same<NonNullable<typeof Call.static.endedReason>, CallEndReason>, Same<typeof CallParticipant.static.state, CallParticipantState>] = [true, true, true]
void inSync

export const RecordingBody = t.Object(
  { on: t.Boolean({ description: '`true` starts recording every producer of the call, `false` stops it' }) },
  { ...strict, title: 'CallRecordingRequest' },
)
