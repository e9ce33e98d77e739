import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Validator } from '@seriousme/openapi-schema-validator'
import { startServer, type TestServer } from '../../test/harness'

let server: TestServer
let doc: any

beforeAll(async () => {
  server = await startServer()
  const response = await server.request('GET', '/swagger/json')
  expect(response.status).toBe(200)
  doc = response.body
})
afterAll(() => server.stop())

function operations(): Array<{ name: string; operation: any }> {
  return Object.entries<Record<string, any>>(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })))
}

describe('/swagger/json', () => {
  test('is a valid OpenAPI 3 document', async () => {
    expect(doc.openapi).toStartWith('3.')
    const result = await new Validator().validate(doc)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
  })

  test('documents the API, not the docs themselves', () => {
    const names = operations().map((o) => o.name)
    expect(names).toEqual(expect.arrayContaining(['GET /health', 'POST /auth/register', 'POST /auth/login', 'GET /users/me', 'POST /users/me/mfa/setup', 'GET /admin/users']))
    expect(names.some((name) => name.includes('/swagger'))).toBe(false)
  })

  test('every operation has a tag, a summary and at least one documented 4xx response', () => {
    const declaredTags = new Set(doc.tags.map((tag: { name: string }) => tag.name))
    const problems = operations().flatMap(({ name, operation }) => {
      const missing: string[] = []
      if (!operation.tags?.length) missing.push('tag')
      else if (!operation.tags.every((tag: string) => declaredTags.has(tag))) missing.push(`declared tag (has ${operation.tags})`)
      if (!operation.summary?.trim()) missing.push('summary')
      if (!Object.keys(operation.responses ?? {}).some((status) => /^4\d\d$/.test(status))) missing.push('4xx response')
      return missing.map((what) => `${name}: no ${what}`)
    })
    expect(problems).toEqual([])
  })

  test('request bodies are JSON only, and error responses use the error shape', () => {
    for (const { name, operation } of operations()) {
      if (operation.requestBody) expect(Object.keys(operation.requestBody.content), name).toEqual(['application/json'])
      for (const [status, response] of Object.entries<any>(operation.responses)) {
        if (!/^4\d\d$/.test(status)) continue
        const schema = response.content?.['application/json']?.schema
        expect(schema?.required, `${name} ${status}`).toEqual(['error'])
        expect(schema.properties.error.required, `${name} ${status}`).toEqual(['code', 'message'])
      }
    }
  })

  test('protected operations declare bearer security', () => {
    const bearer = operations().filter(({ operation }) => operation.security?.some((s: Record<string, unknown>) => 'bearer' in s))
    expect(bearer.map((o) => o.name)).toEqual(expect.arrayContaining(['GET /users/me', 'POST /auth/logout', 'GET /admin/users']))
    for (const { name, operation } of bearer) expect(Object.keys(operation.responses), name).toContain('401')
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' })
  })
})

test('/swagger answers the HTML documentation page', async () => {
  const response = await server.request('GET', '/swagger')
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toContain('text/html')
  expect(response.body).toContain('<html')
  expect(response.body).toContain('swagger')
})
