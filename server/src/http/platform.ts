import { Elysia } from 'elysia'
import type { AppContext } from '../context'
import { MalformedJsonError, PayloadTooLargeError, RateLimitedError, UnsupportedMediaTypeError } from '../errors'
import { securityHeaders } from './security'
import type { RateResult } from './rate-limiter'

interface RequestRecord {
  id: string
  startedAt: number
  /** The client address once the rate limiter has looked it up (a syscall in Bun), for reuse. */
  ip?: string | null
  userId?: string
}

// Kept on the request itself: a WeakMap keyed by every request made each garbage collection walk them all.
const RECORD = Symbol('parley.request')
type Recorded = Request & { [RECORD]?: RequestRecord }
const recordOf = (request: Request) => (request as Recorded)[RECORD]

/** Lets the auth guard attach the user id to the request log line. */
export function noteRequestUser(request: Request, userId: string): void {
  const record = recordOf(request)
  if (record) record.userId = userId
}

export function requestIdOf(request: Request): string | undefined {
  return recordOf(request)?.id
}

/** The client address already resolved for this request, if any; undefined when not looked up yet. */
export function requestIpOf(request: Request): string | null | undefined {
  return recordOf(request)?.ip
}

/** The path of an absolute request URL without building a URL object. */
function pathnameOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  if (start < 0) return '/'
  const end = url.indexOf('?', start)
  return end < 0 ? url.slice(start) : url.slice(start, end)
}

// Metric labels stay bounded whatever method token a client sends.
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/
const UNLIMITED = new Set(['/health', '/ready', '/metrics'])

export function clientIp(ctx: AppContext, request: Request, server: { requestIP(r: Request): { address: string } | null } | null): string | null {
  if (ctx.config.trustProxy) {
    // The proxy appends the address it saw; earlier entries are whatever the client sent.
    const forwarded = request.headers.get('x-forwarded-for')?.split(',').at(-1)?.trim()
    if (forwarded) return forwarded
  }
  return server?.requestIP(request)?.address ?? null
}

/**
 * Routes whose body is a file streamed to disk by the route itself, with its own size limits
 * (features/files). A JSON-typed body to them still meets the JSON limit and parser (the route
 * then refuses it with 415), so the JSON rules hold for every JSON body.
 */
const STREAMED_BODY_ROUTES: Array<{ method: string; path: RegExp }> = [
  { method: 'POST', path: /^\/files\/?$/ },
  { method: 'PATCH', path: /^\/files\/uploads\/[^/]+$/ },
]

function isStreamedBody(method: string, pathname: string, contentType: string | null): boolean {
  if (contentType && isJson(contentType.split(';')[0]!)) return false
  return STREAMED_BODY_ROUTES.some((route) => route.method === method && route.path.test(pathname))
}

function isJson(contentType: string): boolean {
  const type = contentType.trim().toLowerCase()
  return type === 'application/json' || /^application\/[\w.-]+\+json$/.test(type)
}

/** Reads a body up to `limit` bytes: a streamed (chunked) body has no Content-Length to check up front. */
async function readBody(body: ReadableStream<Uint8Array>, limit: number): Promise<string> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      // @NOTE: the request is answered with 413 either way; a failed cancel changes nothing.
      await reader.cancel().catch(() => {})
      throw new PayloadTooLargeError(`Request body is larger than ${limit} bytes`, { details: { limitBytes: limit } })
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Cross-cutting HTTP behaviour: request ids, security headers, CORS, body limits, JSON-only
 * bodies, per-IP rate limits, request metrics and one structured log line per request.
 */
export function platform(ctx: AppContext) {
  const { config, metrics, limiter, log } = ctx
  const requests = metrics.counter('http_requests_total', 'HTTP requests by method, route and status')
  const durations = metrics.histogram('http_request_duration_seconds', 'HTTP request latency by method and route')
  const allowedOrigins = new Set(config.corsOrigins)
  const httpLog = log.child({ component: 'http' })
  // Label sets are few (method × route × status); each is rendered once and reused.
  const bound = new Map<string, { count: { inc(): void }; latency: { observe(value: number): void } }>()
  const series = (method: string, route: string, status: string, seconds: number) => {
    const key = `${method} ${route} ${status}`
    let entry = bound.get(key)
    if (!entry) {
      entry = { count: requests.bind({ method, route, status }), latency: durations.bind({ method, route }) }
      bound.set(key, entry)
    }
    entry.count.inc()
    entry.latency.observe(seconds)
  }

  // Elysia's Bun adapter hands pre-routing hooks the `path` and `url` it has read (not in its types;
  // each `request.url` read builds a new string), so they are used when present.
  type Started = { request: Request; path?: string; url?: string; set: { headers: Record<string, string | number>; status?: number } }
  // Taken once at start: a hook that reads `server` from the context costs every route a getter.
  let server: Parameters<typeof clientIp>[2] = null

  /** Everything but the per-IP limit: request id, headers, CORS; '' answers a preflight; a body over the limit throws 413. */
  function start({ request, path, url = request.url, set }: Started): '' | undefined {
    const pathname = path ?? pathnameOf(url)
    const incoming = request.headers.get('x-request-id')
    const record: RequestRecord = { id: incoming && REQUEST_ID.test(incoming) ? incoming : Bun.randomUUIDv7(), startedAt: performance.now() }
    ;(request as Recorded)[RECORD] = record
    set.headers['x-request-id'] = record.id
    Object.assign(set.headers, securityHeaders(request, pathname, config, url))

    const origin = request.headers.get('origin')
    // Answers differ by Origin whenever an allow-list exists, so caches must key on it for every origin.
    if (allowedOrigins.size > 0) set.headers['vary'] = 'Origin'
    if (origin && allowedOrigins.has(origin)) {
      set.headers['access-control-allow-origin'] = origin
      set.headers['access-control-allow-credentials'] = 'true'
      set.headers['access-control-expose-headers'] = 'x-request-id, retry-after'
      if (request.method === 'OPTIONS') {
        set.headers['access-control-allow-methods'] = 'GET, POST, PUT, PATCH, DELETE, OPTIONS'
        set.headers['access-control-allow-headers'] = request.headers.get('access-control-request-headers') ?? 'authorization, content-type'
        set.headers['access-control-max-age'] = '600'
        set.status = 204
        return ''
      }
    }

    const length = Number(request.headers.get('content-length') ?? 0)
    if (length > config.bodyLimitBytes && !isStreamedBody(request.method, pathname, request.headers.get('content-type'))) throw new PayloadTooLargeError(`Request body is larger than ${config.bodyLimitBytes} bytes`, { details: { limitBytes: config.bodyLimitBytes } })
    if (UNLIMITED.has(pathname)) return undefined
    record.ip = clientIp(ctx, request, server)
    return undefined
  }

  const ipKey = (request: Request) => {
    const record = recordOf(request)
    return record && record.ip !== undefined ? `ip:${record.ip ?? 'unknown'}` : null
  }
  const checkIp = (result: RateResult) => {
    if (!result.allowed) throw new RateLimitedError('Too many requests from this address', result.retryAfterSeconds)
  }
  const hitNow = limiter.hitNow
  // Elysia reads hook sources: it awaits a hook that looks async, and a hook handed the whole context
  // makes it prepare everything (headers, cookies, query) for every route, so these destructure.
  // With an in-memory limiter nothing here waits: a plain hook spares each request a promise.
  const onRequest = hitNow
    ? ({ request, path, url, set }: Started) => {
        if (start({ request, path, url, set }) === '') return ''
        const key = ipKey(request)
        if (key) checkIp(hitNow(key, config.rateLimit.ipPerMinute, 60_000))
      }
    : async ({ request, path, url, set }: Started) => {
        if (start({ request, path, url, set }) === '') return ''
        const key = ipKey(request)
        if (key) checkIp(await limiter.hit(key, config.rateLimit.ipPerMinute, 60_000))
      }

  return new Elysia({ name: 'platform', seed: ctx.id })
    .onStart((app) => {
      server = app.server
    })
    .onRequest(onRequest)
    // The API speaks JSON only: form and multipart bodies would let another site post to it without a CORS preflight.
    .onParse({ as: 'global' }, async ({ request, contentType, path }) => {
      if (!request.body) return
      // null (not undefined) ends parsing, so no later parser reads the stream the route will consume.
      if (isStreamedBody(request.method, path, contentType)) return null
      const text = await readBody(request.body, config.bodyLimitBytes)
      if (!text) return
      if (!isJson(contentType)) throw new UnsupportedMediaTypeError('Send the body as JSON with Content-Type: application/json')
      try {
        return JSON.parse(text) as unknown
      } catch {
        throw new MalformedJsonError('The request body is not valid JSON')
      }
    })
    .onAfterResponse({ as: 'global' }, ({ request, route, set, path }) => {
      const record = recordOf(request)
      if (!record) return
      const seconds = (performance.now() - record.startedAt) / 1000
      const status = String(typeof set.status === 'number' ? set.status : 200)
      const routeLabel = route || 'unmatched'
      series(KNOWN_METHODS.has(request.method) ? request.method : 'OTHER', routeLabel, status, seconds)
      if (httpLog.enabled('info')) httpLog.info('request', {
        requestId: record.id,
        method: request.method,
        route: routeLabel,
        path,
        status: Number(status),
        durationMs: Math.round(seconds * 100_000) / 100,
        userId: record.userId ?? null,
      })
    })
}
