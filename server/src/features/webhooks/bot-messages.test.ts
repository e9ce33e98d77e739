import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startServer, type Session, type TestServer } from '../../../test/harness'
import { seedWorkspace } from '../../../test/fixtures'
import { waitFor } from '../../../test/wait'
import { TestSocket } from '../../../test/socket'

let server: TestServer
let received: Array<{ path: string; body: any }> = []
let receiver: ReturnType<typeof Bun.serve>

beforeAll(async () => {
  receiver = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      received.push({ path: new URL(request.url).pathname, body: await request.json() })
      return new Response('ok')
    },
  })
  server = await startServer({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_TIMEOUT_MS: '2000', REDIS_URL: '' })
})
afterAll(async () => {
  await server.stop()
  receiver.stop(true)
})

const call = (session: Session | null, method: string, path: string, body?: unknown) => server.request(method, path, { token: session?.accessToken, body })
const url = (path: string) => `http://127.0.0.1:${receiver.port}${path}`

/** Message events recorded for a hook (recorded in the send transaction, so complete when the request returns). */
async function loggedContents(owner: Session, workspaceId: string, hookId: string): Promise<string[]> {
  const log = await call(owner, 'GET', `/workspaces/${workspaceId}/webhooks/${hookId}/deliveries?limit=200`)
  expect(log.status).toBe(200)
  const rows = server.ctx.db.$client.prepare('select id, payload from webhook_deliveries where webhook_id = ?').all(hookId) as Array<{ id: string; payload: string }>
  const payloads = new Map(rows.map((row) => [row.id, JSON.parse(row.payload)]))
  return (log.body as Array<{ id: string }>).reverse().map((d) => payloads.get(d.id).data.message.content)
}

describe('messages posted by incoming webhooks', () => {
  test('carry `bot` in REST, on sockets and in webhook payloads; humans never do', async () => {
    const [owner, member] = await Promise.all([server.register(), server.register()])
    const workspaceId = seedWorkspace(server, owner, [[member, 'member']])
    const channel = await call(owner, 'POST', '/conversations', { kind: 'channel', workspaceId, name: 'alerts', memberIds: [member.user.id] })
    const incoming = await call(owner, 'POST', `/conversations/${channel.body.id}/incoming-webhooks`, { name: 'Grafana' })
    expect(incoming.status).toBe(201)
    const socket = await TestSocket.ready(server.url, member.accessToken)
    try {
      expect((await server.request('POST', new URL(incoming.body.url).pathname, { body: { text: 'CPU high', username: 'Pager' } })).status).toBe(201)
      const event = await socket.next((frame: any) => frame.type === 'message.created')
      expect(event.message.bot).toEqual({ webhookId: incoming.body.id, name: 'Pager' })
    } finally {
      socket.close()
    }
    expect((await call(member, 'POST', `/conversations/${channel.body.id}/messages`, { content: 'on it' })).status).toBe(201)
    const history = await call(member, 'GET', `/conversations/${channel.body.id}/messages`)
    expect(history.body.messages.map((m: any) => [m.senderId, m.content, m.bot ?? null])).toEqual([
      [null, '**Pager**: CPU high', { webhookId: incoming.body.id, name: 'Pager' }],
      [member.user.id, 'on it', null],
    ])
  })

  test("are not delivered back to the workspace's outgoing webhooks unless a webhook asks for them", async () => {
    const [owner, member] = await Promise.all([server.register(), server.register()])
    const workspaceId = seedWorkspace(server, owner, [[member, 'member']])
    const channel = await call(owner, 'POST', '/conversations', { kind: 'channel', workspaceId, name: 'deploys', memberIds: [member.user.id] })
    const incoming = await call(owner, 'POST', `/conversations/${channel.body.id}/incoming-webhooks`, { name: 'CI' })
    const post = (text: string) => server.request('POST', new URL(incoming.body.url).pathname, { body: { text } })
    const plain = await call(owner, 'POST', `/workspaces/${workspaceId}/webhooks`, { url: url('/plain'), events: ['message.created', 'message.deleted'] })
    const echo = await call(owner, 'POST', `/workspaces/${workspaceId}/webhooks`, { url: url('/echo'), events: ['message.created', 'message.deleted'], includeBotMessages: true })
    expect([plain.body.includeBotMessages, echo.body.includeBotMessages]).toEqual([false, true])

    const bot = await post('build 1 passed')
    expect((await call(member, 'POST', `/conversations/${channel.body.id}/messages`, { content: 'nice' })).status).toBe(201)
    // A moderator removing the bot's message is not news to the plain hook either.
    expect((await call(owner, 'DELETE', `/conversations/${channel.body.id}/messages/${bot.body.id}`)).status).toBe(200)
    expect(await loggedContents(owner, workspaceId, plain.body.id)).toEqual(['nice'])
    expect(await loggedContents(owner, workspaceId, echo.body.id)).toEqual(['**CI**: build 1 passed', 'nice', ''])

    const delivered = await waitFor(() => (received.filter((r) => r.path === '/echo').length >= 3 ? received.filter((r) => r.path === '/echo') : undefined), 'echo deliveries')
    const fromBot = delivered.find((r) => r.body.event === 'message.created' && r.body.data.message.senderId === null)!
    expect(fromBot.body.data.message.bot).toEqual({ webhookId: incoming.body.id, name: 'CI' })
    expect(delivered.find((r) => r.body.data.message.content === 'nice')!.body.data.message.bot).toBeNull()

    // Turning it on later takes effect for the next message.
    const patched = await call(owner, 'PATCH', `/workspaces/${workspaceId}/webhooks/${plain.body.id}`, { includeBotMessages: true })
    expect(patched.status).toBe(200)
    expect(patched.body.includeBotMessages).toBe(true)
    await post('build 2 passed')
    expect(await loggedContents(owner, workspaceId, plain.body.id)).toEqual(['nice', '**CI**: build 2 passed'])
    expect((await call(owner, 'PATCH', `/workspaces/${workspaceId}/webhooks/${plain.body.id}`, { includeBotMessages: 'yes' })).status).toBe(422)
  })
})
