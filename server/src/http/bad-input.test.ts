import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startServer } from '../../test/harness'
import { sendRaw, type RawResponse } from '../../test/raw-http'

// Every documented operation gets the same hostile inputs; the table comes from /swagger/json, so new routes are covered without edits here.

const BODY_LIMIT = 4096
// Well over a thousand requests from one address in seconds once the server is fast: the per-IP
// budget (platform.test.ts tests it) would answer 429 before the case under test is reached.
const server = await startServer({ BODY_LIMIT_BYTES: String(BODY_LIMIT), RATE_LIMIT_IP_PER_MINUTE: '1000000' })
const doc = (await server.request('GET', '/swagger/json')).body as { paths: Record<string, Record<string, any>> }
afterAll(() => server.stop())

type JsonSchema = Record<string, any>

interface Operation {
  method: string
  path: string
  operation: any
  bodySchema: JsonSchema | undefined
}

const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({
    method: method.toUpperCase(),
    path,
    operation,
    bodySchema: operation.requestBody?.content?.['application/json']?.schema,
  })),
)

/** Routes that answer a browser with 302 to a provider or back to the client: a redirect can be right there, a 5xx never. */
const isOAuthRedirect = (path: string) => /^\/auth\/oauth\/\{provider\}\/(start|callback)$/.test(path)

// ---- sample values from JSON Schema -------------------------------------------------------------

function sampleString(schema: JsonSchema): string {
  if (schema.format === 'email') return 'probe@example.com'
  if (schema.format === 'uri') return 'https://example.com/avatar.png'
  if (schema.format === 'date-time') return new Date().toISOString()
  const min = schema.minLength ?? 0
  const max = schema.maxLength ?? 256
  const fits = (value: string) => value.length >= min && value.length <= max && (!schema.pattern || new RegExp(schema.pattern).test(value))
  return ['123456', 'probe_name', 'probe-value-long-enough', 'correct horse battery'].find(fits) ?? 'x'.repeat(Math.max(min, 1))
}

/** A value that passes the schema's shape checks (types, lengths, patterns, formats). */
function sample(schema: JsonSchema): unknown {
  if ('const' in schema) return schema.const
  if (schema.enum) return schema.enum[0]
  const branches = schema.anyOf ?? schema.oneOf
  if (branches) return sample(branches.find((b: JsonSchema) => b.type !== 'null') ?? branches[0])
  switch (schema.type) {
    case 'object':
      return Object.fromEntries(Object.entries<JsonSchema>(schema.properties ?? {}).map(([key, value]) => [key, sample(value)]))
    case 'array':
      return [sample(schema.items ?? {})]
    case 'boolean':
      return true
    case 'number':
    case 'integer':
      return schema.minimum ?? 1
    default:
      return sampleString(schema)
  }
}

function jsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

function allowedTypes(schema: JsonSchema): Set<string> {
  const types = new Set<string>()
  if ('const' in schema) types.add(jsonType(schema.const))
  for (const type of [schema.type].flat()) if (type) types.add(type === 'integer' ? 'number' : type)
  for (const branch of schema.anyOf ?? schema.oneOf ?? []) for (const type of allowedTypes(branch)) types.add(type)
  return types
}

const WRONG_VALUES: unknown[] = [12345, 'a string', true, { nested: 1 }, [1, 2], null]

/** The body with every property replaced by a value of a type the schema does not allow. */
function wrongTypes(schema: JsonSchema): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries<JsonSchema>(schema.properties ?? {}).map(([key, property]) => {
      const allowed = allowedTypes(property)
      return [key, WRONG_VALUES.find((value) => !allowed.has(jsonType(value)))]
    }),
  )
}

// ---- callers ----------------------------------------------------------------------------------

const tokens = new Map<string, string>()

beforeAll(async () => {
  const root = await server.register()
  // A fresh account per operation, so one case can never change the state another case sees.
  // Sign-ups go in small batches: each costs an argon2id hash, and the server queues only so many.
  const protectedOps = operations.filter(({ operation }) => operation.security?.length)
  for (let i = 0; i < protectedOps.length; i += 8) {
    await Promise.all(
      protectedOps.slice(i, i + 8).map(async ({ method, path }) => {
        const user = await server.register()
        if (path.startsWith('/admin')) {
          const promoted = await server.request('PUT', `/admin/users/${user.user.id}/role`, { token: root.accessToken, body: { role: 'admin' } })
          if (promoted.status !== 200) throw new Error(`could not promote: ${promoted.status}`)
        }
        tokens.set(`${method} ${path}`, user.accessToken)
      }),
    )
  }
  // One registration per operation: this grows with the API, so it gets its own budget.
}, 120_000)

function concretePath(path: string): string {
  return path.replace(/\{[^}]+\}/g, () => crypto.randomUUID())
}

function send(op: Operation, options: { path?: string; contentType?: string; body?: string | Buffer; headers?: Record<string, string> }): Promise<RawResponse> {
  const headers: Record<string, string | number> = { ...options.headers }
  const token = tokens.get(`${op.method} ${op.path}`)
  if (token) headers.authorization = `Bearer ${token}`
  if (options.contentType) headers['content-type'] = options.contentType
  if (options.body !== undefined) headers['content-length'] = Buffer.byteLength(options.body)
  return sendRaw(server.url, op.method, options.path ?? concretePath(op.path), { headers, body: options.body })
}

const LEAKS = [/at \//, /sqlite/i, /\bselect\s/i, /node_modules/, /constraint failed/i, /\.ts:\d+/]

function expectSafeError(response: RawResponse, expected?: { status?: number; code?: string }) {
  expect(response.status).toBeGreaterThanOrEqual(400)
  expect(response.status).toBeLessThan(500)
  if (expected?.status) expect(response.status).toBe(expected.status)
  expect(response.headers.get('content-type')).toContain('application/json')
  expect(response.json?.error?.code).toBeString()
  expect(response.json?.error?.message).toBeString()
  if (expected?.code) expect(response.json.error.code).toBe(expected.code)
  for (const leak of LEAKS) expect(response.text).not.toMatch(leak)
}

/** For a case where a redirect or an ignored parameter is a fine answer: never a 5xx, never a leak, errors in the shape. */
function expectNoServerError(response: RawResponse) {
  expect(response.status).toBeLessThan(500)
  for (const leak of LEAKS) expect(response.text).not.toMatch(leak)
  if (response.status >= 400) expectSafeError(response)
}

// ---- the table --------------------------------------------------------------------------------

for (const op of operations) {
  const redirect = isOAuthRedirect(op.path)
  const check = redirect ? (response: RawResponse) => expectNoServerError(response) : expectSafeError

  describe(`${op.method} ${op.path}`, () => {
    test('oversize body', async () => {
      const response = await send(op, { contentType: 'application/json', body: 'x'.repeat(BODY_LIMIT + 1) })
      expectSafeError(response, { status: 413, code: 'PAYLOAD_TOO_LARGE' })
    })

    if (op.path.includes('{')) {
      test('malformed and overlong path parameters', async () => {
        for (const value of ['%zz', 'x'.repeat(300), '..%2F..%2Fetc%2Fpasswd']) {
          const path = op.path.replace(/\{[^}]+\}/g, value)
          const body = op.bodySchema ? JSON.stringify(sample(op.bodySchema)) : undefined
          check(await send(op, { path, contentType: body ? 'application/json' : undefined, body }))
        }
      })
    }

    if (op.method === 'GET') {
      const declaresQuery = (op.operation.parameters ?? []).some((p: { in: string }) => p.in === 'query')
      test(declaresQuery ? 'junk query string' : 'junk query string (no query parameters: may be ignored)', async () => {
        const response = await send(op, { path: `${concretePath(op.path)}?limit=-1&limit=abc&offset=%zz&before=yesterday` })
        if (declaresQuery && !redirect) expectSafeError(response)
        else expectNoServerError(response)
      })
    }

    const schema = op.bodySchema
    if (!schema) return
    const valid = sample(schema) as Record<string, unknown>

    test('malformed JSON', async () => {
      expectSafeError(await send(op, { contentType: 'application/json', body: '{bad' }), { status: 400, code: 'MALFORMED_BODY' })
    })

    test('wrong types', async () => {
      expectSafeError(await send(op, { contentType: 'application/json', body: JSON.stringify(wrongTypes(schema)) }), { status: 422, code: 'VALIDATION_FAILED' })
    })

    if (schema.required?.length) {
      test('missing fields', async () => {
        expectSafeError(await send(op, { contentType: 'application/json', body: '{}' }))
      })
    }

    test('unknown field', async () => {
      expectSafeError(await send(op, { contentType: 'application/json', body: JSON.stringify({ ...valid, zzz: 1 }) }), { status: 422, code: 'VALIDATION_FAILED' })
    })

    test('a JSON array or scalar instead of an object', async () => {
      for (const body of ['[]', '"text"', '42', 'null']) expectSafeError(await send(op, { contentType: 'application/json', body }))
    })

    test('non-JSON content types', async () => {
      const form = new URLSearchParams(Object.entries(valid).map(([key, value]) => [key, String(value)])).toString()
      const boundary = 'parleyboundary'
      const multipart = Object.entries(valid)
        .map(([key, value]) => `--${boundary}\r\ncontent-disposition: form-data; name="${key}"\r\n\r\n${String(value)}\r\n`)
        .join('') + `--${boundary}--\r\n`
      const cases: Array<[string, string]> = [
        ['text/plain', JSON.stringify(valid)],
        ['application/x-www-form-urlencoded', form],
        [`multipart/form-data; boundary=${boundary}`, multipart],
        ['application/xml', '<probe/>'],
      ]
      for (const [contentType, body] of cases) expectSafeError(await send(op, { contentType, body }), { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' })
    })
  })
}

test('the table covers the documented API', () => {
  expect(operations.length).toBeGreaterThanOrEqual(25)
  expect(operations.filter((o) => o.bodySchema).length).toBeGreaterThanOrEqual(10)
})
