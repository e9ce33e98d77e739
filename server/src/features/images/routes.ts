import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { errors } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import { CreateImageJobBody, ImageJobParams, ImageJobView, ImageOutputParams } from './model'

const bearer = [{ bearer: [] }]
const Binary = t.Any({ description: 'The file bytes' })

/** Headers of a download; output names are ASCII already, the replace only keeps them that way. */
function download(set: { headers: Record<string, unknown> }, file: { body: Blob | ReadableStream<Uint8Array>; mime: string; name: string; size: number }) {
  set.headers['content-type'] = file.mime
  set.headers['content-disposition'] = `attachment; filename="${file.name.replace(/[^A-Za-z0-9._-]/g, '_')}"`
  set.headers['content-length'] = String(file.size)
  return file.body
}

export function imageRoutes(ctx: AppContext) {
  const { images } = ctx.services
  return new Elysia({ prefix: '/images', tags: ['images'] })
    .use(authGuard(ctx))
    .post('/jobs', async ({ auth, body, set }) => {
      const job = await images.create(auth.user.id, body)
      set.status = 202
      return job
    }, {
      auth: true,
      body: CreateImageJobBody,
      response: { 202: ImageJobView, ...errors(401, 404, 422, 429, 503) },
      detail: {
        summary: 'Remove backgrounds or enhance images (a job on the `images` queue)',
        description: 'Takes up to 10 of your uploaded images by file id. Answers 202 with the job; progress arrives on your sockets as `job.progress` events and at GET /images/jobs/{id}. 503 JOBS_UNAVAILABLE when the queue store is unreachable (nothing was accepted).',
        security: bearer,
      },
    })
    .get('/jobs/:id', ({ auth, params }) => images.get(auth.user.id, params.id), {
      auth: true,
      params: ImageJobParams,
      response: { 200: ImageJobView, ...errors(401, 404, 422, 429) },
      detail: { summary: 'Status, progress and outputs of your image job (another user\'s: 404)', security: bearer },
    })
    .get('/jobs/:id/outputs/:index', async ({ auth, params, set }) => download(set, await images.output(auth.user.id, params.id, params.index)), {
      auth: true,
      params: ImageOutputParams,
      response: { 200: Binary, ...errors(401, 404, 422, 429) },
      detail: { summary: 'Download one output image (PNG with alpha for cut-outs, JPEG for enhanced images)', security: bearer },
    })
    .get('/jobs/:id/archive', async ({ auth, params, set }) => download(set, { ...(await images.archive(auth.user.id, params.id)), mime: 'application/zip' }), {
      auth: true,
      params: ImageJobParams,
      response: { 200: Binary, ...errors(401, 404, 422, 429) },
      detail: { summary: 'Download every output of a completed job as one zip', security: bearer },
    })
}
