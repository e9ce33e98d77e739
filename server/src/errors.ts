/** The documented error shape: `{ "error": { "code", "message", "details"? } }`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown }
}

export class AppError extends Error {
  override name = 'AppError'
  status = 500
  code = 'INTERNAL'
  constructor(message: string, readonly details?: unknown) {
    super(message)
  }
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } }
  }
}

export class BadRequestError extends AppError {
  override name = 'BadRequestError'
  override status = 400
  override code = 'BAD_REQUEST'
}

export class MalformedJsonError extends AppError {
  override name = 'MalformedJsonError'
  override status = 400
  override code = 'MALFORMED_BODY'
}

export class UnauthorizedError extends AppError {
  override name = 'UnauthorizedError'
  override status = 401
  override code = 'UNAUTHORIZED'
  constructor(message = 'Authentication required', code?: string) {
    super(message)
    if (code) this.code = code
  }
}

export class ForbiddenError extends AppError {
  override name = 'ForbiddenError'
  override status = 403
  override code = 'FORBIDDEN'
  constructor(message: string, code?: string) {
    super(message)
    if (code) this.code = code
  }
}

export class NotFoundError extends AppError {
  override name = 'NotFoundError'
  override status = 404
  override code = 'NOT_FOUND'
}

export class ConflictError extends AppError {
  override name = 'ConflictError'
  override status = 409
  override code = 'CONFLICT'
  constructor(message: string, code?: string, details?: unknown) {
    super(message, details)
    if (code) this.code = code
  }
}

export class PayloadTooLargeError extends AppError {
  override name = 'PayloadTooLargeError'
  override status = 413
  override code = 'PAYLOAD_TOO_LARGE'
}

export class UnsupportedMediaTypeError extends AppError {
  override name = 'UnsupportedMediaTypeError'
  override status = 415
  override code = 'UNSUPPORTED_MEDIA_TYPE'
}

export class ValidationError extends AppError {
  override name = 'ValidationError'
  override status = 422
  override code = 'VALIDATION_FAILED'
}

export class RateLimitedError extends AppError {
  override name = 'RateLimitedError'
  override status = 429
  override code = 'RATE_LIMITED'
  constructor(message: string, readonly retryAfterSeconds: number, code?: string) {
    super(message, { retryAfterSeconds })
    if (code) this.code = code
  }
}

export class ServiceUnavailableError extends AppError {
  override name = 'ServiceUnavailableError'
  override status = 503
  override code = 'SERVICE_UNAVAILABLE'
  constructor(message: string, code?: string) {
    super(message)
    if (code) this.code = code
  }
}
