import { afterAll, beforeAll, expect, test } from 'bun:test'
import { Queue } from 'bullmq'
import { spawn, type Subprocess } from 'bun'
import { QUEUES } from '../../../server/src/contracts/jobs'
import { fakeBrowser, startPushService } from '../../../server/src/features/push/test-kit'
import { startServer, type TestServer } from '../../../server/test/harness'
import { seedConversation } from '../../../server/test/fixtures'
import { waitFor } from '../../../server/test/wait'

let server: TestServer
let worker: Subprocess<'ignore', 'pipe', 'pipe'>
let queue: Queue
let pushService: ReturnType<typeof startPushService>

/** The whole path: the API queues the push in Redis, a real worker process on the same database sends it. */
beforeAll(async () => {
  server = await startServer({ PUSH_ALLOW_LOCAL_ENDPOINTS: 'true' })
  pushService = startPushService(() => server.ctx.services.push.keys.publicKey)
  const { redisUrl, redisPrefix } = server.ctx.config
  worker = spawn(['bun', 'worker/src/index.ts'], {
    env: { ...process.env, DATA_DIR: server.dataDir, REDIS_URL: redisUrl!, REDIS_PREFIX: redisPrefix, WORKER_QUEUES: QUEUES.push, PUSH_ALLOW_LOCAL_ENDPOINTS: 'true', LOG_LEVEL: 'silent', NODE_ENV: 'test' },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const url = new URL(redisUrl!)
  queue = new Queue(QUEUES.push, { connection: { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null }, prefix: `${redisPrefix}bull` })
  await waitFor(async () => ((await queue.getWorkersCount()) > 0 ? true : undefined), 'the push worker', 20_000)
}, 30_000)

afterAll(async () => {
  if (worker.exitCode === null) worker.kill('SIGKILL')
  await worker.exited
  await queue.close()
  await server.stop()
  pushService.stop()
})

test('with a worker consuming the push queue, a mention is queued by the API and pushed by the worker', async () => {
  const [alice, bob] = await Promise.all([server.register(), server.register()])
  const conversation = seedConversation(server, [alice, bob], { name: 'Ops' })
  const target = fakeBrowser(pushService.endpoint('via-worker'))
  expect((await server.request('POST', '/push/subscriptions', { token: bob.accessToken, body: { endpoint: target.endpoint, keys: target.keys } })).status).toBe(201)
  const sent = await server.request('POST', `/conversations/${conversation}/messages`, { token: alice.accessToken, body: { content: `@${bob.user.username} deploy?` } })
  expect(sent.status).toBe(201)

  const received = await waitFor(() => pushService.at(target.endpoint)[0], 'the push', 20_000)
  expect(JSON.parse(target.decrypt(received.body))).toMatchObject({ body: `@${bob.user.username} deploy?`, messageId: sent.body.id, url: `/c/${conversation}?message=${sent.body.id}` })
  const notificationId = (await server.request('GET', '/notifications', { token: bob.accessToken })).body.notifications[0].id
  const job = await waitFor(async () => {
    const found = await queue.getJob(notificationId)
    return found && (await found.getState()) === 'completed' ? found : undefined
  }, 'the completed push job')
  expect(job.returnvalue).toEqual({ notificationId, status: 'delivered', sent: 1, expired: 0, failed: 0 })
})
