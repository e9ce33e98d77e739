import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Queue, QueueEvents } from 'bullmq'
import { eq } from 'drizzle-orm'
import { existsSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { QUEUES } from '../../../server/src/contracts/jobs'
import { files } from '../../../server/src/db/schema'
import { probe } from '../../../server/src/features/files/ffmpeg'
import { download, signedUrl, uploadSimple } from '../../../server/src/features/files/file-kit'
import { startServer, type Session, type TestServer } from '../../../server/test/harness'
import { TestSocket } from '../../../server/test/socket'
import { settleSchedules, startWorker, type TestWorker } from '../../test/harness'

let harness: TestWorker
let server: TestServer
let alice: Session
let socket: TestSocket
let queue: Queue
let events: QueueEvents
const fixtures: Record<'video' | 'voice', Uint8Array> = {} as never

async function ffmpeg(args: string[]): Promise<Uint8Array> {
  const out = join(harness.dataDir, `fixture-${crypto.randomUUID()}.${args.at(-1)}`)
  const child = Bun.spawn(['ffmpeg', '-v', 'error', '-y', ...args.slice(0, -1), out], { stderr: 'pipe' })
  if ((await child.exited) !== 0) throw new Error(`ffmpeg failed: ${await new Response(child.stderr).text()}`)
  return new Uint8Array(await Bun.file(out).arrayBuffer())
}

beforeAll(async () => {
  harness = await startWorker(QUEUES.media)
  ;({ queue, events } = harness)
  // The API shares the worker's database, storage directory and Redis prefix, as in production.
  server = await startServer({ DATA_DIR: harness.dataDir, REDIS_PREFIX: harness.prefix })
  alice = await server.register()
  socket = await TestSocket.ready(server.url, alice.accessToken)
  // A 2 s test pattern with a tone, in a container the browser path does not need (Matroska, MPEG-4 part 2 + MP3).
  fixtures.video = await ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '2', '-c:v', 'mpeg4', '-c:a', 'libmp3lame', '-shortest', 'mkv'])
  // A voice note: one quiet second, then one loud second.
  fixtures.voice = await ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=300:duration=2', '-af', "volume='if(lt(t,1),0.1,1)':eval=frame", '-c:a', 'libopus', 'ogg'])
}, 60_000)

afterAll(async () => {
  socket?.close()
  await server?.stop()
  await harness.stop()
})

async function processed(fileId: string): Promise<{ file: any; result: unknown }> {
  let job = await queue.getJob(`media-${fileId}`)
  for (let i = 0; !job && i < 50; i++) job = (await Bun.sleep(50), await queue.getJob(`media-${fileId}`))
  expect(job).toBeDefined()
  const result = await job!.waitUntilFinished(events, 60_000)
  const ready = await socket.next((e) => e.type === 'file.ready' && e.file.id === fileId, 20_000)
  return { file: ready.file, result }
}

describe('media jobs through a real worker process', () => {
  test('an image gets its dimensions and WebP thumbnails at three sizes; progress reaches the owner', async () => {
    const image = await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#3366aa' } }).png().toBuffer()
    const uploaded = await uploadSimple(server, alice, image, { name: 'wide.png' })
    expect(uploaded.body.processing).toBe('pending')
    const { file, result } = await processed(uploaded.body.id)
    expect(result).toEqual({ fileId: uploaded.body.id, processed: true })
    expect(file).toMatchObject({ processing: 'done', width: 1200, height: 800 })
    expect(file.variants['thumb-160']).toMatchObject({ mime: 'image/webp', width: 160, height: 107 })
    expect(file.variants['thumb-320']).toMatchObject({ width: 320, height: 213 })
    expect(file.variants['thumb-640']).toMatchObject({ width: 640, height: 427 })

    const progress = socket.events.filter((e) => e.type === 'file.progress' && e.fileId === uploaded.body.id)
    expect(progress.length).toBeGreaterThanOrEqual(3)
    expect(progress.map((e) => e.percent)).toEqual([...progress.map((e) => e.percent)].sort((a, b) => a - b))
    expect(progress.at(-1)).toMatchObject({ percent: 100, stage: 'done' })

    const thumb = await download(server, (await signedUrl(server, alice, uploaded.body.id, 'thumb-320')).body.url)
    expect(thumb.headers.get('content-type')).toBe('image/webp')
    expect(await sharp(thumb.bytes).metadata()).toMatchObject({ format: 'webp', width: 320 })
  }, 60_000)

  test('a video gets duration, a poster frame and an H.264/AAC MP4 rendition that seeks by Range', async () => {
    const uploaded = await uploadSimple(server, alice, fixtures.video, { name: 'clip.mkv' })
    expect(uploaded.body).toMatchObject({ kind: 'video', mime: 'video/x-matroska' })
    const { file } = await processed(uploaded.body.id)
    expect(file.durationMs).toBeGreaterThan(1800)
    expect(file.durationMs).toBeLessThan(2300)
    expect(file).toMatchObject({ width: 320, height: 240 })
    expect(file.variants.poster).toMatchObject({ mime: 'image/jpeg', width: 320, height: 240 })
    expect(file.variants['thumb-160']).toMatchObject({ mime: 'image/webp', width: 160 })
    expect(file.variants.rendition).toMatchObject({ mime: 'video/mp4', width: 320, height: 240 })
    // The encode reports how far it got (ffmpeg -progress), not just that it started.
    const encoding = socket.events.filter((e) => e.type === 'file.progress' && e.fileId === uploaded.body.id && e.stage === 'rendition').map((e) => e.percent)
    expect(Math.max(...encoding)).toBeGreaterThan(40)

    const url = (await signedUrl(server, alice, uploaded.body.id, 'rendition')).body.url
    const full = await download(server, url)
    const path = join(harness.dataDir, 'rendition-check.mp4')
    writeFileSync(path, full.bytes)
    const codecs = Bun.spawnSync(['ffprobe', '-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', path]).stdout.toString().trim().split('\n').sort()
    expect(codecs).toEqual(['aac', 'h264'])
    expect((await probe(path)).durationMs).toBeGreaterThan(1800)
    const part = await download(server, url, { range: 'bytes=0-1023' })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-type')).toBe('video/mp4')
    expect([...part.bytes]).toEqual([...full.bytes.subarray(0, 1024)])
    const poster = await download(server, (await signedUrl(server, alice, uploaded.body.id, 'poster')).body.url)
    expect((await sharp(poster.bytes).metadata()).format).toBe('jpeg')
  }, 60_000)

  test('a voice message gets its duration, an AAC rendition and 100 waveform peaks that follow the loudness', async () => {
    const uploaded = await uploadSimple(server, alice, fixtures.voice, { name: 'note.ogg', voice: true })
    expect(uploaded.body).toMatchObject({ kind: 'audio', mime: 'audio/ogg', voice: true, name: 'note.opus' })
    const { file } = await processed(uploaded.body.id)
    expect(file.durationMs).toBeGreaterThan(1800)
    expect(file.variants.rendition).toMatchObject({ mime: 'audio/mp4' })
    expect(file.variants.poster).toBeUndefined()
    const peaks = file.waveform as number[]
    expect(peaks).toHaveLength(100)
    expect(Math.max(...peaks)).toBe(1)
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length
    // The first second is played at a tenth of the volume of the second.
    expect(mean(peaks.slice(5, 45))).toBeLessThan(mean(peaks.slice(55, 95)) / 4)
  }, 60_000)

  test('running a job twice writes once; bad payloads and missing files fail at once without retries', async () => {
    const uploaded = await uploadSimple(server, alice, await sharp({ create: { width: 50, height: 50, channels: 3, background: '#fff' } }).png().toBuffer())
    const { file } = await processed(uploaded.body.id)
    const again = await queue.add('process', { fileId: uploaded.body.id, userId: alice.user.id }, { jobId: `again-${uploaded.body.id}` })
    expect(await again.waitUntilFinished(events, 30_000)).toEqual({ fileId: uploaded.body.id, processed: false })
    const row = server.ctx.db.select().from(files).where(eq(files.id, uploaded.body.id)).get()!
    expect(row.meta.variants?.['thumb-160']).toMatchObject({ size: file.variants['thumb-160'].size })

    const junk = await queue.add('process', { fileId: 42 }, { attempts: 3, backoff: { type: 'fixed', delay: 10 } })
    await expect(junk.waitUntilFinished(events, 20_000)).rejects.toThrow(/invalid media job payload/)
    expect((await queue.getJob(junk.id!))?.attemptsMade).toBe(1)
    const missing = await queue.add('process', { fileId: 'no-such-file', userId: alice.user.id }, { attempts: 3, backoff: { type: 'fixed', delay: 10 } })
    await expect(missing.waitUntilFinished(events, 20_000)).rejects.toThrow(/No finished file/)
    expect((await queue.getJob(missing.id!))?.attemptsMade).toBe(1)
  }, 60_000)
})

test('the scheduled queue purges uploads never completed, with their staged bytes', async () => {
  const redis = new URL(harness.redisUrl)
  const options = { connection: { host: redis.hostname, port: Number(redis.port), maxRetriesPerRequest: null }, prefix: `${harness.prefix}bull` }
  const scheduled = new Queue(QUEUES.scheduled, options)
  const scheduledEvents = new QueueEvents(QUEUES.scheduled, options)
  try {
    await scheduledEvents.waitUntilReady()
    await settleSchedules(scheduled)
    expect((await scheduled.getJobSchedulers()).find((s) => s.key === 'purge-expired-uploads')?.every).toBe(3600_000)
    const stale = await server.request('POST', '/files/uploads', { token: alice.accessToken, body: { name: 'x', size: 5000 } })
    const live = await server.request('POST', '/files/uploads', { token: alice.accessToken, body: { name: 'y', size: 5000 } })
    await server.request('PATCH', `/files/uploads/${stale.body.id}`, { token: alice.accessToken, raw: new Uint8Array(100), headers: { 'upload-offset': '0' } })
    const staged = join(server.ctx.config.files.stagingDir, `${stale.body.id}.part`)
    expect(existsSync(staged)).toBe(true)
    server.ctx.db.update(files).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(files.id, stale.body.id)).run()

    const job = await scheduled.add('purge-expired-uploads', { kind: 'purge-expired-uploads' })
    expect(await job.waitUntilFinished(scheduledEvents, 20_000)).toEqual({ uploads: 1 })
    expect(server.ctx.db.select().from(files).where(eq(files.id, stale.body.id)).get()).toBeUndefined()
    expect(existsSync(staged)).toBe(false)
    expect(server.ctx.db.select().from(files).where(eq(files.id, live.body.id)).get()?.status).toBe('uploading')
  } finally {
    await Promise.all([scheduled.close(), scheduledEvents.close()])
  }
}, 60_000)
