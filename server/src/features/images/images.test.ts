import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import sharp from 'sharp'
import { unzipSync } from 'fflate'
import { eq } from 'drizzle-orm'
import { QUEUES } from '../../contracts/jobs'
import { imageJobs } from '../../db/schema'
import { startServer, type Session, type TestServer } from '../../../test/harness'
import { freePort } from '../../../test/redis'
import { TestSocket } from '../../../test/socket'
import { waitFor } from '../../../test/wait'
import { startWorker, type TestWorker } from '../../../../worker/test/harness'
import { waitForWorkers } from '../../../../worker/test/fleet'

let worker: TestWorker
let server: TestServer
let owner: Session
let stranger: Session

/** A subject (a red disc) on a flat background, so background removal has something to find. */
async function subjectPng(width: number, height: number): Promise<Buffer> {
  const r = Math.round(Math.min(width, height) * 0.3)
  const svg = `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg"><rect width="100%" height="100%" fill="#3a7"/><circle cx="${width / 2}" cy="${height / 2}" r="${r}" fill="#c33"/></svg>`
  return sharp(Buffer.from(svg)).png().toBuffer()
}

async function upload(session: Session, bytes: Buffer | string, name: string): Promise<string> {
  const response = await server.request('POST', `/files?name=${encodeURIComponent(name)}`, { token: session.accessToken, raw: typeof bytes === 'string' ? bytes : new Uint8Array(bytes), headers: { 'content-type': 'application/octet-stream' } })
  if (response.status !== 201) throw new Error(`upload failed: ${response.status} ${JSON.stringify(response.body)}`)
  return response.body.id
}

async function download(path: string, session: Session): Promise<Response> {
  return fetch(server.url + path, { headers: { authorization: `Bearer ${session.accessToken}` } })
}

async function finished(id: string) {
  return waitFor(async () => {
    const job = (await server.request('GET', `/images/jobs/${id}`, { token: owner.accessToken })).body
    return job.status === 'completed' || job.status === 'failed' ? job : undefined
  }, `image job ${id} to finish`, 90_000)
}

beforeAll(async () => {
  // Short locks: a worker whose event loop stalled during inference would lose its job and run it twice.
  worker = await startWorker(QUEUES.images, { WORKER_QUEUES: QUEUES.images, WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' })
  await waitForWorkers(worker.queue, 1)
  server = await startServer({ REDIS_PREFIX: worker.prefix, DATA_DIR: worker.dataDir })
  owner = await server.register()
  stranger = await server.register()
})

afterAll(async () => {
  await server.stop()
  await worker.stop()
})

describe('enhancement', () => {
  test('a batch is enhanced into social formats with per-image progress, each output and the zip downloadable', async () => {
    const socket = await TestSocket.ready(server.url, owner.accessToken)
    const first = await upload(owner, await subjectPng(800, 600), 'beach day.png')
    const second = await upload(owner, await sharp({ create: { width: 640, height: 960, channels: 3, background: '#205080' } }).jpeg().toBuffer(), 'tall.jpg')
    const created = await server.request('POST', '/images/jobs', { token: owner.accessToken, body: { operation: 'enhance', fileIds: [first, second], formats: ['square', 'landscape'], denoise: 3 } })
    expect(created.status).toBe(202)
    expect(created.body).toMatchObject({ status: 'queued', percent: 0, fileIds: [first, second], outputs: [], archiveUrl: null })

    const job = await finished(created.body.id)
    expect(job).toMatchObject({ status: 'completed', percent: 100, stage: 'done', error: null })
    expect(job.outputs.map((o: any) => [o.input, o.width, o.height, o.mime])).toEqual([
      [0, 1080, 1080, 'image/jpeg'], [0, 1200, 630, 'image/jpeg'], [1, 1080, 1080, 'image/jpeg'], [1, 1200, 630, 'image/jpeg'],
    ])
    expect(job.outputs[0].name).toBe('1-beach_day-square.jpg')

    const done = await socket.next((e) => e.type === 'job.progress' && e.jobId === job.id && e.state === 'completed')
    expect(done.queue).toBe('images')
    const items = socket.events.filter((e) => e.type === 'job.progress' && e.jobId === job.id && e.item).map((e) => e.item)
    expect(items).toEqual([{ index: 1, total: 2 }, { index: 2, total: 2 }])

    const square = await download(job.outputs[0].url, owner)
    expect(square.status).toBe(200)
    expect(square.headers.get('content-type')).toBe('image/jpeg')
    const squareBytes = Buffer.from(await square.arrayBuffer())
    expect(await sharp(squareBytes).metadata()).toMatchObject({ width: 1080, height: 1080, format: 'jpeg' })

    const zip = await download(job.archiveUrl, owner)
    expect(zip.status).toBe(200)
    expect(zip.headers.get('content-type')).toBe('application/zip')
    const entries = unzipSync(new Uint8Array(await zip.arrayBuffer()))
    expect(Object.keys(entries).sort()).toEqual(job.outputs.map((o: any) => o.name).sort())
    expect(Buffer.from(entries['1-beach_day-square.jpg']!).equals(squareBytes)).toBe(true)
    socket.close()
  })

  test('running a finished job again writes nothing twice (idempotent processor)', async () => {
    const fileId = await upload(owner, await subjectPng(300, 200), 'again.png')
    const created = await server.request('POST', '/images/jobs', { token: owner.accessToken, body: { operation: 'enhance', fileIds: [fileId] } })
    const job = await finished(created.body.id)
    const replay = await worker.queue.add('enhance', { imageJobId: job.id, userId: owner.user.id }, { jobId: `${job.id}-replay` })
    expect(await replay.waitUntilFinished(worker.events, 30_000)).toEqual({ status: 'already-completed', outputs: 1 })
    expect((await server.request('GET', `/images/jobs/${job.id}`, { token: owner.accessToken })).body).toEqual(job)
  })
})

describe('background removal', () => {
  test('the cut-out is a PNG with a transparent background, and the variants sit on the chosen colour and image', async () => {
    const fileId = await upload(owner, await subjectPng(320, 240), 'disc.png')
    const backdrop = await upload(owner, await sharp({ create: { width: 640, height: 400, channels: 3, background: '#ffff00' } }).png().toBuffer(), 'backdrop.png')
    const created = await server.request('POST', '/images/jobs', { token: owner.accessToken, body: { operation: 'remove-background', fileIds: [fileId], background: '#0000ff', backgroundFileId: backdrop } })
    expect(created.status).toBe(202)
    const job = await finished(created.body.id)
    expect(job.status).toBe('completed')
    expect(job.outputs.map((o: any) => o.name)).toEqual(['1-disc-cutout.png', '1-disc-on-color.png', '1-disc-on-image.png'])
    // Inference runs off the worker's event loop: the lock kept renewing through seconds of it.
    const queued = (await worker.queue.getJob(job.id))!
    expect([queued.attemptsStarted, queued.stalledCounter]).toEqual([1, 0])

    const cutout = Buffer.from(await (await download(job.outputs[0].url, owner)).arrayBuffer())
    const { data, info } = await sharp(cutout).ensureAlpha().raw().toBuffer({ resolveWithObject: true })
    expect([info.width, info.height, info.channels]).toEqual([320, 240, 4])
    const alphaAt = (x: number, y: number) => data[(y * info.width + x) * 4 + 3]!
    expect(alphaAt(5, 5)).toBeLessThan(20)
    expect(alphaAt(160, 120)).toBeGreaterThan(200)

    const onColor = Buffer.from(await (await download(job.outputs[1].url, owner)).arrayBuffer())
    const flat = await sharp(onColor).removeAlpha().raw().toBuffer({ resolveWithObject: true })
    const pixel = (x: number, y: number) => [...flat.data.subarray((y * flat.info.width + x) * 3, (y * flat.info.width + x) * 3 + 3)]
    expect(pixel(5, 5)).toEqual([0, 0, 255])
    expect(pixel(160, 120)[0]).toBeGreaterThan(150)

    const onImage = await sharp(Buffer.from(await (await download(job.outputs[2].url, owner)).arrayBuffer())).removeAlpha().raw().toBuffer({ resolveWithObject: true })
    expect([onImage.info.width, onImage.info.height]).toEqual([320, 240])
    const backdropPixel = [...onImage.data.subarray((5 * onImage.info.width + 5) * 3, (5 * onImage.info.width + 5) * 3 + 3)]
    expect(backdropPixel).toEqual([255, 255, 0])
  }, 120_000)
})

describe('access and validation', () => {
  test('only the owner reads a job, its outputs and its zip; another user\'s files cannot be used', async () => {
    const fileId = await upload(owner, await subjectPng(200, 200), 'mine.png')
    const created = await server.request('POST', '/images/jobs', { token: owner.accessToken, body: { operation: 'enhance', fileIds: [fileId] } })
    const job = await finished(created.body.id)
    for (const path of [`/images/jobs/${job.id}`, job.outputs[0].url, job.archiveUrl]) {
      const response = await server.request('GET', path, { token: stranger.accessToken })
      expect(response.status).toBe(404)
      expect(response.body.error.code).toBe('NOT_FOUND')
      expect((await server.request('GET', path)).status).toBe(401)
    }
    const theft = await server.request('POST', '/images/jobs', { token: stranger.accessToken, body: { operation: 'enhance', fileIds: [fileId] } })
    expect(theft.status).toBe(404)
    expect(theft.body.error.details).toEqual({ fileIds: [fileId] })
    const strangerFile = await upload(stranger, await subjectPng(64, 64), 'theirs.png')
    const borrowedBackdrop = await server.request('POST', '/images/jobs', { token: stranger.accessToken, body: { operation: 'remove-background', fileIds: [strangerFile], backgroundFileId: fileId } })
    expect(borrowedBackdrop.status).toBe(404)
    expect(borrowedBackdrop.body.error.details).toEqual({ fileIds: [fileId] })
    expect((await server.request('GET', `/images/jobs/${job.id}/outputs/9`, { token: owner.accessToken })).status).toBe(404)
  })

  test('bad bodies answer 422 and a file that is not an image is refused', async () => {
    const fileId = await upload(owner, await subjectPng(64, 64), 'small.png')
    for (const body of [
      { operation: 'sepia', fileIds: [fileId] },
      { operation: 'enhance', fileIds: [] },
      { operation: 'enhance', fileIds: Array.from({ length: 11 }, (_, i) => `f${i}`) },
      { operation: 'remove-background', fileIds: [fileId], background: 'red' },
      { operation: 'enhance', fileIds: [fileId], formats: ['poster'] },
      { operation: 'enhance', fileIds: [fileId], extra: true },
    ]) {
      const response = await server.request('POST', '/images/jobs', { token: owner.accessToken, body })
      expect(response.status).toBe(422)
      expect(response.body.error.code).toBe('VALIDATION_FAILED')
    }
    const text = await upload(owner, 'just some words, not pixels', 'notes.txt')
    const refused = await server.request('POST', '/images/jobs', { token: owner.accessToken, body: { operation: 'enhance', fileIds: [text] } })
    expect(refused.status).toBe(422)
    expect(refused.body.error.details).toEqual({ fileIds: [text] })
  })
})

describe('without Redis', () => {
  test('creating a job answers 503 JOBS_UNAVAILABLE and keeps nothing, while the rest of the API keeps serving', async () => {
    const offline = await startServer({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` })
    try {
      const user = await offline.register()
      const png = await subjectPng(64, 64)
      const uploaded = await offline.request('POST', '/files?name=a.png', { token: user.accessToken, raw: new Uint8Array(png), headers: { 'content-type': 'application/octet-stream' } })
      expect(uploaded.status).toBe(201)
      const response = await offline.request('POST', '/images/jobs', { token: user.accessToken, body: { operation: 'enhance', fileIds: [uploaded.body.id] } })
      expect(response.status).toBe(503)
      expect(response.body.error.code).toBe('JOBS_UNAVAILABLE')
      expect(offline.ctx.db.select().from(imageJobs).where(eq(imageJobs.userId, user.user.id)).all()).toEqual([])
      expect((await offline.request('GET', '/users/me', { token: user.accessToken })).status).toBe(200)
    } finally {
      await offline.stop()
    }
  })
})
