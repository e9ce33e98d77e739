import type { files } from '../../db/schema'
import type { FileViewType } from './model'

export type FileRow = typeof files.$inferSelect

const iso = (date: Date | null) => date?.toISOString() ?? null

/** A file row to the API shape; storage keys never leave the server. */
export function toFileView(row: FileRow): FileViewType {
  const variants: FileViewType['variants'] = {}
  for (const [name, variant] of Object.entries(row.meta.variants ?? {})) {
    variants[name] = { mime: variant.mime, size: variant.size, ...(variant.width ? { width: variant.width, height: variant.height } : {}) }
  }
  return {
    id: row.id,
    ownerId: row.ownerId,
    name: row.name,
    mime: row.mime,
    kind: row.kind,
    voice: row.voice,
    status: row.status,
    size: row.size,
    uploadOffset: row.uploadOffset,
    processing: row.processing,
    width: row.meta.width ?? null,
    height: row.meta.height ?? null,
    durationMs: row.meta.durationMs ?? null,
    waveform: row.meta.waveform ?? null,
    variants,
    createdAt: row.createdAt.toISOString(),
    completedAt: iso(row.completedAt),
    expiresAt: iso(row.expiresAt),
  }
}
