import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { UnsupportedMediaTypeError } from '../../errors'
import { errors, ErrorResponse, NoContent } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import { ChunkHeaders, ContentQuery, CreateUploadBody, FileParams, FileView, SignedUrl, SimpleUploadQuery, UploadCreated, UploadState, UrlQuery } from './model'

const bearer = [{ bearer: [] }]
const Bytes = t.Unknown({ description: 'The file bytes' })

/** File bytes arrive raw; a JSON-typed body was read by the JSON parser (platform.ts) and is refused. */
function rawBody(request: Request): ReadableStream<Uint8Array> | null {
  const type = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? ''
  if (type === 'application/json' || type.endsWith('+json')) throw new UnsupportedMediaTypeError('Send the file bytes with their own type or application/octet-stream, not as JSON', { code: 'RAW_BODY_REQUIRED' })
  return request.body
}

/**
 * Uploads (simple and resumable), file metadata, signed URLs and the signed download itself. The
 * two upload routes that carry file bytes are exempt from the JSON body parser (http/platform.ts
 * STREAMED_BODY_ROUTES): their bodies stream to disk.
 */
export function fileRoutes(ctx: AppContext) {
  const { files, fileDownloads } = ctx.services
  return new Elysia({ prefix: '/files', tags: ['files'] })
    .use(authGuard(ctx))
    .post('', async ({ auth, query, request, set }) => {
      const length = request.headers.get('content-length')
      const file = await files.simpleUpload(auth.user.id, { name: query.name, voice: query.voice }, rawBody(request), length === null ? null : Number(length))
      set.status = 201
      return file
    }, {
      auth: true,
      query: SimpleUploadQuery,
      response: { 201: FileView, ...errors(401, 409, 413, 422, 429, 503), 415: ErrorResponse },
      detail: {
        summary: 'Upload a small file in one request',
        description: 'The body is the raw file (any Content-Type; the type is decided from the bytes). At most `UPLOAD_SIMPLE_MAX_BYTES` and the limit of the detected kind (413 beyond, checked as bytes arrive). Images are re-encoded, which strips EXIF/GPS. Use resumable uploads for large files.',
        security: bearer,
      },
    })
    .post('/uploads', ({ auth, body, set }) => {
      set.status = 201
      return files.createUpload(auth.user.id, body)
    }, {
      auth: true,
      body: CreateUploadBody,
      response: { 201: UploadCreated, ...errors(400, 401, 413, 422, 429) },
      detail: {
        summary: 'Start a resumable upload',
        description: 'Declare the name and total size; then PATCH chunks at increasing offsets and POST …/complete. An upload not completed within `UPLOAD_TTL_HOURS` is purged.',
        security: bearer,
      },
    })
    .get('/uploads/:id', ({ auth, params, set }) => {
      const state = files.uploadState(auth.user.id, params.id)
      Object.assign(set.headers, { 'upload-offset': String(state.offset), 'upload-length': String(state.size), 'cache-control': 'no-store' })
      return { offset: state.offset, size: state.size, expiresAt: state.expiresAt?.toISOString() ?? null }
    }, {
      auth: true,
      params: FileParams,
      response: { 200: UploadState, ...errors(401, 404, 409, 410, 422, 429) },
      detail: { summary: 'Where a resumable upload stands', description: '`offset` (also in the `Upload-Offset` header) is the number of bytes received: resume there after an interrupted chunk. `HEAD` on the same URL answers 204 with just the headers (tus style).', security: bearer },
    })
    .head('/uploads/:id', ({ auth, params, set }) => {
      const state = files.uploadState(auth.user.id, params.id)
      set.status = 204
      Object.assign(set.headers, { 'upload-offset': String(state.offset), 'upload-length': String(state.size), 'cache-control': 'no-store' })
    }, {
      auth: true,
      params: FileParams,
      response: { 204: NoContent, ...errors(401, 404, 409, 410, 422, 429) },
      // A HEAD answer has no body to carry the error shape; GET is the documented form.
      detail: { summary: 'Where a resumable upload stands (headers only)', hide: true, security: bearer },
    })
    .patch('/uploads/:id', async ({ auth, params, headers, request, set }) => {
      const length = request.headers.get('content-length')
      const offset = await files.writeChunk(auth.user.id, params.id, headers['upload-offset'], rawBody(request), length && /^\d+$/.test(length) ? Number(length) : null)
      set.status = 204
      set.headers['upload-offset'] = String(offset)
    }, {
      auth: true,
      params: FileParams,
      headers: ChunkHeaders,
      response: { 204: NoContent, ...errors(401, 404, 409, 410, 413, 422, 429), 415: ErrorResponse },
      detail: {
        summary: 'Send one chunk of a resumable upload',
        description: 'Raw bytes at `Upload-Offset` (which must equal the current offset: 409 OFFSET_MISMATCH with the right one otherwise); at most `UPLOAD_CHUNK_MAX_BYTES`. Answers 204 with the new `Upload-Offset`. If the connection drops, what arrived is kept.',
        security: bearer,
      },
    })
    .post('/uploads/:id/complete', ({ auth, params }) => files.complete(auth.user.id, params.id), {
      auth: true,
      params: FileParams,
      response: { 200: FileView, ...errors(401, 404, 409, 410, 413, 422, 429, 503), 415: ErrorResponse },
      detail: { summary: 'Finish a resumable upload', description: 'All declared bytes must have arrived. The type is decided from the bytes, images are re-encoded, and the media job is queued.', security: bearer },
    })
    .delete('/uploads/:id', async ({ auth, params, set }) => {
      await files.cancelUpload(auth.user.id, params.id)
      set.status = 204
    }, {
      auth: true,
      params: FileParams,
      response: { 204: NoContent, ...errors(401, 404, 409, 410, 422, 429) },
      detail: { summary: 'Abandon a resumable upload', security: bearer },
    })
    .get('/:id', ({ auth, params }) => fileDownloads.get(auth.user.id, params.id), {
      auth: true,
      params: FileParams,
      response: { 200: FileView, ...errors(401, 404, 422, 429) },
      detail: { summary: 'A file you own or that is attached to a message in a conversation you are in', security: bearer },
    })
    .get('/:id/url', ({ auth, params, query }) => fileDownloads.signedUrl(auth.user.id, params.id, query.variant ?? 'original'), {
      auth: true,
      params: FileParams,
      query: UrlQuery,
      response: { 200: SignedUrl, ...errors(401, 404, 409, 410, 422, 429) },
      detail: { summary: 'A short-lived signed download URL', description: 'Issued only to someone who may read the file; valid for `FILE_URL_TTL_SECONDS`, for this file and variant only. 410 FILE_EXPIRED for a file past its `expiresAt` (a conversation export).', security: bearer },
    })
    .get('/:id/content', async ({ params, query, request }) => {
      const download = await fileDownloads.content(params.id, query, request.headers.get('range') ?? undefined)
      return new Response(download.body, { status: download.status, headers: download.headers })
    }, {
      params: FileParams,
      query: ContentQuery,
      response: { 200: Bytes, 206: Bytes, ...errors(403, 404, 410, 422, 429, 503), 416: ErrorResponse },
      detail: {
        summary: 'Download through a signed URL (no bearer token)',
        description: 'Supports `Range: bytes=…` (206 with Content-Range; 416 beyond the end). A changed URL answers 403 SIGNATURE_INVALID, an expired one 410 URL_EXPIRED. Types a browser may render get `inline`, everything else `attachment`; always `nosniff`.',
      },
    })
}
