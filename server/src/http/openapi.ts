import { ErrorResponse } from './schemas'

type JsonObject = Record<string, any>

const RESPONSE_FIELDS = new Set(['description', 'headers', 'content', 'links'])

const STATUS_TEXT: Record<string, string> = {
  '200': 'OK',
  '201': 'Created',
  '202': 'Accepted',
  '204': 'No content',
  '400': 'Bad request',
  '401': 'Not authenticated',
  '403': 'Forbidden',
  '404': 'Not found',
  '409': 'Conflict',
  '413': 'Payload too large',
  '415': 'Unsupported media type',
  '422': 'Validation failed',
  '429': 'Too many requests',
  '503': 'Service unavailable',
}

const ERROR_SCHEMA: JsonObject = JSON.parse(JSON.stringify(ErrorResponse))

/** One media type per body: JSON, or plain text for string schemas such as /metrics. */
function singleMediaType(content: JsonObject): JsonObject {
  const schema = (content['application/json'] ?? Object.values(content)[0])?.schema
  if (!schema) return content
  return schema.type === 'string' ? { 'text/plain': { schema } } : { 'application/json': { schema } }
}

/**
 * @elysiajs/swagger 1.3 copies schema keywords (title, items, anyOf) into response objects, leaves
 * their required description out and lists form and text bodies the API refuses. This turns its
 * output into a valid OpenAPI 3.1 document that says what the server really accepts.
 */
export function normalizeOpenApi(document: unknown): unknown {
  if (!document || typeof document !== 'object' || !('paths' in document)) return document
  const doc = structuredClone(document) as { openapi: string; paths: Record<string, Record<string, JsonObject>> }
  // TypeBox writes JSON Schema (const, type null, patternProperties): 3.1's schema dialect, not 3.0's.
  doc.openapi = '3.1.0'
  for (const operations of Object.values(doc.paths)) {
    for (const operation of Object.values(operations)) {
      operation.responses ??= {}
      if (operation.requestBody?.content) {
        operation.requestBody.content = singleMediaType(operation.requestBody.content)
        operation.responses['415'] ??= { description: 'The body is not JSON', content: { 'application/json': { schema: ERROR_SCHEMA } } }
      }
      for (const [status, response] of Object.entries<JsonObject>(operation.responses)) {
        for (const key of Object.keys(response)) if (!RESPONSE_FIELDS.has(key) && !key.startsWith('x-')) delete response[key]
        response.description ??= STATUS_TEXT[status] ?? `HTTP ${status}`
        if (response.content) response.content = singleMediaType(response.content)
        else delete response.content
      }
    }
  }
  return doc
}
