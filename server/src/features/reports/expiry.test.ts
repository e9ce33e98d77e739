import { afterAll, beforeAll, expect, test } from 'bun:test'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { ConfigError, loadConfig } from '../../config'
import { QUEUES } from '../../contracts/jobs'
import { conversationExports, files } from '../../db/schema'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { conversationKit } from '../../../test/conversation-kit'
import { waitFor } from '../../../test/wait'
import { settleSchedules, startWorker, type TestWorker } from '../../../../worker/test/harness'
import { waitForWorkers } from '../../../../worker/test/fleet'

// A real worker consuming `reports` (writes exports) and `scheduled` (purges them), sharing the API's data.
let worker: TestWorker
let server: TestServer
let alice: Session
let channelId: string

const TTL_HOURS = 5

async function exported(format: 'markdown' | 'json') {
  const created = await server.request('POST', `/conversations/${channelId}/exports`, { token: alice.accessToken, body: { format } })
  expect(created.status).toBe(202)
  expect(created.body.expiresAt).toBeNull()
  return waitFor(async () => {
    const row = (await server.request('GET', `/exports/${created.body.id}`, { token: alice.accessToken })).body
    return row.status === 'completed' ? row : undefined
  }, 'the export to complete', 60_000)
}

beforeAll(async () => {
  worker = await startWorker(QUEUES.scheduled, { WORKER_QUEUES: `${QUEUES.reports},${QUEUES.scheduled}`, REPORT_TTL_HOURS: String(TTL_HOURS) })
  await waitForWorkers(worker.queue, 1)
  await settleSchedules(worker.queue)
  server = await startServer({ REDIS_PREFIX: worker.prefix, DATA_DIR: worker.dataDir, REPORT_TTL_HOURS: String(TTL_HOURS) })
  const kit = conversationKit(server)
  alice = await server.register()
  channelId = (await kit.createChannel(alice, kit.createWorkspace(alice))).id
  expect((await kit.call(alice, 'POST', `/conversations/${channelId}/messages`, { content: 'worth keeping for a while' })).status).toBe(201)
}, 60_000)

afterAll(async () => {
  await server?.stop()
  await worker?.stop()
})

test('REPORT_TTL_HOURS is a whole number of hours from 1; 72 by default', () => {
  const dataDir = worker.dataDir
  expect(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir }).reports.ttlSeconds).toBe(72 * 3600)
  expect(loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, REPORT_TTL_HOURS: '2' }).reports.ttlSeconds).toBe(7200)
  expect(() => loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, REPORT_TTL_HOURS: '0' })).toThrow(ConfigError)
  expect(() => loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, REPORT_TTL_HOURS: '1.5' })).toThrow(/REPORT_TTL_HOURS/)
})

test('an export expires REPORT_TTL_HOURS after completing: 410 before the purge, then the worker deletes file and rows (404)', async () => {
  const doomed = await exported('markdown')
  const kept = await exported('json')
  expect(Date.parse(doomed.expiresAt) - Date.parse(doomed.completedAt)).toBe(TTL_HOURS * 3600_000)
  const earlyLink = await server.request('GET', `/exports/${doomed.id}/download`, { token: alice.accessToken })
  expect(earlyLink.status).toBe(200)
  const storedAt = join(worker.dataDir, 'files', 'files', doomed.id, 'original')
  expect(existsSync(storedAt)).toBe(true)

  // Time passes for one of them: its expiry is now behind us, and the purge has not run yet.
  const past = new Date(Date.now() - 1000)
  server.ctx.db.update(conversationExports).set({ expiresAt: past }).where(eq(conversationExports.id, doomed.id)).run()
  server.ctx.db.update(files).set({ expiresAt: past }).where(eq(files.id, doomed.id)).run()
  const gone = await server.request('GET', `/exports/${doomed.id}/download`, { token: alice.accessToken })
  expect(gone.status).toBe(410)
  expectErrorShape(gone.body, 'EXPORT_EXPIRED')
  const direct = await server.request('GET', `/files/${doomed.id}/url`, { token: alice.accessToken })
  expect(direct.status).toBe(410)
  expectErrorShape(direct.body, 'FILE_EXPIRED')
  // A signed URL handed out before the expiry stops working at it too.
  const late = await fetch(server.url + earlyLink.body.url)
  expect(late.status).toBe(410)
  expectErrorShape(await late.json(), 'FILE_EXPIRED')

  // A failed export has no file; it expires the same way.
  const now = new Date()
  server.ctx.db.insert(conversationExports).values({ id: 'failed-long-ago', userId: alice.user.id, conversationId: channelId, format: 'markdown', status: 'failed', error: 'boom', createdAt: now, completedAt: now, expiresAt: past }).run()

  const job = await worker.queue.add('purge-expired-exports', { kind: 'purge-expired-exports' })
  expect(await job.waitUntilFinished(worker.events, 20_000)).toEqual({ exports: 2, files: 1 })
  expect(existsSync(storedAt)).toBe(false)
  expect(server.ctx.db.select().from(files).where(eq(files.id, doomed.id)).get()).toBeUndefined()
  const after = await server.request('GET', `/exports/${doomed.id}/download`, { token: alice.accessToken })
  expect(after.status).toBe(404)
  expectErrorShape(after.body, 'EXPORT_NOT_FOUND')
  expect((await server.request('GET', '/exports/failed-long-ago', { token: alice.accessToken })).status).toBe(404)

  // The other export is untouched and still downloads.
  const listed = await server.request('GET', '/exports', { token: alice.accessToken })
  expect(listed.body.exports.map((e: { id: string }) => e.id)).toEqual([kept.id])
  const link = await server.request('GET', `/exports/${kept.id}/download`, { token: alice.accessToken })
  expect(link.status).toBe(200)
  expect((await fetch(server.url + link.body.url)).status).toBe(200)

  // Running the purge again finds nothing.
  const again = await worker.queue.add('purge-expired-exports', { kind: 'purge-expired-exports' })
  expect(await again.waitUntilFinished(worker.events, 20_000)).toEqual({ exports: 0, files: 0 })
}, 120_000)

test('the worker registers the hourly export purge', async () => {
  const scheduler = (await worker.queue.getJobSchedulers()).find((s) => s.key === 'purge-expired-exports')
  expect(scheduler?.every).toBe(3600_000)
})
