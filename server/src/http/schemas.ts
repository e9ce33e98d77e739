import { t } from 'elysia'

/** The one error shape every non-2xx JSON response has. */
export const ErrorResponse = t.Object(
  {
    error: t.Object({
      code: t.String({ description: 'Stable machine-readable code, e.g. VALIDATION_FAILED' }),
      message: t.String({ description: 'Human-readable explanation' }),
      details: t.Optional(t.Unknown()),
    }),
  },
  { description: 'Error', title: 'ErrorResponse' },
)

/** Response map entries for the usual failures, so Swagger shows them on every route. */
export const errors = (...statuses: Array<400 | 401 | 403 | 404 | 409 | 410 | 413 | 422 | 429 | 503>) =>
  Object.fromEntries(statuses.map((status) => [status, ErrorResponse])) as Record<number, typeof ErrorResponse>

export const Iso = t.String({ format: 'date-time' })
export const NullableIso = t.Union([Iso, t.Null()])

export const strict = { additionalProperties: false } as const

export const NoContent = t.Void({ description: 'No content' })
