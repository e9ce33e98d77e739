import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { notifications, pushSubscriptions } from '../../db/schema'
import { createLogger } from '../../logger'
import type { TestServer } from '../../../test/harness'
import { seedConversation, seedWorkspace } from '../../../test/fixtures'
import { waitFor } from '../../../test/wait'
import { PushSender } from './sender'
import { startPushStack } from './test-kit'

let stack: Awaited<ReturnType<typeof startPushStack>>
let server: TestServer

beforeAll(async () => {
  stack = await startPushStack()
  server = stack.server
})
afterAll(() => stack.stop())

const browser = () => stack.browser()
const subscribe: typeof stack.subscribe = (...args) => stack.subscribe(...args)
const send: typeof stack.send = (...args) => stack.send(...args)
const payloads: typeof stack.payloads = (target) => stack.payloads(target)
const pushedTo: typeof stack.pushedTo = (...args) => stack.pushedTo(...args)

describe('delivery', () => {
  test('a mention reaches every browser of the recipient, encrypted to each and VAPID-signed, with only a short preview', async () => {
    const [alice, bob] = await Promise.all([server.register(), server.register()])
    const conversation = seedConversation(server, [alice, bob], { name: 'Design' })
    const [phone, laptop, alicesOwn] = [browser(), browser(), browser()]
    for (const [who, target] of [[bob, phone], [bob, laptop], [alice, alicesOwn]] as const) expect((await subscribe(who, target)).status).toBe(201)
    const secret = 'the tail of a long message stays on the server'
    const message = await send(alice, conversation, `@${bob.user.username} ${'x'.repeat(120)} ${secret}`)

    const [onPhone] = await pushedTo(phone, 1)
    const [onLaptop] = await pushedTo(laptop, 1)
    expect(onLaptop).toEqual(onPhone)
    expect(onPhone).toMatchObject({
      title: `${(await server.request('GET', '/users/me', { token: alice.accessToken })).body.displayName} mentioned you in Design`,
      url: `/c/${conversation}?message=${message.id}`,
      tag: `conversation:${conversation}`,
      kind: 'mention',
      conversationId: conversation,
      messageId: message.id,
    })
    expect(onPhone.body.startsWith(`@${bob.user.username} xxx`)).toBe(true)
    expect([...onPhone.body].length).toBeLessThanOrEqual(100)
    expect(JSON.stringify(onPhone)).not.toContain('stays on the server')
    const [request] = stack.pushService.at(phone.endpoint)
    expect(request!.headers.get('content-encoding')).toBe('aes128gcm')
    expect(request!.headers.get('ttl')).toBe('86400')
    expect(request!.headers.get('urgency')).toBe('high')
    expect(stack.pushService.rejected).toEqual([])
    // The sender is no recipient of their own message.
    expect(stack.pushService.at(alicesOwn.endpoint)).toEqual([])
    const listed = await waitFor(async () => {
      const subscriptions = (await server.request('GET', '/push/subscriptions', { token: bob.accessToken })).body.subscriptions
      return subscriptions.every((s: any) => s.lastSuccessAt) ? subscriptions : undefined
    }, 'lastSuccessAt')
    expect(listed).toHaveLength(2)
  })

  test('a DM is titled with the sender; a thread reply opens the thread', async () => {
    const [alice, bob] = await Promise.all([server.register(), server.register()])
    const dm = seedConversation(server, [alice, bob], { kind: 'dm' })
    const [bobs, alices] = [browser(), browser()]
    await subscribe(bob, bobs)
    await subscribe(alice, alices)
    const hello = await send(alice, dm, 'hello there')
    const [pushed] = await pushedTo(bobs, 1)
    expect(pushed).toMatchObject({ body: 'hello there', kind: 'dm', url: `/c/${dm}?message=${hello.id}`, tag: `conversation:${dm}` })
    expect(pushed.title).toBe((await server.request('GET', '/users/me', { token: alice.accessToken })).body.displayName)

    const group = seedConversation(server, [alice, bob], { name: 'Planning' })
    const root = await send(alice, group, 'a root')
    const reply = await send(bob, group, 'a reply in the thread', root.id)
    const [threadPush] = await pushedTo(alices, 1)
    expect(threadPush).toMatchObject({ kind: 'thread_reply', body: 'a reply in the thread', url: `/c/${group}?message=${reply.id}&thread=${root.id}`, tag: `conversation:${group}` })
    expect(threadPush.title).toContain('replied in a thread in Planning')
    expect(stack.pushService.at(alices.endpoint)[0]!.headers.get('urgency')).toBe('normal')
  })

  test('a workspace invite to an existing account is pushed and opens the notifications panel', async () => {
    const [alice, bob] = await Promise.all([server.register(), server.register()])
    const workspaceId = seedWorkspace(server, alice)
    const target = browser()
    await subscribe(bob, target)
    const invited = await server.request('POST', `/workspaces/${workspaceId}/invites`, { token: alice.accessToken, body: { kind: 'email', email: bob.user.email } })
    expect(invited.status).toBe(201)
    const [pushed] = await pushedTo(target, 1)
    expect(pushed).toMatchObject({ kind: 'invite', title: 'Invitation to Workspace', url: '/?panel=notifications', conversationId: null, messageId: null })
    expect(pushed.body).toContain('invited you as member')
    expect(pushed.tag).toBe(`invite:${pushed.notificationId}`)
  })

  test('do-not-disturb, level none and a muted conversation push nothing; the notification is still stored', async () => {
    const [alice, bob] = await Promise.all([server.register(), server.register()])
    const conversation = seedConversation(server, [alice, bob])
    const target = browser()
    await subscribe(bob, target)
    const mention = () => send(alice, conversation, `@${bob.user.username} ping`)
    const settings = (body: unknown) => server.request('PATCH', `/conversations/${conversation}/me`, { token: bob.accessToken, body })

    expect((await server.request('PUT', '/users/me/dnd', { token: bob.accessToken, body: { until: new Date(Date.now() + 3_600_000).toISOString() } })).status).toBe(200)
    const duringDnd = await mention()
    expect((await server.request('PUT', '/users/me/dnd', { token: bob.accessToken, body: { until: null } })).status).toBe(200)
    expect((await settings({ notificationLevel: 'none' })).status).toBe(200)
    await mention()
    expect((await settings({ notificationLevel: 'all', muted: true })).status).toBe(200)
    const whileMuted = await mention()
    expect((await settings({ muted: false })).status).toBe(200)
    const loud = await mention()

    // Pushes are queued in commit order, so once the last one arrived the earlier ones would have too.
    const received = await pushedTo(target, 1)
    expect(received.map((p) => p.messageId)).toEqual([loud.id])
    const stored = server.ctx.db.select({ messageId: notifications.messageId }).from(notifications).where(eq(notifications.userId, bob.user.id)).all().map((row) => row.messageId)
    expect(stored).toEqual(expect.arrayContaining([duringDnd.id, whileMuted.id, loud.id]))
  })

  test('a notification read, or silenced by level, before its push goes out is not pushed', async () => {
    const [alice, bob] = await Promise.all([server.register(), server.register()])
    const conversation = seedConversation(server, [alice, bob])
    // No subscription yet, so nothing is queued; the sender is then called as the worker would.
    const first = await send(alice, conversation, `@${bob.user.username} one`)
    const second = await send(alice, conversation, `@${bob.user.username} two`)
    const target = browser()
    await subscribe(bob, target)
    const idOf = (messageId: string) => server.ctx.db.select({ id: notifications.id }).from(notifications).where(eq(notifications.messageId, messageId)).get()!.id
    const sender = new PushSender(server.ctx.db, server.ctx.config, createLogger('silent'))
    expect((await server.request('POST', `/notifications/${idOf(first.id)}/read`, { token: bob.accessToken })).status).toBe(200)
    expect(await sender.deliver(idOf(first.id))).toEqual({ status: 'skipped', reason: 'read' })
    await server.request('PATCH', `/conversations/${conversation}/me`, { token: bob.accessToken, body: { notificationLevel: 'none' } })
    expect(await sender.deliver(idOf(second.id))).toEqual({ status: 'skipped', reason: 'level' })
    await server.request('PATCH', `/conversations/${conversation}/me`, { token: bob.accessToken, body: { notificationLevel: 'mentions' } })
    expect(await sender.deliver(idOf(second.id))).toEqual({ status: 'delivered', sent: 1, expired: 0, failed: 0 })
    expect(await sender.deliver('no-such-notification')).toEqual({ status: 'skipped', reason: 'missing' })
    expect(payloads(target).map((p) => p.messageId)).toEqual([second.id])
  })

  test('after signing out, a browser gets nothing more: its subscription goes unsent', async () => {
    const [alice, bob] = await Promise.all([server.register(), server.register()])
    const conversation = seedConversation(server, [alice, bob])
    const shared = browser()
    const kept = browser()
    const subscribed = (await subscribe(bob, shared)).body
    const other = await server.login(bob.user.email, bob.password)
    expect((await server.request('POST', '/push/subscriptions', { token: other.body.accessToken, body: { endpoint: kept.endpoint, keys: kept.keys } })).status).toBe(201)
    expect((await server.request('POST', '/auth/logout', { token: bob.accessToken })).status).toBe(204)
    const message = await send(alice, conversation, `@${bob.user.username} still there?`)

    expect((await pushedTo(kept, 1)).map((p) => p.messageId)).toEqual([message.id])
    await waitFor(() => (server.ctx.db.select().from(pushSubscriptions).where(eq(pushSubscriptions.id, subscribed.id)).get() ? undefined : true), 'the signed-out subscription removed')
    expect(stack.pushService.at(shared.endpoint)).toEqual([])
  })

  test('410 and 404 from the push service delete the subscription; a 500 is retried', async () => {
    const [alice, bob] = await Promise.all([server.register(), server.register()])
    const conversation = seedConversation(server, [alice, bob])
    const [gone, missing, flaky] = [browser(), browser(), browser()]
    for (const target of [gone, missing, flaky]) await subscribe(bob, target)
    stack.pushService.plan(gone.endpoint, [410])
    stack.pushService.plan(missing.endpoint, [404])
    stack.pushService.plan(flaky.endpoint, [500])
    const message = await send(alice, conversation, `@${bob.user.username} are you there?`)

    const retried = await pushedTo(flaky, 2)
    expect(retried.map((p) => p.messageId)).toEqual([message.id, message.id])
    const left = await waitFor(async () => {
      const subscriptions = (await server.request('GET', '/push/subscriptions', { token: bob.accessToken })).body.subscriptions
      return subscriptions.length === 1 ? subscriptions : undefined
    }, 'expired subscriptions removed')
    expect(left[0].endpoint).toBe(flaky.endpoint)
  })
})
