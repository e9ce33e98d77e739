import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { seedWorkspace } from '../../../test/fixtures'
import { waitFor } from '../../../test/wait'
import { CONVERSATION_EVENTS, MEMBER_EVENTS, WEBHOOK_EVENTS } from './model'

/** A real HTTP receiver on loopback that records every request and answers 200. */
function startReceiver() {
  const received: Array<{ path: string; headers: Headers; body: string }> = []
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      received.push({ path: new URL(request.url).pathname, headers: request.headers, body: await request.text() })
      return new Response('ok')
    },
  })
  return { url: (path: string) => `http://127.0.0.1:${server.port}${path}`, at: (path: string) => received.filter((r) => r.path === path), stop: () => server.stop(true) }
}

let server: TestServer
let receiver: ReturnType<typeof startReceiver>

beforeAll(async () => {
  receiver = startReceiver()
  server = await startServer({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_TIMEOUT_MS: '2000', REDIS_URL: '' })
})
afterAll(async () => {
  await server.stop()
  receiver.stop()
})

const call = (session: Session | null, method: string, path: string, body?: unknown) => server.request(method, path, { token: session?.accessToken, body })

async function createHook(owner: Session, workspaceId: string, path: string, events: readonly string[]) {
  const response = await call(owner, 'POST', `/workspaces/${workspaceId}/webhooks`, { url: receiver.url(path), events })
  expect(response.status).toBe(201)
  return response.body as { id: string; secret: string }
}

/** Deliveries are recorded in the transaction of the change, so the log is complete when the request returns. Oldest first. */
async function logged(owner: Session, workspaceId: string, hookId: string): Promise<Array<{ event: string; data: any }>> {
  const response = await call(owner, 'GET', `/workspaces/${workspaceId}/webhooks/${hookId}/deliveries?limit=200`)
  expect(response.status).toBe(200)
  const rows = server.ctx.db.$client.prepare('select id, payload from webhook_deliveries where webhook_id = ?').all(hookId) as Array<{ id: string; payload: string }>
  const payloads = new Map(rows.map((row) => [row.id, JSON.parse(row.payload)]))
  return (response.body as Array<{ id: string }>).reverse().map((delivery) => payloads.get(delivery.id))
}

async function team() {
  const [owner, admin, member, extra] = await Promise.all([server.register(), server.register(), server.register(), server.register()])
  const workspaceId = seedWorkspace(server, owner!, [[admin!, 'admin'], [member!, 'member'], [extra!, 'member']])
  return { owner: owner!, admin: admin!, member: member!, extra: extra!, workspaceId }
}

describe('member events of the workspace', () => {
  test('joined by invite, role changed, ownership transferred, removed (with the channels left) and left, signed and delivered', async () => {
    const { owner, admin, member, workspaceId } = await team()
    const hook = await createHook(owner, workspaceId, '/workspace-members', MEMBER_EVENTS)
    const newcomer = await server.register()

    const invite = await call(owner, 'POST', `/workspaces/${workspaceId}/invites`, { kind: 'link', role: 'member' })
    expect(invite.status).toBe(201)
    expect((await call(newcomer, 'POST', `/invites/${invite.body.code}/accept`)).status).toBe(200)
    const channel = await call(owner, 'POST', '/conversations', { kind: 'channel', workspaceId, name: 'general' })
    expect((await call(newcomer, 'POST', `/conversations/${channel.body.id}/join`)).status).toBe(200)
    expect((await call(admin, 'PATCH', `/workspaces/${workspaceId}/members/${member.user.id}`, { role: 'guest' })).status).toBe(200)
    expect((await call(owner, 'POST', `/workspaces/${workspaceId}/transfer`, { userId: admin.user.id })).status).toBe(200)
    expect((await call(admin, 'DELETE', `/workspaces/${workspaceId}/members/${newcomer.user.id}`)).status).toBe(204)
    expect((await call(member, 'POST', `/workspaces/${workspaceId}/leave`)).status).toBe(204)

    const events = await logged(owner, workspaceId, hook.id)
    expect(events.map((e) => [e.event, e.data.scope, e.data.member.userId, e.data.member.role, e.data.member.previousRole ?? null, e.data.actorId])).toEqual([
      ['member.joined', 'workspace', newcomer.user.id, 'member', null, newcomer.user.id],
      ['member.joined', 'conversation', newcomer.user.id, 'member', null, newcomer.user.id],
      ['member.role_changed', 'workspace', member.user.id, 'guest', 'member', admin.user.id],
      ['member.role_changed', 'workspace', admin.user.id, 'owner', 'admin', owner.user.id],
      ['member.role_changed', 'workspace', owner.user.id, 'admin', 'owner', owner.user.id],
      ['member.removed', 'workspace', newcomer.user.id, 'member', null, admin.user.id],
      ['member.left', 'workspace', member.user.id, 'guest', null, member.user.id],
    ])
    const [joined] = events
    expect(joined!.data).toEqual({ scope: 'workspace', conversation: null, member: { userId: newcomer.user.id, username: newcomer.user.username, displayName: expect.any(String), role: 'member' }, actorId: newcomer.user.id })
    expect(events[1]!.data.conversation).toEqual({ id: channel.body.id, kind: 'channel', name: 'general', isPrivate: false })
    // Removal from the workspace takes its channels along; the event lists them instead of one event per channel.
    expect(events[5]!.data.conversationIds).toEqual([channel.body.id])
    expect(events[6]!.data.conversationIds).toEqual([])

    // They go out like message events: queued, signed with the hook's secret, one POST each.
    const requests = await waitFor(() => (receiver.at('/workspace-members').length >= events.length ? receiver.at('/workspace-members') : undefined), 'member deliveries')
    for (const request of requests) {
      const timestamp = request.headers.get('x-parley-timestamp')!
      expect(request.headers.get('x-parley-signature')).toBe(`sha256=${createHmac('sha256', hook.secret).update(`${timestamp}.${request.body}`).digest('hex')}`)
      expect(MEMBER_EVENTS).toContain(request.headers.get('x-parley-event') as never)
      expect(JSON.parse(request.body)).toMatchObject({ workspaceId, event: request.headers.get('x-parley-event') })
    }
  })

  test('a refused change records nothing; a webhook gets only the events it subscribed to', async () => {
    const { owner, admin, member, workspaceId } = await team()
    const messagesOnly = await createHook(owner, workspaceId, '/messages-only', ['message.created'])
    const roles = await createHook(owner, workspaceId, '/roles-only', ['member.role_changed'])
    // A member may not change roles, and the owner's role only moves by transfer: both refused, nothing recorded.
    expect((await call(member, 'PATCH', `/workspaces/${workspaceId}/members/${admin.user.id}`, { role: 'member' })).status).toBe(403)
    expect((await call(admin, 'PATCH', `/workspaces/${workspaceId}/members/${owner.user.id}`, { role: 'member' })).status).toBe(403)
    // Setting the role a member already has changes nothing and tells nobody.
    expect((await call(owner, 'PATCH', `/workspaces/${workspaceId}/members/${member.user.id}`, { role: 'member' })).status).toBe(200)
    expect(await logged(owner, workspaceId, roles.id)).toEqual([])
    expect((await call(owner, 'PATCH', `/workspaces/${workspaceId}/members/${member.user.id}`, { role: 'admin' })).status).toBe(200)
    expect((await call(member, 'POST', `/workspaces/${workspaceId}/leave`)).status).toBe(204)
    expect((await logged(owner, workspaceId, roles.id)).map((e) => e.event)).toEqual(['member.role_changed'])
    expect(await logged(owner, workspaceId, messagesOnly.id)).toEqual([])
  })
})

describe('channel member and conversation events', () => {
  test('created, joined, added, left, removed, banned, a new owner by succession, archived and unarchived', async () => {
    const { owner, admin, member, extra, workspaceId } = await team()
    const hook = await createHook(owner, workspaceId, '/channels', [...MEMBER_EVENTS, ...CONVERSATION_EVENTS])
    const created = await call(owner, 'POST', '/conversations', { kind: 'channel', workspaceId, name: 'ops', memberIds: [member.user.id] })
    expect(created.status).toBe(201)
    const id = created.body.id
    const changes: Array<[Session, string, string, unknown?]> = [
      [admin, 'POST', `/conversations/${id}/join`],
      [member, 'POST', `/conversations/${id}/participants`, { userIds: [extra.user.id] }],
      [owner, 'DELETE', `/conversations/${id}/participants/${extra.user.id}`],
      [admin, 'POST', `/conversations/${id}/moderation/bans`, { userId: member.user.id, minutes: 5 }],
      [owner, 'POST', `/conversations/${id}/leave`],
      [admin, 'POST', `/conversations/${id}/archive`],
      [admin, 'POST', `/conversations/${id}/unarchive`],
    ]
    for (const [who, method, path, body] of changes) expect((await call(who, method, path, body)).status, `${method} ${path}`).toBeLessThan(300)

    const events = await logged(owner, workspaceId, hook.id)
    expect(events.map((e) => [e.event, e.data.member?.userId ?? null, e.data.member?.role ?? null, e.data.actorId])).toEqual([
      ['conversation.created', null, null, owner.user.id],
      ['member.joined', admin.user.id, 'member', admin.user.id],
      ['member.joined', extra.user.id, 'member', member.user.id],
      ['member.removed', extra.user.id, 'member', owner.user.id],
      ['member.removed', member.user.id, 'member', admin.user.id],
      ['member.left', owner.user.id, 'owner', owner.user.id],
      // The last owner leaving hands the channel on; nobody acted, so no actor.
      ['member.role_changed', admin.user.id, 'owner', null],
      ['conversation.archived', null, null, admin.user.id],
      ['conversation.unarchived', null, null, admin.user.id],
    ])
    expect(events[0]!.data).toMatchObject({ conversation: { id, kind: 'channel', name: 'ops', isPrivate: false, archivedAt: null, createdBy: owner.user.id }, memberIds: [owner.user.id, member.user.id] })
    expect(events[6]!.data.member.previousRole).toBe('member')
    expect(events[7]!.data.conversation.archivedAt).toEqual(expect.any(String))
    for (const event of events.slice(1, 7)) expect(event.data).toMatchObject({ scope: 'conversation', conversation: { id, kind: 'channel' } })
  })

  test('groups and DMs of the same people emit nothing; repeated joins and archives emit once; other workspaces hear nothing', async () => {
    const { owner, member, workspaceId } = await team()
    const hook = await createHook(owner, workspaceId, '/quiet', WEBHOOK_EVENTS)
    const group = await call(owner, 'POST', '/conversations', { kind: 'group', workspaceId, memberIds: [member.user.id] })
    expect(group.status).toBe(201)
    expect((await call(member, 'POST', `/conversations/${group.body.id}/leave`)).status).toBe(204)
    expect((await call(owner, 'POST', '/conversations', { kind: 'dm', userId: member.user.id })).status).toBeLessThan(300)
    const channel = await call(owner, 'POST', '/conversations', { kind: 'channel', workspaceId, name: 'once' })
    for (let i = 0; i < 2; i++) expect((await call(member, 'POST', `/conversations/${channel.body.id}/join`)).status).toBe(200)
    for (let i = 0; i < 2; i++) expect((await call(owner, 'POST', `/conversations/${channel.body.id}/archive`)).status).toBe(200)
    expect((await logged(owner, workspaceId, hook.id)).map((e) => e.event)).toEqual(['conversation.created', 'member.joined', 'conversation.archived'])
    // Someone else's workspace hears nothing of this one.
    const other = await team()
    const elsewhere = await createHook(other.owner, other.workspaceId, '/elsewhere', WEBHOOK_EVENTS)
    expect((await call(owner, 'POST', `/conversations/${channel.body.id}/unarchive`)).status).toBe(200)
    expect(await logged(other.owner, other.workspaceId, elsewhere.id)).toEqual([])
  })
})

describe('event names', () => {
  test('every documented event is accepted; unknown names are 422 naming `events`', async () => {
    const { owner, workspaceId } = await team()
    const all = await call(owner, 'POST', `/workspaces/${workspaceId}/webhooks`, { url: receiver.url('/all'), events: WEBHOOK_EVENTS })
    expect(all.status).toBe(201)
    expect(all.body.events).toEqual([...WEBHOOK_EVENTS])
    expect(all.body.includeBotMessages).toBe(false)
    for (const events of [['member.exploded'], ['member.joined', 'conversation.deleted'], ['ping']]) {
      const response = await call(owner, 'POST', `/workspaces/${workspaceId}/webhooks`, { url: receiver.url('/x'), events })
      expect(response.status).toBe(422)
      expectErrorShape(response.body, 'VALIDATION_FAILED')
      expect(JSON.stringify(response.body.error.details)).toContain('events')
    }
    const patched = await call(owner, 'PATCH', `/workspaces/${workspaceId}/webhooks/${all.body.id}`, { events: ['member.unknown'] })
    expect(patched.status).toBe(422)
    expectErrorShape(patched.body, 'VALIDATION_FAILED')
  })
})
