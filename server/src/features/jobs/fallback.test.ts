import { afterAll, beforeAll, expect, test } from 'bun:test'
import { conversationKit } from '../../../test/conversation-kit'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { freePort } from '../../../test/redis'
import { waitFor } from '../../../test/wait'
import { png, uploadSimple } from '../files/file-kit'

// One JobService serves every producer; with the queue store unreachable, each feature either answers
// 503 JOBS_UNAVAILABLE (no in-process path) or takes its in-process path, and chat keeps working.
let server: TestServer
let owner: Session
const received: string[] = []
let receiver: ReturnType<typeof Bun.serve>

beforeAll(async () => {
  receiver = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      received.push(await request.text())
      return new Response('ok')
    },
  })
  server = await startServer({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' })
  owner = await server.register()
})

afterAll(async () => {
  await server.stop()
  receiver.stop(true)
})

test('Redis away: chat is sent, an export is 503 JOBS_UNAVAILABLE, webhooks and thumbnails run in the API', async () => {
  const kit = conversationKit(server)
  const workspaceId = kit.createWorkspace(owner)
  const channelId = (await kit.createChannel(owner, workspaceId)).id
  const hook = await kit.call(owner, 'POST', `/workspaces/${workspaceId}/webhooks`, { url: `http://127.0.0.1:${receiver.port}/hook`, events: ['message.created'] })
  expect(hook.status).toBe(201)

  const sent = await kit.call(owner, 'POST', `/conversations/${channelId}/messages`, { content: 'still here without Redis' })
  expect(sent.status).toBe(201)

  const exported = await kit.call(owner, 'POST', `/conversations/${channelId}/exports`, { format: 'markdown' })
  expect(exported.status).toBe(503)
  expectErrorShape(exported.body, 'JOBS_UNAVAILABLE')

  // The webhook delivery was recorded with the message and goes out from the API process.
  const delivered = await waitFor(() => received.find((body) => body.includes('still here without Redis')), 'the in-process webhook delivery', 10_000)
  expect(JSON.parse(delivered)).toMatchObject({ event: 'message.created', workspaceId })

  // The upload's media job runs in process too: its thumbnails are made.
  const uploaded = await uploadSimple(server, owner, await png(640, 480), { name: 'photo.png' })
  expect(uploaded.status).toBe(201)
  const processed = await waitFor(async () => {
    const file = await server.request('GET', `/files/${uploaded.body.id}`, { token: owner.accessToken })
    return file.body.processing === 'done' ? file.body : undefined
  }, 'the in-process media job', 15_000)
  expect(Object.keys(processed.variants)).toEqual(expect.arrayContaining(['thumb-160', 'thumb-320']))
}, 60_000)
