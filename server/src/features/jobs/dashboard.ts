import { Elysia } from 'elysia'
import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { ElysiaAdapter } from '@bull-board/elysia'
import type { AppContext } from '../../context'
import { QUEUES, type QueueName } from '../../contracts/jobs'
import { ForbiddenError, UnauthorizedError } from '../../errors'
import { errors, NoContent } from '../../http/schemas'
import { accessTokenAuthenticator, authGuard } from '../auth/guard'

export const DASHBOARD_PATH = '/admin/queues'
const COOKIE = 'parley_queues'

function cookieValue(header: string | null, name: string): string | null {
  for (const part of header?.split(';') ?? []) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return rest.join('=') || null
  }
  return null
}

/**
 * The BullMQ dashboard (@bull-board) for admins at /admin/queues. A browser page cannot send a
 * bearer token, so an admin first POSTs /admin/queues/session: the access token is set as an
 * HttpOnly, SameSite=Strict cookie scoped to this path, and every dashboard request re-checks the
 * session and the admin role with it (sign-out, revocation and demotion act at once).
 */
export function queueDashboard(ctx: AppContext) {
  const authenticate = accessTokenAuthenticator(ctx)
  const secure = ctx.config.publicUrl.startsWith('https:')
  let board: Promise<Elysia> | null = null
  // Built on first use: bull-board's plugin registers its static files asynchronously.
  const boardApp = () => (board ??= (async () => {
    const adapter = new ElysiaAdapter(DASHBOARD_PATH)
    const queues = (Object.values(QUEUES) as QueueName[]).map((name) => new BullMQAdapter(ctx.jobs.queue(name)))
    createBullBoard({ queues, serverAdapter: adapter, options: { uiConfig: { boardTitle: 'Parley queues' } } })
    return new Elysia().use(await adapter.registerPlugin()) as unknown as Elysia
  })())

  function requireAdmin(request: Request) {
    const header = request.headers.get('authorization')
    const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1] ?? cookieValue(request.headers.get('cookie'), COOKIE)
    if (!token) throw new UnauthorizedError('Open the dashboard through POST /admin/queues/session first', { code: 'UNAUTHORIZED' })
    const { user } = authenticate(token)
    if (user.role !== 'admin') throw new ForbiddenError('Administrator role required', { code: 'ADMIN_REQUIRED' })
    // SameSite=Strict already keeps other sites' forms out; an Origin from elsewhere is refused as well.
    const origin = request.headers.get('origin')
    if (request.method !== 'GET' && origin && !sameSite(origin, request)) throw new ForbiddenError('Cross-origin dashboard request refused', { code: 'CROSS_ORIGIN' })
  }

  /** The page's own origin (as served, or as PUBLIC_URL names it behind a proxy); `null` and junk are not. */
  function sameSite(origin: string, request: Request): boolean {
    try {
      const host = new URL(origin).host
      return host === new URL(request.url).host || host === new URL(ctx.config.publicUrl).host
    } catch {
      return false
    }
  }

  async function forward({ request, body }: { request: Request; body: unknown }) {
    requireAdmin(request)
    ctx.jobs.queue(QUEUES.scheduled) // throws 503 JOBS_UNAVAILABLE without Redis
    // Our body parser has read a JSON body already (job data edits); hand the board a fresh copy.
    const forwarded = body === undefined || body === null || request.bodyUsed === false ? request : new Request(request.url, { method: request.method, headers: request.headers, body: JSON.stringify(body) })
    return (await boardApp()).handle(forwarded)
  }

  return new Elysia({ prefix: DASHBOARD_PATH, tags: ['admin'] })
    .use(authGuard(ctx))
    .post('/session', ({ request, set }) => {
      const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')![1]!
      set.headers['set-cookie'] = `${COOKIE}=${token}; Path=${DASHBOARD_PATH}; HttpOnly; SameSite=Strict; Max-Age=${ctx.config.accessTokenTtlSeconds}${secure ? '; Secure' : ''}`
      set.status = 204
    }, {
      admin: true,
      response: { 204: NoContent, ...errors(401, 403, 429) },
      detail: {
        summary: 'Open the queue dashboard in this browser',
        description: `Sets an HttpOnly cookie (the access token, for its remaining lifetime) scoped to ${DASHBOARD_PATH}; then open ${DASHBOARD_PATH}/ in the same browser. Admins only.`,
        security: [{ bearer: [] }],
      },
    })
    .delete('/session', ({ set }) => {
      set.headers['set-cookie'] = `${COOKIE}=; Path=${DASHBOARD_PATH}; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`
      set.status = 204
    }, {
      admin: true,
      response: { 204: NoContent, ...errors(401, 403, 413, 429) },
      detail: { summary: 'Close the queue dashboard in this browser (clears its cookie)', security: [{ bearer: [] }] },
    })
    // The dashboard's own pages, assets and API: admin-only, outside the OpenAPI document.
    .all('/', forward, { detail: { hide: true } })
    .all('/*', forward, { detail: { hide: true } })
}

