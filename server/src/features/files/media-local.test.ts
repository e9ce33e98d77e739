import { afterAll, beforeAll, expect, test } from 'bun:test'
import sharp from 'sharp'
import { startServer, type Session, type TestServer } from '../../../test/harness'
import { TestSocket } from '../../../test/socket'
import { uploadSimple } from './file-kit'

// Without Redis there is no worker fleet: the API runs media jobs itself and reports through its hub.
let server: TestServer
let alice: Session
let bob: Session

beforeAll(async () => {
  server = await startServer({ REDIS_URL: '' })
  ;[alice, bob] = await Promise.all([server.register(), server.register()])
})
afterAll(() => server.stop())

test('without Redis an upload still gets thumbnails, and only its owner hears about it', async () => {
  expect(server.ctx.config.redisUrl).toBeNull()
  const [mine, theirs] = await Promise.all([TestSocket.ready(server.url, alice.accessToken), TestSocket.ready(server.url, bob.accessToken)])
  try {
    const image = await sharp({ create: { width: 900, height: 300, channels: 3, background: '#884422' } }).jpeg().toBuffer()
    const uploaded = await uploadSimple(server, alice, image, { name: 'banner.jpg' })
    expect(uploaded.status).toBe(201)
    const ready = await mine.next((e) => e.type === 'file.ready' && e.file.id === uploaded.body.id, 20_000)
    expect(ready.file).toMatchObject({ processing: 'done', width: 900, height: 300 })
    expect(ready.file.variants['thumb-640']).toMatchObject({ mime: 'image/webp', width: 640, height: 213 })
    expect(mine.events.filter((e) => e.type === 'file.progress' && e.fileId === uploaded.body.id).at(-1)).toMatchObject({ percent: 100, stage: 'done' })
    const fetched = await server.request('GET', `/files/${uploaded.body.id}`, { token: alice.accessToken })
    expect(fetched.body).toMatchObject({ processing: 'done', variants: { 'thumb-160': { mime: 'image/webp' } } })
    await theirs.settle()
    expect(theirs.events.filter((e) => typeof e.type === 'string' && e.type.startsWith('file.'))).toEqual([])
  } finally {
    mine.close()
    theirs.close()
  }
})
