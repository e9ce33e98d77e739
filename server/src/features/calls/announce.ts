import type { CallEndReason, CallKind } from '../../db/schema'
import { formatDuration } from './views'

const label = (kind: CallKind) => (kind === 'video' ? 'video call' : 'audio call')
const aLabel = (kind: CallKind) => (kind === 'video' ? 'a video call' : 'an audio call')
const capital = (text: string) => text[0]!.toUpperCase() + text.slice(1)

/** The system-message texts of a call; names are display names at the time of the change. */
export const announce = {
  started: (caller: string, kind: CallKind) => `📞 ${caller} started ${aLabel(kind)}`,
  ended: (kind: CallKind, reason: CallEndReason, caller: string, seconds: number, joined: string[]) => {
    if (reason === 'declined') return `📞 ${caller}'s ${label(kind)} was declined`
    if (reason === 'unanswered') return `📞 Missed ${label(kind)} from ${caller}`
    return `📞 ${capital(label(kind))} ended · ${formatDuration(seconds)} · ${joined.join(', ')}`
  },
}
