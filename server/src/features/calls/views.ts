import { asc, eq, inArray } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { callParticipants, calls, users } from '../../db/schema'
import type { CallView } from './model'

export type CallRow = typeof calls.$inferSelect
export type CallParticipantRow = typeof callParticipants.$inferSelect

/** Calls with their participants and display names, in the order of `rows`. */
export function callViews(db: Db | Tx, rows: CallRow[], now = new Date()): CallView[] {
  if (rows.length === 0) return []
  const people = db
    .select({ participant: callParticipants, displayName: users.displayName })
    .from(callParticipants)
    .innerJoin(users, eq(users.id, callParticipants.userId))
    .where(inArray(callParticipants.callId, rows.map((row) => row.id)))
    .orderBy(asc(callParticipants.invitedAt), asc(callParticipants.userId))
    .all()
  const byCall = new Map<string, typeof people>()
  for (const person of people) byCall.set(person.participant.callId, [...(byCall.get(person.participant.callId) ?? []), person])
  return rows.map((row) => {
    const members = byCall.get(row.id) ?? []
    return {
      id: row.id,
      conversationId: row.conversationId,
      kind: row.kind,
      startedBy: row.startedBy,
      startedAt: row.startedAt.toISOString(),
      endedAt: row.endedAt?.toISOString() ?? null,
      endedReason: row.endedReason,
      active: row.endedAt === null,
      durationSeconds: durationSeconds(row, members.map((member) => member.participant), now),
      recording: row.recording,
      roomId: row.mediaRoomId,
      participants: members.map(({ participant, displayName }) => ({
        userId: participant.userId,
        displayName,
        state: participant.state,
        invitedAt: participant.invitedAt?.toISOString() ?? null,
        joinedAt: participant.joinedAt?.toISOString() ?? null,
        leftAt: participant.leftAt?.toISOString() ?? null,
      })),
    }
  })
}

/** A call lasts from its first answer (someone other than the caller joining) to its end. */
export function durationSeconds(call: CallRow, participants: CallParticipantRow[], now = new Date()): number {
  const answers = participants.filter((p) => p.userId !== call.startedBy && p.joinedAt).map((p) => p.joinedAt!.getTime())
  if (answers.length === 0) return 0
  const end = (call.endedAt ?? now).getTime()
  return Math.max(0, Math.round((end - Math.min(...answers)) / 1000))
}

export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  const pad = (n: number) => String(n).padStart(2, '0')
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`
}
