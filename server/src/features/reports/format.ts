import type { MessageView } from '../messages/model'

/** What the writers need beside a message view: display names and attachment file names. */
export interface ExportLookups {
  names: Map<string, string>
  fileNames: Map<string, string>
}

export interface ExportHeader {
  conversation: { id: string; kind: string; name: string | null; topic: string }
  exportedAt: string
  exportedBy: string
  format: 'markdown' | 'json'
  from: string | null
  to: string | null
  includeThreads: boolean
}

/** A deleted message keeps its place (seq, time, sender) and nothing of what it said. */
export function tombstoned(view: MessageView): MessageView {
  return view.deletedAt ? { ...view, content: '', mentions: { users: [], channel: false, here: false }, reactions: [], attachments: [], pinned: false } : view
}

export function jsonHeader(header: ExportHeader): string {
  return `${JSON.stringify({ type: 'header', ...header })}\n`
}

export function jsonMessage(view: MessageView): string {
  return `${JSON.stringify({ type: 'message', message: tombstoned(view) })}\n`
}

export function markdownHeader(header: ExportHeader): string {
  const title = header.conversation.name ?? header.conversation.kind
  const range = header.from || header.to ? ` · from ${header.from ?? 'the start'} to ${header.to ?? 'now'}` : ''
  return `# ${title}\n\nExported ${header.exportedAt} (UTC times)${range}\n`
}

const day = (isoDate: string) => isoDate.slice(0, 10)
const clock = (isoDate: string) => isoDate.slice(11, 16)

/**
 * One message as Markdown lines: `**Name** hh:mm`, its text (`(edited)` after it), a reactions
 * summary and attachment names with their file ids. Thread replies are the same block quoted.
 */
export function markdownMessage(view: MessageView, lookups: ExportLookups, reply: boolean): string {
  // A deleted account leaves its messages without a sender; only system messages never had one.
  const name = view.type === 'system' ? 'System' : (view.senderId && lookups.names.get(view.senderId)) || 'Deleted user'
  const lines = [`**${escapeMarkdown(name)}** ${clock(view.createdAt)}`]
  if (view.deletedAt) {
    lines.push('_(message deleted)_')
  } else {
    const text = view.content.split('\n')
    if (view.editedAt) text[text.length - 1] += ' (edited)'
    lines.push(...text)
    if (view.reactions.length) lines.push(`Reactions: ${view.reactions.map((r) => `${r.emoji} ${r.count}`).join(' · ')}`)
    if (view.attachments.length) lines.push(`Attachments: ${view.attachments.map((id) => `${lookups.fileNames.get(id) ?? 'file'} (${id})`).join(', ')}`)
  }
  return `${lines.map((line) => (reply ? `> ${line}` : line)).join('\n')}\n\n`
}

/** A day heading when a top-level message starts a new day (UTC). */
export function markdownDay(previous: string | null, view: MessageView): string {
  return previous === day(view.createdAt) ? '' : `\n## ${day(view.createdAt)}\n\n`
}

export function dayOf(view: MessageView): string {
  return day(view.createdAt)
}

/** Names are shown as written; only characters that would change the emphasis are escaped. */
function escapeMarkdown(text: string): string {
  return text.replace(/([\\*_`])/g, '\\$1')
}
