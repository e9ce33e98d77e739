import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { PING_JOB_NAME, QUEUES } from '../../contracts/jobs'
import { startServer, type Session, type TestServer } from '../../../test/harness'
import { TestSocket } from '../../../test/socket'
import { startWorker, type TestWorker } from '../../../../worker/test/harness'
import { waitForWorkers } from '../../../../worker/test/fleet'

let worker: TestWorker
let server: TestServer
let admin: Session
let member: Session

beforeAll(async () => {
  worker = await startWorker(QUEUES.email, { WORKER_QUEUES: QUEUES.email })
  await waitForWorkers(worker.queue, 1)
  // The API and the worker share a Redis prefix, as one deployment does.
  server = await startServer({ REDIS_PREFIX: worker.prefix })
  admin = await server.register()
  member = await server.register()
})

afterAll(async () => {
  await server.stop()
  await worker.stop()
})

describe('job progress', () => {
  test('progress reaches every socket of the owning user as job.progress events, and no one else', async () => {
    const owner = await TestSocket.ready(server.url, member.accessToken)
    const ownerSecondDevice = await TestSocket.ready(server.url, member.accessToken)
    const other = await TestSocket.ready(server.url, admin.accessToken)
    const job = await worker.queue.add(PING_JOB_NAME, { holdMs: 200, userId: member.user.id })
    await job.waitUntilFinished(worker.events, 20_000)

    for (const socket of [owner, ownerSecondDevice]) {
      const done = await socket.next((e) => e.type === 'job.progress' && e.jobId === job.id && e.state === 'completed')
      expect(done).toEqual({ type: 'job.progress', queue: 'email', jobId: job.id, percent: 100, stage: 'done', state: 'completed' })
      const progress = socket.events.filter((e) => e.type === 'job.progress' && e.jobId === job.id)
      expect(progress.map((e) => [e.percent, e.stage, e.state])).toEqual([[0, 'holding', 'active'], [100, 'held', 'active'], [100, 'done', 'completed']])
    }
    await other.settle()
    expect(other.events.filter((e) => e.type === 'job.progress')).toEqual([])
    for (const socket of [owner, ownerSecondDevice, other]) socket.close()
  })

  test('a job that fails for good tells its owner', async () => {
    const owner = await TestSocket.ready(server.url, member.accessToken)
    const job = await worker.queue.add(PING_JOB_NAME, { holdMs: -1, userId: member.user.id }, { attempts: 3 })
    await expect(job.waitUntilFinished(worker.events, 20_000)).rejects.toThrow(/invalid ping payload/)
    expect(await owner.next((e) => e.type === 'job.progress' && e.jobId === job.id)).toMatchObject({ state: 'failed', queue: 'email' })
    owner.close()
  })
})

describe('metrics', () => {
  test('/metrics reports queue depth, job durations and failed attempts per queue from the whole fleet', async () => {
    const ok = await worker.queue.add(PING_JOB_NAME, { holdMs: 0 })
    await ok.waitUntilFinished(worker.events, 20_000)
    const bad = await worker.queue.add(PING_JOB_NAME, { holdMs: 'x' })
    await expect(bad.waitUntilFinished(worker.events, 20_000)).rejects.toThrow()
    // Nobody consumes `reports` here: a job there is waiting.
    await server.ctx.jobs.enqueue(QUEUES.reports, 'daily', { any: 'thing' })

    const response = await server.request('GET', '/metrics')
    expect(response.status).toBe(200)
    const text: string = response.body
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"|.+]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN)
    expect(value('parley_jobs_up')).toBe(1)
    expect(text).toContain('# TYPE parley_job_duration_seconds histogram')
    expect(value('parley_queue_jobs{queue="reports",state="waiting"}')).toBe(1)
    expect(value('parley_queue_jobs{queue="email",state="failed"}')).toBeGreaterThanOrEqual(2)
    const count = value('parley_job_duration_seconds_count{queue="email"}')
    expect(count).toBeGreaterThanOrEqual(4)
    expect(value('parley_job_duration_seconds_bucket{queue="email",le="+Inf"}')).toBe(count)
    expect(value('parley_job_duration_seconds_bucket{queue="email",le="0.01"}')).toBeLessThanOrEqual(value('parley_job_duration_seconds_bucket{queue="email",le="0.5"}'))
    expect(value('parley_job_attempts_total{queue="email",outcome="failed"}')).toBeGreaterThanOrEqual(2)
    expect(value('parley_job_attempts_total{queue="email",outcome="completed"}')).toBeGreaterThanOrEqual(2)
  })
})

describe('queue dashboard', () => {
  const cookieOf = (response: { headers: Headers }) => response.headers.get('set-cookie')!.split(';')[0]!

  test('only an admin opens it: no token 401, a member 403, an admin gets an HttpOnly path-scoped cookie', async () => {
    expect((await server.request('POST', '/admin/queues/session')).status).toBe(401)
    const refused = await server.request('POST', '/admin/queues/session', { token: member.accessToken })
    expect(refused.status).toBe(403)
    expect(refused.body.error.code).toBe('ADMIN_REQUIRED')
    const opened = await server.request('POST', '/admin/queues/session', { token: admin.accessToken })
    expect(opened.status).toBe(204)
    const cookie = opened.headers.get('set-cookie')!
    expect(cookie).toContain('HttpOnly')
    expect(cookie).toContain('SameSite=Strict')
    expect(cookie).toContain('Path=/admin/queues')
    const closed = await server.request('DELETE', '/admin/queues/session', { token: admin.accessToken })
    expect(closed.status).toBe(204)
    expect(closed.headers.get('set-cookie')).toMatch(/^parley_queues=; Path=\/admin\/queues; .*Max-Age=0/)
  })

  test('the dashboard page and its API answer an admin and refuse everyone else', async () => {
    const opened = await server.request('POST', '/admin/queues/session', { token: admin.accessToken })
    const page = await server.request('GET', '/admin/queues/', { headers: { cookie: cookieOf(opened) } })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toContain('text/html')
    expect(page.body).toContain('Parley queues')
    // The page's scripts load with the same cookie (the browser sends it for every path under /admin/queues).
    const script = /src="(static\/js\/main\.[^"]+)"/.exec(page.body)![1]!
    const asset = await server.request('GET', `/admin/queues/${script}`, { headers: { cookie: cookieOf(opened) } })
    expect(asset.status).toBe(200)
    expect(asset.headers.get('content-type')).toContain('javascript')
    expect((await server.request('GET', `/admin/queues/${script}`)).status).toBe(401)
    const api = await server.request('GET', '/admin/queues/api/queues?activeQueue=email&status=failed&page=1', { headers: { cookie: cookieOf(opened) } })
    expect(api.status).toBe(200)
    expect(api.body.queues.map((q: { name: string }) => q.name)).toEqual(expect.arrayContaining(['email', 'images', 'media', 'webhooks', 'scheduled']))

    const anonymous = await server.request('GET', '/admin/queues/api/queues')
    expect(anonymous.status).toBe(401)
    expect(anonymous.body.error.code).toBe('UNAUTHORIZED')
    // A member's own token in the cookie is not enough.
    const asMember = await server.request('GET', '/admin/queues/', { headers: { cookie: `parley_queues=${member.accessToken}` } })
    expect(asMember.status).toBe(403)
    const withBearer = await server.request('GET', '/admin/queues/api/queues', { token: member.accessToken })
    expect(withBearer.status).toBe(403)
    const forged = await server.request('GET', '/admin/queues/', { headers: { cookie: 'parley_queues=not.a.token' } })
    expect(forged.status).toBe(401)
  })

  test('a cross-origin write through the dashboard is refused, and signing out ends the cookie at once', async () => {
    const session = await server.login(admin.user.email, admin.password)
    const token: string = session.body.accessToken
    const opened = await server.request('POST', '/admin/queues/session', { token })
    const cookie = cookieOf(opened)
    const crossOrigin = await server.request('PUT', '/admin/queues/api/queues/email/clean/failed', { headers: { cookie, origin: 'https://evil.example' } })
    expect(crossOrigin.status).toBe(403)
    expect(crossOrigin.body.error.code).toBe('CROSS_ORIGIN')
    const opaque = await server.request('PUT', '/admin/queues/api/queues/email/clean/failed', { headers: { cookie, origin: 'null' } })
    expect(opaque.status).toBe(403)
    const sameOrigin = await server.request('PUT', '/admin/queues/api/queues/email/clean/failed', { headers: { cookie, origin: server.url } })
    expect(sameOrigin.status).toBe(200)

    expect((await server.request('POST', '/auth/logout', { token })).status).toBeLessThan(300)
    const after = await server.request('GET', '/admin/queues/', { headers: { cookie } })
    expect(after.status).toBe(401)
  })
})
