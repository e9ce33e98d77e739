import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../../config'
import { createContext } from '../../context'
import { createApp } from '../../app'
import { pushVapidKeys } from '../../db/schema'
import { expectErrorShape, startServer, type TestServer } from '../../../test/harness'
import { fakeBrowser, startPushStack } from './test-kit'

let stack: Awaited<ReturnType<typeof startPushStack>>
let server: TestServer
let strict: TestServer
let publicKey = ''

beforeAll(async () => {
  stack = await startPushStack()
  server = stack.server
  strict = await startServer()
  publicKey = (await server.request('GET', '/push/vapid-public-key')).body.publicKey
})
afterAll(() => Promise.all([stack.stop(), strict.stop()]))

const browser = () => stack.browser()
const subscribe: typeof stack.subscribe = (...args) => stack.subscribe(...args)

describe('VAPID keys', () => {
  test('the public key is an uncompressed P-256 point, generated once and kept across a restart with the same DATA_DIR', async () => {
    const point = Buffer.from(publicKey, 'base64url')
    expect(point.length).toBe(65)
    expect(point[0]).toBe(4)
    expect((await server.request('GET', '/push/vapid-public-key')).body.publicKey).toBe(publicKey)

    const dataDir = mkdtempSync(join(tmpdir(), 'parley-push-keys-'))
    const boot = async () => {
      const ctx = createContext(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', REDIS_URL: '' }))
      const app = createApp(ctx).listen({ hostname: '127.0.0.1', port: 0 })
      try {
        const response = await fetch(`http://127.0.0.1:${app.server!.port}/push/vapid-public-key`)
        return ((await response.json()) as { publicKey: string }).publicKey
      } finally {
        await app.stop(true)
        await ctx.close()
      }
    }
    try {
      const first = await boot()
      const second = await boot()
      expect(second).toBe(first)
      expect(first).not.toBe(publicKey)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
    expect(server.ctx.db.select().from(pushVapidKeys).all()).toHaveLength(1)
  })
})

test('PUSH_VAPID_SUBJECT must be a mailto: or https: contact; by default it is the address of MAIL_FROM', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-push-config-'))
  try {
    expect(loadConfig({ DATA_DIR: dataDir, MAIL_FROM: 'Team <team@chat.example>' }).push.subject).toBe('mailto:team@chat.example')
    expect(loadConfig({ DATA_DIR: dataDir, PUSH_VAPID_SUBJECT: 'https://chat.example/contact' }).push.subject).toBe('https://chat.example/contact')
    expect(() => loadConfig({ DATA_DIR: dataDir, PUSH_VAPID_SUBJECT: 'team@chat.example' })).toThrow(ConfigError)
    expect(() => loadConfig({ DATA_DIR: dataDir, PUSH_TTL_SECONDS: '-1' })).toThrow(/PUSH_TTL_SECONDS/)
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})

describe('subscriptions', () => {
  test('subscribing stores the browser once; subscribing it again updates it', async () => {
    const bob = await server.register()
    const target = browser()
    const created = await subscribe(bob, target)
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ endpoint: target.endpoint, userAgent: 'Test browser', expiresAt: null, lastSuccessAt: null })
    const again = await server.request('POST', '/push/subscriptions', { token: bob.accessToken, body: { endpoint: target.endpoint, keys: fakeBrowser(target.endpoint).keys, expirationTime: Date.UTC(2030, 0, 1) } })
    expect(again.status).toBe(200)
    expect(again.body).toMatchObject({ id: created.body.id, userAgent: null, expiresAt: '2030-01-01T00:00:00.000Z' })
    expect((await server.request('GET', '/push/subscriptions', { token: bob.accessToken })).body.subscriptions.map((s: any) => s.id)).toEqual([created.body.id])
  })

  test('bad subscriptions are refused with 422 and the error shape', async () => {
    const bob = await server.register()
    const good = browser()
    const notOnCurve = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 0xff)]).toString('base64url')
    const bodies: unknown[] = [
      { endpoint: 'not a url', keys: good.keys },
      { endpoint: 'ftp://127.0.0.1/push/x', keys: good.keys },
      { endpoint: 'http://example.com/push/x', keys: good.keys },
      { endpoint: 'https://user:pw@example.com/push/x', keys: good.keys },
      { endpoint: good.endpoint, keys: { ...good.keys, p256dh: Buffer.alloc(33, 2).toString('base64url') } },
      { endpoint: good.endpoint, keys: { ...good.keys, p256dh: notOnCurve } },
      { endpoint: good.endpoint, keys: { ...good.keys, p256dh: 'not base64url!' } },
      { endpoint: good.endpoint, keys: { ...good.keys, auth: Buffer.alloc(8).toString('base64url') } },
      { endpoint: good.endpoint },
      { endpoint: good.endpoint, keys: good.keys, extra: true },
      { endpoint: good.endpoint, keys: { ...good.keys, extra: 'x' } },
    ]
    for (const body of bodies) {
      const response = await server.request('POST', '/push/subscriptions', { token: bob.accessToken, body })
      expect({ body, status: response.status }).toEqual({ body, status: 422 })
      expectErrorShape(response.body)
    }
    // Without PUSH_ALLOW_LOCAL_ENDPOINTS: https only, and never a loopback or private address.
    const carol = await strict.register()
    for (const endpoint of ['http://127.0.0.1/push/x', 'https://127.0.0.1/push/x', 'https://localhost/push/x', 'https://10.1.2.3/push/x', 'https://[::1]/push/x']) {
      const response = await strict.request('POST', '/push/subscriptions', { token: carol.accessToken, body: { endpoint, keys: good.keys } })
      expect({ endpoint, status: response.status }).toEqual({ endpoint, status: 422 })
      expectErrorShape(response.body, 'PUSH_SUBSCRIPTION_INVALID')
    }
    expect((await server.request('GET', '/push/subscriptions', { token: bob.accessToken })).body.subscriptions).toEqual([])
    const anonymous = await server.request('POST', '/push/subscriptions', { body: { endpoint: good.endpoint, keys: good.keys } })
    expect(anonymous.status).toBe(401)
    expectErrorShape(anonymous.body)
  })

  test('only the owner lists and deletes a subscription', async () => {
    const [alice, bob] = await Promise.all([server.register(), server.register()])
    const mine = (await subscribe(bob, browser())).body
    expect((await server.request('GET', '/push/subscriptions', { token: alice.accessToken })).body.subscriptions).toEqual([])
    const forbidden = await server.request('DELETE', `/push/subscriptions/${mine.id}`, { token: alice.accessToken })
    expect(forbidden.status).toBe(404)
    expectErrorShape(forbidden.body, 'PUSH_SUBSCRIPTION_NOT_FOUND')
    expect((await server.request('GET', '/push/subscriptions', { token: bob.accessToken })).body.subscriptions.map((s: any) => s.id)).toEqual([mine.id])
    expect((await server.request('DELETE', `/push/subscriptions/${mine.id}`)).status).toBe(401)
    expect((await server.request('DELETE', `/push/subscriptions/${mine.id}`, { token: bob.accessToken })).status).toBe(204)
    expect((await server.request('DELETE', `/push/subscriptions/${mine.id}`, { token: bob.accessToken })).status).toBe(404)
    expect((await server.request('GET', '/push/subscriptions', { token: bob.accessToken })).body.subscriptions).toEqual([])
  })

  test('a browser subscribed by another account moves to it', async () => {
    const [alice, bob] = await Promise.all([server.register(), server.register()])
    const shared = browser()
    const first = (await subscribe(alice, shared)).body
    const second = await subscribe(bob, shared)
    expect(second.status).toBe(200)
    expect(second.body.id).toBe(first.id)
    expect((await server.request('GET', '/push/subscriptions', { token: alice.accessToken })).body.subscriptions).toEqual([])
    expect((await server.request('GET', '/push/subscriptions', { token: bob.accessToken })).body.subscriptions.map((s: any) => s.id)).toEqual([first.id])
  })
})
