import { Elysia } from 'elysia'
import type { AppContext } from '../../context'
import { errors } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import { ConversationParams, CreateExportBody, DownloadQuery, ExportDownload, ExportList, ExportParams, ExportView } from './model'

const bearer = [{ bearer: [] }]

export function reportRoutes(ctx: AppContext) {
  const { exports } = ctx.services
  return new Elysia({ tags: ['reports'] })
    .use(authGuard(ctx))
    .post('/conversations/:id/exports', async ({ auth, params, body, set }) => {
      const created = await exports.create(auth.user.id, params.id, body)
      set.status = 202
      return created
    }, {
      auth: true,
      params: ConversationParams,
      body: CreateExportBody,
      response: { 202: ExportView, ...errors(401, 403, 404, 422, 429, 503) },
      detail: {
        summary: 'Export a conversation\'s history as Markdown or JSON lines (a job on the `reports` queue)',
        description: 'Participants only (anyone else: 404); a lounge only by its moderators (403 NOT_LOUNGE_MODERATOR). At most 3 running exports per user (429 TOO_MANY_EXPORTS). Answers 202; progress arrives as `job.progress` events and at GET /exports/{id}. 503 JOBS_UNAVAILABLE when the queue store is unreachable (nothing was accepted).',
        security: bearer,
      },
    })
    .get('/exports', ({ auth }) => exports.list(auth.user.id), {
      auth: true,
      response: { 200: ExportList, ...errors(401, 429) },
      detail: { summary: 'My exports, newest first (at most 100)', security: bearer },
    })
    .get('/exports/:id', ({ auth, params }) => exports.get(auth.user.id, params.id), {
      auth: true,
      params: ExportParams,
      response: { 200: ExportView, ...errors(401, 404, 422, 429) },
      detail: { summary: 'Status, progress, error and file of my export (someone else\'s: 404)', security: bearer },
    })
    .get('/exports/:id/download', ({ auth, params, query, set }) => {
      const link = exports.downloadUrl(auth.user.id, params.id)
      if (query.redirect) {
        set.status = 302
        set.headers.location = link.url
      }
      return link
    }, {
      auth: true,
      params: ExportParams,
      query: DownloadQuery,
      response: { 200: ExportDownload, 302: ExportDownload, ...errors(401, 404, 409, 410, 422, 429) },
      detail: {
        summary: 'A short-lived signed URL of my finished export file',
        description: 'JSON `{ url, expiresAt }`, or with `redirect=true` a 302 to that URL. The URL works without a bearer token for FILE_URL_TTL_SECONDS (then 410 URL_EXPIRED). 409 EXPORT_NOT_READY until the export has completed; 410 EXPORT_EXPIRED once its `expiresAt` has passed (REPORT_TTL_HOURS after completion), 404 EXPORT_NOT_FOUND after the purge removed it.',
        security: bearer,
      },
    })
}
