import type { AppContext } from '../context'
import { AppError, type ErrorBody } from '../errors'
import { errorFields } from '../logger'
import { requestIdOf } from './platform'

interface ValidationLike {
  all?: Array<{ path?: string; message?: string; summary?: string }>
  message: string
}

const STATUS_CODES: Record<string, [number, string, string]> = {
  NOT_FOUND: [404, 'ROUTE_NOT_FOUND', 'No route matches this method and path'],
  PARSE: [400, 'MALFORMED_BODY', 'The request body could not be parsed'],
  INVALID_COOKIE_SIGNATURE: [400, 'INVALID_COOKIE', 'A cookie signature is invalid'],
  INVALID_FILE_TYPE: [422, 'VALIDATION_FAILED', 'An uploaded file has the wrong type'],
}

function validationDetails(error: ValidationLike) {
  try {
    return (error.all ?? []).slice(0, 20).map((issue) => ({
      field: (issue.path ?? '').replace(/^\//, '').replace(/\//g, '.') || null,
      message: issue.summary ?? issue.message ?? 'invalid',
    }))
  } catch {
    return undefined
  }
}

/** Renders every failure as the documented error shape; unknown errors are logged and become a generic 500. */
export function renderError(ctx: AppContext, code: string | number, error: unknown, request: Request): { status: number; body: ErrorBody; headers: Record<string, string> } {
  const headers: Record<string, string> = {}
  // Errors thrown by a body parser arrive wrapped in Elysia's ParseError.
  if (code === 'PARSE' && (error as { cause?: unknown })?.cause instanceof AppError) error = (error as { cause: AppError }).cause
  if (error instanceof AppError) {
    if (error.status === 429 && 'retryAfterSeconds' in error) headers['retry-after'] = String(error.retryAfterSeconds)
    return { status: error.status, body: error.toBody(), headers }
  }
  const where = code === 'VALIDATION' ? (error as { type?: string }).type : undefined
  // A response that breaks its own schema is our bug, not the client's.
  if (where === 'response') return internal(ctx, code, error, request, headers)
  if (code === 'VALIDATION') {
    return {
      status: 422,
      body: { error: { code: 'VALIDATION_FAILED', message: `Invalid ${where ?? 'request'}`, details: validationDetails(error as ValidationLike) } },
      headers,
    }
  }
  const known = typeof code === 'string' ? STATUS_CODES[code] : undefined
  if (known) return { status: known[0], body: { error: { code: known[1], message: known[2] } }, headers }
  const status = (error as { status?: number })?.status
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: { error: { code: status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', message: 'The request was rejected' } }, headers }
  }
  return internal(ctx, code, error, request, headers)
}

function internal(ctx: AppContext, code: string | number, error: unknown, request: Request, headers: Record<string, string>) {
  ctx.log.error('onError() [unhandled]', { requestId: requestIdOf(request), url: new URL(request.url).pathname, code, ...errorFields(error) })
  return { status: 500, body: { error: { code: 'INTERNAL', message: 'Something went wrong on our side; the request id identifies it in the logs' } }, headers }
}
