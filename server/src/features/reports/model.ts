import { t, type Static } from 'elysia'
import { Iso, NullableIso } from '../../http/schemas'

const Id = t.String({ minLength: 1, maxLength: 64 })

/** Running (queued or active) exports one user may have at once; one more is 429. */
export const MAX_RUNNING_EXPORTS = 3

export const CreateExportBody = t.Object(
  {
    format: t.Union([t.Literal('markdown'), t.Literal('json')], { description: '`markdown`: a readable transcript with day headings; `json`: JSON lines, a header line then one message view per line' }),
    from: t.Optional(t.String({ format: 'date-time', description: 'Only messages created at or after this instant' })),
    to: t.Optional(t.String({ format: 'date-time', description: 'Only messages created before this instant' })),
    includeThreads: t.Optional(t.Boolean({ description: 'Also export thread replies, under their root (default false)' })),
  },
  { additionalProperties: false },
)
export type CreateExportBody = Static<typeof CreateExportBody>

export const ConversationParams = t.Object({ id: Id })
export const ExportParams = t.Object({ id: Id })

export const ExportView = t.Object({
  id: t.String(),
  conversationId: t.String(),
  format: t.Union([t.Literal('markdown'), t.Literal('json')]),
  from: NullableIso,
  to: NullableIso,
  includeThreads: t.Boolean(),
  status: t.Union([t.Literal('queued'), t.Literal('active'), t.Literal('completed'), t.Literal('failed')]),
  percent: t.Integer({ minimum: 0, maximum: 100 }),
  stage: t.String(),
  messageCount: t.Integer({ description: 'Messages written so far' }),
  fileId: t.Union([t.String(), t.Null()], { description: 'The export file (yours), once completed' }),
  error: t.Union([t.String(), t.Null()]),
  createdAt: Iso,
  completedAt: NullableIso,
  expiresAt: t.Union([Iso, t.Null()], { description: 'Set once the export completed or failed: REPORT_TTL_HOURS later the export and its file are deleted (download: 410 EXPORT_EXPIRED, then 404)' }),
})
export type ExportView = Static<typeof ExportView>

export const ExportList = t.Object({ exports: t.Array(ExportView) })

export const DownloadQuery = t.Object({ redirect: t.Optional(t.BooleanString({ description: 'Answer 302 to the signed URL instead of JSON' })) }, { additionalProperties: false })

export const ExportDownload = t.Object({ url: t.String({ description: 'Signed path under the API origin, usable without a bearer token' }), expiresAt: Iso })
