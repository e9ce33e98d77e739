/** The documented error shape: `{ "error": { "code", "message", "details"? } }`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown }
}

export interface ErrorOptions {
  /** A more specific machine-readable code than the class default, e.g. `EMAIL_TAKEN` for a 409. */
  code?: string
  details?: unknown
  cause?: unknown
}

/**
 * Services throw these; one onError in app.ts renders them. Each subclass names its status and
 * default code once, as static fields, so a thrown error can only override the code.
 */
export class AppError extends Error {
  static status = 500
  static code = 'INTERNAL'
  readonly status: number
  readonly code: string
  readonly details?: unknown

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    const type = new.target as typeof AppError
    this.name = type.name
    this.status = type.status
    this.code = options.code ?? type.code
    this.details = options.details
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } }
  }
}

export class BadRequestError extends AppError {
  static override status = 400
  static override code = 'BAD_REQUEST'
}

export class MalformedJsonError extends AppError {
  static override status = 400
  static override code = 'MALFORMED_BODY'
}

export class UnauthorizedError extends AppError {
  static override status = 401
  static override code = 'UNAUTHORIZED'
}

export class ForbiddenError extends AppError {
  static override status = 403
  static override code = 'FORBIDDEN'
}

export class NotFoundError extends AppError {
  static override status = 404
  static override code = 'NOT_FOUND'
}

export class ConflictError extends AppError {
  static override status = 409
  static override code = 'CONFLICT'
}

/** The thing existed but is no longer usable (an expired invite). */
export class GoneError extends AppError {
  static override status = 410
  static override code = 'GONE'
}

export class PayloadTooLargeError extends AppError {
  static override status = 413
  static override code = 'PAYLOAD_TOO_LARGE'
}

export class UnsupportedMediaTypeError extends AppError {
  static override status = 415
  static override code = 'UNSUPPORTED_MEDIA_TYPE'
}

export class ValidationError extends AppError {
  static override status = 422
  static override code = 'VALIDATION_FAILED'
}

export class RateLimitedError extends AppError {
  static override status = 429
  static override code = 'RATE_LIMITED'
  constructor(message: string, readonly retryAfterSeconds: number, options: Omit<ErrorOptions, 'details'> = {}) {
    super(message, { ...options, details: { retryAfterSeconds } })
  }
}

export class ServiceUnavailableError extends AppError {
  static override status = 503
  static override code = 'SERVICE_UNAVAILABLE'
}
