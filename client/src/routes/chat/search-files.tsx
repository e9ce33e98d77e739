import { api, call } from '../../api/client'
import { chat, conversationTitle } from '../../chat/store'

/** One hit of `GET /search/files`, as the server types it. */
export type FileHit = NonNullable<Awaited<ReturnType<typeof api.search.files.get>>['data']>['results'][number]

const KIND_LABELS: Record<FileHit['file']['kind'], string> = { image: 'Image', video: 'Video', audio: 'Audio', other: 'File' }
const sizeLabel = (bytes: number) => (bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`)

/** The line above a file hit: kind, size, where it was shared (or that it was not) and when it was uploaded. */
export function fileHitContext(hit: FileHit): string {
  const where = hit.attachedTo
    ? (() => {
        const conversation = chat.conversations[hit.attachedTo.conversation.id]
        return conversation ? conversationTitle(conversation) : (hit.attachedTo.conversation.name ?? 'Conversation')
      })()
    : 'Not shared'
  return `${KIND_LABELS[hit.file.kind]} · ${sizeLabel(hit.file.size)} · ${where} · ${new Date(hit.file.createdAt).toLocaleString()}`
}

/**
 * Where a file hit leads: the message that carries it (its thread for a reply), or, for a file of
 * yours not shared anywhere you can read, the file itself through a short-lived signed URL.
 */
export async function openFileHit(hit: FileHit, navigate: (to: string) => void): Promise<void> {
  const at = hit.attachedTo
  if (at) return navigate(at.parentId ? `/c/${at.conversation.id}?thread=${at.parentId}` : `/c/${at.conversation.id}?at=${at.seq}&focus=${at.messageId}`)
  const link = await call(() => api.files({ id: hit.file.id }).url.get({ query: {} }))
  window.open(link.url, '_blank', 'noopener')
}
