import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { webhookDeliveries, webhooks, workspaceMembers, workspaces, type WorkspaceRole } from '../../db/schema'
import { newId } from '../../lib/crypto'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { seedConversation, seedWorkspace } from '../../../test/fixtures'
import { waitFor } from '../../../test/wait'
import { isNonPublicAddress } from './destination'

interface Received {
  path: string
  headers: Headers
  body: string
}

/** A real HTTP receiver on loopback: records every request and answers each path from its plan (then 200). */
function startReceiver() {
  const received: Received[] = []
  const plans = new Map<string, number[]>()
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname
      received.push({ path, headers: request.headers, body: await request.text() })
      const status = plans.get(path)?.shift() ?? (path.startsWith('/always-500') ? 500 : path.startsWith('/redirect') ? 302 : 200)
      return new Response(status === 302 ? null : 'ok', { status, headers: status === 302 ? { location: 'http://169.254.169.254/' } : {} })
    },
  })
  return {
    url: (path: string) => `http://127.0.0.1:${server.port}${path}`,
    at: (path: string) => received.filter((r) => r.path === path),
    plan: (path: string, statuses: number[]) => plans.set(path, statuses),
    stop: () => server.stop(true),
  }
}

let server: TestServer
let strict: TestServer
let receiver: ReturnType<typeof startReceiver>

beforeAll(async () => {
  receiver = startReceiver()
  // No Redis: deliveries run on the in-process retry queue (the worker's BullMQ path has its own test).
  server = await startServer({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_TIMEOUT_MS: '2000', REDIS_URL: '' })
  strict = await startServer()
})
afterAll(async () => {
  await Promise.all([server.stop(), strict.stop()])
  receiver.stop()
})

function call(target: TestServer, session: Session | null, method: string, path: string, body?: unknown) {
  return target.request(method, path, { token: session?.accessToken, body })
}

/** Workspaces are another feature's; rows go in directly. */
const createWorkspace = seedWorkspace

async function createChannel(owner: Session, workspaceId: string, memberIds: string[]): Promise<string> {
  const response = await call(server, owner, 'POST', '/conversations', { kind: 'channel', workspaceId, name: `ch-${Math.random().toString(36).slice(2, 9)}`, memberIds })
  if (response.status !== 201) throw new Error(`channel create failed: ${response.status} ${JSON.stringify(response.body)}`)
  return response.body.id
}

async function createHook(session: Session, workspaceId: string, path: string, events: string[]) {
  const response = await call(server, session, 'POST', `/workspaces/${workspaceId}/webhooks`, { url: receiver.url(path), events })
  expect(response.status).toBe(201)
  return response.body as { id: string; secret: string }
}

async function send(session: Session, conversationId: string, content: string, parentId?: string) {
  const response = await call(server, session, 'POST', `/conversations/${conversationId}/messages`, { content, parentId })
  expect(response.status).toBe(201)
  return response.body as { id: string }
}

/** A fresh workspace with an owner, an admin and a member, and a channel all three are in. */
async function team() {
  const [owner, admin, member, outsider] = await Promise.all([server.register(), server.register(), server.register(), server.register()])
  const workspaceId = createWorkspace(server, owner!, [[admin!, 'admin'], [member!, 'member']])
  const channelId = await createChannel(owner!, workspaceId, [admin!.user.id, member!.user.id])
  return { owner: owner!, admin: admin!, member: member!, outsider: outsider!, workspaceId, channelId }
}

function expectSigned(request: Received, secret: string) {
  const timestamp = request.headers.get('x-parley-timestamp')!
  expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60)
  const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex')}`
  expect(request.headers.get('x-parley-signature')).toBe(expected)
}

describe('managing outgoing webhooks', () => {
  test('owners and admins create (secret shown once), list, update and delete; members and outsiders cannot', async () => {
    const { owner, admin, member, outsider, workspaceId } = await team()
    const created = await call(server, admin, 'POST', `/workspaces/${workspaceId}/webhooks`, { url: receiver.url('/manage'), events: ['message.created'] })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ workspaceId, url: receiver.url('/manage'), events: ['message.created'], enabled: true, consecutiveFailures: 0, createdBy: admin.user.id })
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{40,}$/)

    const list = await call(server, owner, 'GET', `/workspaces/${workspaceId}/webhooks`)
    expect(list.status).toBe(200)
    expect(list.body).toHaveLength(1)
    expect(list.body[0].secret).toBeUndefined()

    const updated = await call(server, owner, 'PATCH', `/workspaces/${workspaceId}/webhooks/${created.body.id}`, { events: ['message.created', 'thread.replied'], enabled: false })
    expect(updated.status).toBe(200)
    expect(updated.body).toMatchObject({ events: ['message.created', 'thread.replied'], enabled: false, disabledReason: 'disabled_by_admin' })

    const forMember = await call(server, member, 'GET', `/workspaces/${workspaceId}/webhooks`)
    expect(forMember.status).toBe(403)
    expectErrorShape(forMember.body, 'WORKSPACE_ADMIN_REQUIRED')
    expect((await call(server, member, 'POST', `/workspaces/${workspaceId}/webhooks`, { url: receiver.url('/x'), events: ['message.created'] })).status).toBe(403)
    expect((await call(server, outsider, 'GET', `/workspaces/${workspaceId}/webhooks`)).status).toBe(404)
    expect((await call(server, null, 'GET', `/workspaces/${workspaceId}/webhooks`)).status).toBe(401)

    expect((await call(server, admin, 'DELETE', `/workspaces/${workspaceId}/webhooks/${created.body.id}`)).status).toBe(204)
    expect((await call(server, admin, 'DELETE', `/workspaces/${workspaceId}/webhooks/${created.body.id}`)).status).toBe(404)
    expect((await call(server, owner, 'GET', `/workspaces/${workspaceId}/webhooks`)).body).toEqual([])
  })

  test('bad bodies are 422', async () => {
    const { owner, workspaceId } = await team()
    const hook = await createHook(owner, workspaceId, '/bad-bodies', ['message.created'])
    for (const body of [
      { url: 'ftp://example.com/hook', events: ['message.created'] },
      { url: 'not a url', events: ['message.created'] },
      { url: receiver.url('/x'), events: [] },
      { url: receiver.url('/x'), events: ['message.exploded'] },
      { url: receiver.url('/x'), events: ['ping'] },
      { url: receiver.url('/x'), events: ['message.created'], secret: 'mine' },
      { url: receiver.url('/x') },
    ]) {
      const response = await call(server, owner, 'POST', `/workspaces/${workspaceId}/webhooks`, body)
      expect(response.status).toBe(422)
      expectErrorShape(response.body)
    }
    for (const body of [{ enabled: 'yes' }, { events: [] }, { url: 'javascript:alert(1)' }, { extra: true }]) {
      expect((await call(server, owner, 'PATCH', `/workspaces/${workspaceId}/webhooks/${hook.id}`, body)).status).toBe(422)
    }
  })

  test('without WEBHOOK_ALLOW_PRIVATE_NETWORKS, loopback, private and link-local destinations are refused', async () => {
    const owner = await strict.register()
    const workspaceId = createWorkspace(strict, owner)
    for (const url of ['http://127.0.0.1:9/hook', 'http://10.0.0.1/hook', 'http://[::1]:8080/hook', 'http://localhost:8080/hook', 'https://169.254.169.254/latest', 'http://[::ffff:192.168.1.1]/', 'http://0.0.0.0/']) {
      const response = await call(strict, owner, 'POST', `/workspaces/${workspaceId}/webhooks`, { url, events: ['message.created'] })
      expect(response.status).toBe(422)
      expectErrorShape(response.body, 'WEBHOOK_URL_NOT_ALLOWED')
    }
    expect((await call(strict, owner, 'GET', `/workspaces/${workspaceId}/webhooks`)).body).toEqual([])
  })

  test('a destination that turned private is refused at delivery: failed at once, not retried', async () => {
    const owner = await strict.register()
    const workspaceId = createWorkspace(strict, owner)
    const hookId = newId()
    const deliveryId = newId()
    const now = new Date()
    // As if the name resolved publicly when saved and points at loopback now.
    strict.ctx.db.insert(webhooks).values({ id: hookId, workspaceId, url: receiver.url('/rebound'), events: ['message.created'], secret: 's', createdAt: now }).run()
    strict.ctx.db.insert(webhookDeliveries).values({ id: deliveryId, webhookId: hookId, event: 'message.created', payload: { id: deliveryId }, status: 'pending', createdAt: now }).run()
    expect(await strict.ctx.services.webhooks.deliver(deliveryId)).toBe('failed')
    const log = await call(strict, owner, 'GET', `/workspaces/${workspaceId}/webhooks/${hookId}/deliveries`)
    expect(log.body[0]).toMatchObject({ id: deliveryId, status: 'failed', attempts: 1, responseCode: null })
    expect(log.body[0].error).toStartWith('refused:')
    expect(receiver.at('/rebound')).toHaveLength(0)
  })

  test('the address classifier', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.31.255.255', '192.168.0.1', '169.254.1.1', '0.0.0.0', '224.0.0.1', '100.64.0.1', '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '64:ff9b::a00:1']) {
      expect(isNonPublicAddress(address)).toBe(true)
    }
    for (const address of ['8.8.8.8', '172.32.0.1', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isNonPublicAddress(address)).toBe(false)
  })
})

describe('deliveries', () => {
  test('channel messages are delivered signed, to the webhooks subscribed to their event only', async () => {
    const { owner, member, workspaceId, channelId } = await team()
    const created = await createHook(owner, workspaceId, '/created', ['message.created'])
    const replied = await createHook(owner, workspaceId, '/replied', ['thread.replied'])

    const root = await send(member, channelId, 'hello hooks')
    const [request] = await waitFor(() => (receiver.at('/created').length ? receiver.at('/created') : undefined), 'message.created delivery')
    expectSigned(request!, created.secret)
    expect(request!.headers.get('x-parley-event')).toBe('message.created')
    expect(request!.headers.get('content-type')).toBe('application/json')
    const payload = JSON.parse(request!.body)
    expect(payload).toMatchObject({ id: request!.headers.get('x-parley-delivery'), event: 'message.created', workspaceId, data: { message: { id: root.id, content: 'hello hooks', senderId: member.user.id, parentId: null }, conversation: { id: channelId, kind: 'channel' } } })
    expect(new Date(payload.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000)

    await send(member, channelId, 'a reply', root.id)
    const [reply] = await waitFor(() => (receiver.at('/replied').length ? receiver.at('/replied') : undefined), 'thread.replied delivery')
    expectSigned(reply!, replied.secret)
    expect(JSON.parse(reply!.body)).toMatchObject({ event: 'thread.replied', data: { message: { content: 'a reply', parentId: root.id } } })

    // Groups in the workspace and DMs never leave; a wrong secret would not verify.
    const group = seedConversation(server, [owner, member])
    await send(member, group, 'private chatter')
    await Bun.sleep(200)
    expect(receiver.at('/created')).toHaveLength(1)
    expect(receiver.at('/replied')).toHaveLength(1)
    expect(() => expectSigned(request!, replied.secret)).toThrow()

    const log = await call(server, owner, 'GET', `/workspaces/${workspaceId}/webhooks/${created.id}/deliveries`)
    expect(log.body).toHaveLength(1)
    expect(log.body[0]).toMatchObject({ event: 'message.created', status: 'succeeded', attempts: 1, responseCode: 200, error: null })
  })

  test('a failing receiver is retried with backoff until it answers 2xx', async () => {
    const { owner, member, workspaceId, channelId } = await team()
    receiver.plan('/flaky', [500, 503])
    const hook = await createHook(owner, workspaceId, '/flaky', ['message.created'])
    await send(member, channelId, 'try, try again')
    const delivery = await waitFor(async () => {
      const log = await call(server, owner, 'GET', `/workspaces/${workspaceId}/webhooks/${hook.id}/deliveries`)
      return log.body[0]?.status === 'succeeded' ? log.body[0] : undefined
    }, 'the third attempt', 10_000)
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 3, responseCode: 200, error: null })
    const attempts = receiver.at('/flaky')
    expect(attempts).toHaveLength(3)
    // Every attempt carries the same delivery id and body, each freshly signed.
    expect(new Set(attempts.map((a) => a.headers.get('x-parley-delivery'))).size).toBe(1)
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1)
    for (const attempt of attempts) expectSigned(attempt, hook.secret)
  })

  test('10 failed deliveries in a row disable the webhook; a success resets the count; delivering twice is a no-op', async () => {
    const { owner, member, workspaceId, channelId } = await team()
    const hook = await createHook(owner, workspaceId, '/always-500', ['message.created'])
    const service = server.ctx.services.webhooks
    // Deliveries on their last attempt, driven directly instead of waiting out the backoff.
    const lastAttempt = (): string => {
      const id = newId()
      server.ctx.db.insert(webhookDeliveries).values({ id, webhookId: hook.id, event: 'message.created', payload: { id }, status: 'pending', attempts: 5, createdAt: new Date() }).run()
      return id
    }
    const state = async () => (await call(server, owner, 'GET', `/workspaces/${workspaceId}/webhooks`)).body[0]
    for (let i = 0; i < 9; i++) expect(await service.deliver(lastAttempt())).toBe('failed')
    expect(await state()).toMatchObject({ consecutiveFailures: 9, enabled: true })

    receiver.plan('/always-500', [200])
    const succeeded = lastAttempt()
    expect(await service.deliver(succeeded)).toBe('succeeded')
    expect(await state()).toMatchObject({ consecutiveFailures: 0, enabled: true })
    const seen = receiver.at('/always-500').length
    expect(await service.deliver(succeeded)).toBe('succeeded')
    expect(receiver.at('/always-500')).toHaveLength(seen)

    for (let i = 0; i < 10; i++) await service.deliver(lastAttempt())
    expect(await state()).toMatchObject({ consecutiveFailures: 10, enabled: false, disabledReason: 'too_many_failures' })

    // A disabled webhook gets no new deliveries; re-enabling resets it.
    const before = (await call(server, owner, 'GET', `/workspaces/${workspaceId}/webhooks/${hook.id}/deliveries?limit=200`)).body.length
    await send(member, channelId, 'anyone there?')
    expect((await call(server, owner, 'GET', `/workspaces/${workspaceId}/webhooks/${hook.id}/deliveries?limit=200`)).body).toHaveLength(before)
    const enabled = await call(server, owner, 'PATCH', `/workspaces/${workspaceId}/webhooks/${hook.id}`, { enabled: true })
    expect(enabled.body).toMatchObject({ enabled: true, consecutiveFailures: 0, disabledAt: null, disabledReason: null })
  })

  test('the delivery log is for owners and admins only, newest first, limited', async () => {
    const { owner, admin, member, outsider, workspaceId } = await team()
    const hook = await createHook(owner, workspaceId, '/log', ['message.created'])
    for (let i = 0; i < 3; i++) await call(server, owner, 'POST', `/workspaces/${workspaceId}/webhooks/${hook.id}/test`)
    const log = await call(server, admin, 'GET', `/workspaces/${workspaceId}/webhooks/${hook.id}/deliveries?limit=2`)
    expect(log.status).toBe(200)
    expect(log.body).toHaveLength(2)
    expect(log.body[0].createdAt >= log.body[1].createdAt).toBe(true)
    expect(Object.keys(log.body[0]).sort()).toEqual(['attempts', 'createdAt', 'error', 'event', 'id', 'lastAttemptAt', 'responseCode', 'status', 'webhookId'])
    const forMember = await call(server, member, 'GET', `/workspaces/${workspaceId}/webhooks/${hook.id}/deliveries`)
    expect(forMember.status).toBe(403)
    expectErrorShape(forMember.body, 'WORKSPACE_ADMIN_REQUIRED')
    expect((await call(server, outsider, 'GET', `/workspaces/${workspaceId}/webhooks/${hook.id}/deliveries`)).status).toBe(404)
    expect((await call(server, owner, 'GET', `/workspaces/${workspaceId}/webhooks/${newId()}/deliveries`)).status).toBe(404)
    expect((await call(server, owner, 'GET', `/workspaces/${workspaceId}/webhooks/${hook.id}/deliveries?limit=0`)).status).toBe(422)
  })

  test('test sends a signed ping and reports the outcome; redirects are not followed', async () => {
    const { owner, workspaceId } = await team()
    const hook = await createHook(owner, workspaceId, '/ping', ['message.created'])
    const ping = await call(server, owner, 'POST', `/workspaces/${workspaceId}/webhooks/${hook.id}/test`)
    expect(ping.status).toBe(200)
    expect(ping.body).toMatchObject({ event: 'ping', status: 'succeeded', attempts: 1, responseCode: 200 })
    const [request] = receiver.at('/ping')
    expectSigned(request!, hook.secret)
    expect(request!.headers.get('x-parley-event')).toBe('ping')
    expect(JSON.parse(request!.body)).toMatchObject({ id: ping.body.id, event: 'ping', workspaceId, data: { webhookId: hook.id } })

    const failing = await createHook(owner, workspaceId, '/always-500/ping', ['message.created'])
    const failed = await call(server, owner, 'POST', `/workspaces/${workspaceId}/webhooks/${failing.id}/test`)
    expect(failed.body).toMatchObject({ status: 'failed', responseCode: 500, error: 'HTTP 500' })

    const redirecting = await createHook(owner, workspaceId, '/redirect', ['message.created'])
    const redirected = await call(server, owner, 'POST', `/workspaces/${workspaceId}/webhooks/${redirecting.id}/test`)
    expect(redirected.body).toMatchObject({ status: 'failed', responseCode: 302 })
    expect(redirected.body.error).toContain('redirect')
  })
})

describe('incoming webhooks', () => {
  test('a channel owner creates one; posting to its URL adds a bot message members see', async () => {
    const { owner, member, workspaceId, channelId } = await team()
    const created = await call(server, owner, 'POST', `/conversations/${channelId}/incoming-webhooks`, { name: 'CI' })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ conversationId: channelId, name: 'CI', createdBy: owner.user.id, revokedAt: null })
    const path = new URL(created.body.url).pathname
    expect(path).toMatch(/^\/hooks\/incoming\/[A-Za-z0-9_-]{40,}$/)

    const posted = await server.request('POST', path, { body: { text: 'Build **passed**' } })
    expect(posted.status).toBe(201)
    expect(posted.body).toMatchObject({ conversationId: channelId, seq: 1 })
    expect((await server.request('POST', path, { body: { text: 'Deployed', username: 'Deploy bot' } })).status).toBe(201)

    const history = await call(server, member, 'GET', `/conversations/${channelId}/messages`)
    expect(history.body.messages.map((m: any) => [m.senderId, m.type, m.content])).toEqual([
      [null, 'text', '**CI**: Build **passed**'],
      [null, 'text', '**Deploy bot**: Deployed'],
    ])

    // An outgoing webhook that asks for them gets bot messages like any other (bot-messages.test.ts covers the default).
    expect((await call(server, owner, 'POST', `/workspaces/${workspaceId}/webhooks`, { url: receiver.url('/from-bot'), events: ['message.created'], includeBotMessages: true })).status).toBe(201)
    await server.request('POST', path, { body: { text: 'ping from CI' } })
    const [delivered] = await waitFor(() => (receiver.at('/from-bot').length ? receiver.at('/from-bot') : undefined), 'bot message delivery')
    expect(JSON.parse(delivered!.body).data.message).toMatchObject({ senderId: null, content: '**CI**: ping from CI', bot: { webhookId: created.body.id, name: 'CI' } })

    const list = await call(server, owner, 'GET', `/conversations/${channelId}/incoming-webhooks`)
    expect(list.body).toHaveLength(1)
    expect(list.body[0].url).toBeUndefined()
  })

  test('bad bodies are 422, revoked and unknown tokens 404, plain members cannot manage them', async () => {
    const { owner, admin, member, outsider, channelId } = await team()
    const created = await call(server, admin, 'POST', `/conversations/${channelId}/incoming-webhooks`, { name: 'Alerts' })
    expect(created.status).toBe(201)
    const path = new URL(created.body.url).pathname
    for (const body of [{}, { text: '' }, { text: 'x'.repeat(4001) }, { text: 'hi', username: 'x'.repeat(81) }, { text: 'hi', channel: '#general' }]) {
      const response = await server.request('POST', path, { body })
      expect(response.status).toBe(422)
      expectErrorShape(response.body, 'VALIDATION_FAILED')
    }
    for (const body of [{}, { name: '' }, { name: 'x'.repeat(81) }, { name: 'ok', token: 'mine' }]) {
      expect((await call(server, owner, 'POST', `/conversations/${channelId}/incoming-webhooks`, body)).status).toBe(422)
    }
    const forMember = await call(server, member, 'POST', `/conversations/${channelId}/incoming-webhooks`, { name: 'Mine' })
    expect(forMember.status).toBe(403)
    expectErrorShape(forMember.body, 'NOT_CHANNEL_MANAGER')
    expect((await call(server, outsider, 'GET', `/conversations/${channelId}/incoming-webhooks`)).status).toBe(404)
    const group = seedConversation(server, [owner], { roles: { [owner.user.id]: 'owner' } })
    const notChannel = await call(server, owner, 'POST', `/conversations/${group}/incoming-webhooks`, { name: 'x' })
    expect(notChannel.status).toBe(422)
    expectErrorShape(notChannel.body, 'NOT_A_CHANNEL')

    expect((await call(server, owner, 'DELETE', `/conversations/${channelId}/incoming-webhooks/${created.body.id}`)).status).toBe(204)
    const revoked = await server.request('POST', path, { body: { text: 'still here?' } })
    expect(revoked.status).toBe(404)
    expectErrorShape(revoked.body, 'INCOMING_WEBHOOK_NOT_FOUND')
    expect((await server.request('POST', '/hooks/incoming/not-a-real-token', { body: { text: 'hi' } })).status).toBe(404)
    expect((await call(server, member, 'GET', `/conversations/${channelId}/messages`)).body.messages).toEqual([])
  })
})

describe('edits and deletions', () => {
  test('message.updated and message.deleted go to the webhooks subscribed to them, signed like the rest', async () => {
    const { owner, workspaceId, channelId } = await team()
    const hook = await createHook(owner, workspaceId, '/changes', ['message.updated', 'message.deleted'])
    const message = await send(owner, channelId, 'first draft')
    expect((await call(server, owner, 'PATCH', `/conversations/${channelId}/messages/${message.id}`, { content: 'final wording' })).status).toBe(200)
    expect((await call(server, owner, 'DELETE', `/conversations/${channelId}/messages/${message.id}`)).status).toBe(200)
    const requests = await waitFor(() => (receiver.at('/changes').length >= 2 ? receiver.at('/changes') : undefined), 'update and delete deliveries')
    // Deliveries are independent jobs, so they may arrive in either order.
    const byEvent = new Map(requests.map((r) => JSON.parse(r.body)).map((b) => [b.event, b]))
    expect([...byEvent.keys()].sort()).toEqual(['message.deleted', 'message.updated'])
    expect(byEvent.get('message.updated').data.message).toMatchObject({ id: message.id, content: 'final wording' })
    expect(byEvent.get('message.deleted').data.message).toMatchObject({ id: message.id, content: '' })
    for (const request of requests) expectSigned(request, hook.secret)
    // The create was not subscribed, so only the two changes arrived.
    expect(receiver.at('/changes')).toHaveLength(2)
  })
})
