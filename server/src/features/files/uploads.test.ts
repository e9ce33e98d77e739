import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { readdirSync } from 'node:fs'
import { connect } from 'node:net'
import sharp from 'sharp'
import { files } from '../../db/schema'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { download, jpegWithGps, png, sha256, signedUrl, uploadSimple } from './file-kit'

const KB = 1024
let server: TestServer
let alice: Session
let bob: Session

beforeAll(async () => {
  server = await startServer({
    UPLOAD_SIMPLE_MAX_BYTES: String(256 * KB),
    FILE_MAX_IMAGE_BYTES: String(128 * KB),
    FILE_MAX_OTHER_BYTES: String(1024 * KB),
    FILE_MAX_VIDEO_BYTES: String(1024 * KB),
    FILE_MAX_AUDIO_BYTES: String(1024 * KB),
    UPLOAD_CHUNK_MAX_BYTES: String(64 * KB),
  })
  ;[alice, bob] = await Promise.all([server.register(), server.register()])
})
afterAll(() => server.stop())

const stagingFiles = () => {
  try {
    return readdirSync(server.ctx.config.files.stagingDir).filter((name) => name.endsWith('.part'))
  } catch {
    return []
  }
}

/** A body that arrives in pieces without a Content-Length, so limits must be counted as bytes arrive. */
function streamed(total: number, piece = 16 * KB): ReadableStream<Uint8Array> {
  let sent = 0
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close()
      const size = Math.min(piece, total - sent)
      controller.enqueue(new Uint8Array(size).fill(0x61))
      sent += size
    },
  })
}

describe('simple upload', () => {
  test('the type comes from the bytes, not the Content-Type; the name is sanitised and takes the real extension', async () => {
    const image = await png()
    const uploaded = await uploadSimple(server, alice, image, { name: '../../etc/pass\u0000wd\u202e.txt', contentType: 'text/plain' })
    expect(uploaded.status).toBe(201)
    expect(uploaded.body).toMatchObject({ ownerId: alice.user.id, mime: 'image/png', kind: 'image', status: 'ready', name: 'passwd.png', width: 64, height: 48, processing: 'pending' })

    const text = await uploadSimple(server, alice, new TextEncoder().encode('just some notes\nline two\n'), { name: 'photo.jpg', contentType: 'image/jpeg' })
    expect(text.status).toBe(201)
    expect(text.body).toMatchObject({ mime: 'text/plain; charset=utf-8', kind: 'other', name: 'photo.txt', processing: 'none' })
    const url = await signedUrl(server, alice, text.body.id)
    const fetched = await download(server, url.body.url)
    expect(fetched.status).toBe(200)
    expect(fetched.headers.get('content-disposition')).toStartWith('attachment;')
    expect(fetched.headers.get('x-content-type-options')).toBe('nosniff')
    expect(new TextDecoder().decode(fetched.bytes)).toBe('just some notes\nline two\n')

    // HTML bytes claiming to be a PNG are text and download as an attachment, never rendered.
    const html = await uploadSimple(server, alice, new TextEncoder().encode('<html><script>alert(1)</script></html>'), { name: 'x.png', contentType: 'image/png' })
    expect(html.body).toMatchObject({ mime: 'text/plain; charset=utf-8', name: 'x.txt' })
  })

  test('images are re-encoded: EXIF with GPS is gone from the stored file', async () => {
    const original = await jpegWithGps()
    const exif = (await sharp(original).metadata()).exif
    // Precondition: the fixture really carries a GPS IFD pointer (tag 0x8825, little-endian).
    expect(exif?.toString('hex')).toContain('2588')
    const uploaded = await uploadSimple(server, alice, original, { name: 'holiday.jpeg' })
    expect(uploaded.body).toMatchObject({ mime: 'image/jpeg', name: 'holiday.jpg', width: 80, height: 60 })
    const fetched = await download(server, (await signedUrl(server, alice, uploaded.body.id)).body.url)
    expect(fetched.headers.get('content-type')).toBe('image/jpeg')
    expect(fetched.headers.get('content-disposition')).toStartWith('inline;')
    const stored = await sharp(fetched.bytes).metadata()
    expect(stored.format).toBe('jpeg')
    expect(stored.exif).toBeUndefined()
    expect(Buffer.from(fetched.bytes).includes(Buffer.from('Leaky 3000'))).toBe(false)
  })

  test('413 beyond the limits, counted as bytes arrive; nothing half-written stays behind', async () => {
    const before = server.ctx.db.select().from(files).all().length
    // Declared too large: refused before reading.
    const declared = await uploadSimple(server, alice, new Uint8Array(300 * KB).fill(0x61))
    expect(declared.status).toBe(413)
    expectErrorShape(declared.body, 'PAYLOAD_TOO_LARGE')
    // Streamed without a length: refused once the count passes the simple-upload limit.
    const counted = await uploadSimple(server, alice, streamed(400 * KB))
    expect(counted.status).toBe(413)
    // An image over its kind's limit (128 KiB) though under the simple-upload limit.
    const big = await sharp({ create: { width: 400, height: 400, channels: 3, background: '#000' } }).raw().toBuffer()
    const bmpLike = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), big.subarray(0, 200 * KB)])
    const image = await uploadSimple(server, alice, bmpLike, { contentType: 'image/png' })
    expect(image.status).toBe(413)
    expect(image.body.error.details).toMatchObject({ limitBytes: 128 * KB })
    expect(server.ctx.db.select().from(files).all().length).toBe(before)
    expect(stagingFiles()).toEqual([])
  })

  test('a broken image is refused with 415 and leaves nothing', async () => {
    const broken = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 7)])
    const refused = await uploadSimple(server, alice, broken)
    expect(refused.status).toBe(415)
    expectErrorShape(refused.body, 'IMAGE_UNREADABLE')
    expect(stagingFiles()).toEqual([])
  })

  test('uploads need a signed-in user', async () => {
    const anonymous = await server.request('POST', '/files', { raw: new Uint8Array(10), headers: { 'content-type': 'application/octet-stream' } })
    expect(anonymous.status).toBe(401)
    expectErrorShape(anonymous.body, 'UNAUTHORIZED')
  })
})

/** Sends a PATCH that announces `announced` bytes but delivers only `bytes` and then drops the connection. */
function interruptedChunk(path: string, token: string, offset: number, bytes: Uint8Array, announced: number): Promise<void> {
  const url = new URL(server.url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(`PATCH ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\nUpload-Offset: ${offset}\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: ${announced}\r\n\r\n`)
      socket.write(bytes, () => setTimeout(() => socket.destroy(), 200))
    })
    socket.on('close', () => resolve())
    socket.on('error', reject)
  })
}

describe('resumable upload', () => {
  const patch = (who: Session, id: string, offset: number, bytes: Uint8Array) =>
    server.request('PATCH', `/files/uploads/${id}`, { token: who.accessToken, raw: bytes as BodyInit, headers: { 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' } })
  const head = async (who: Session, id: string) => (await server.request('HEAD', `/files/uploads/${id}`, { token: who.accessToken }))

  test('chunks at offsets, an interrupted chunk resumed from HEAD, then complete: the stored bytes are exact', async () => {
    const content = new Uint8Array(300 * KB)
    for (let i = 0; i < content.length; i++) content[i] = (i * 31 + (i >> 8)) & 0xff
    content.set([0x25, 0x50, 0x44, 0x46, 0x2d], 0) // "%PDF-": a document, under the 1 MiB "other" limit
    const created = await server.request('POST', '/files/uploads', { token: alice.accessToken, body: { name: 'report final.pdf', size: content.length } })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ offset: 0, size: content.length, chunkMaxBytes: 64 * KB })
    const id = created.body.id as string

    expect((await patch(alice, id, 0, content.subarray(0, 64 * KB))).headers.get('upload-offset')).toBe(String(64 * KB))
    // Wrong offset: 409 with the right one.
    const wrong = await patch(alice, id, 10, content.subarray(10, 20))
    expect(wrong.status).toBe(409)
    expect(wrong.body.error).toMatchObject({ code: 'OFFSET_MISMATCH', details: { offset: 64 * KB } })

    await interruptedChunk(`/files/uploads/${id}`, alice.accessToken, 64 * KB, content.subarray(64 * KB, 64 * KB + 20 * KB), 64 * KB)
    let offset = 0
    for (let i = 0; i < 50; i++) {
      const state = await head(alice, id)
      expect(state.status).toBe(204)
      offset = Number(state.headers.get('upload-offset'))
      if (offset > 64 * KB || i === 49) break
      await Bun.sleep(50) // the server may still be recording the dropped chunk
    }
    expect(offset).toBeGreaterThanOrEqual(64 * KB)
    expect(offset).toBeLessThanOrEqual(84 * KB)

    const early = await server.request('POST', `/files/uploads/${id}/complete`, { token: alice.accessToken })
    expect(early.status).toBe(409)
    expectErrorShape(early.body, 'UPLOAD_INCOMPLETE')

    while (offset < content.length) {
      const end = Math.min(content.length, offset + 64 * KB)
      const sent = await patch(alice, id, offset, content.subarray(offset, end))
      expect(sent.status).toBe(204)
      offset = Number(sent.headers.get('upload-offset'))
    }
    const done = await server.request('POST', `/files/uploads/${id}/complete`, { token: alice.accessToken })
    expect(done.status).toBe(200)
    expect(done.body).toMatchObject({ id, mime: 'application/pdf', name: 'report final.pdf', size: content.length, status: 'ready', expiresAt: null })
    const fetched = await download(server, (await signedUrl(server, alice, id)).body.url)
    expect(sha256(fetched.bytes)).toBe(sha256(content))
    expect(fetched.headers.get('content-disposition')).toBe(`inline; filename="report final.pdf"; filename*=UTF-8''report%20final.pdf`)
    // Finished uploads take no more chunks.
    expect((await patch(alice, id, content.length, new Uint8Array(1))).status).toBe(409)
    expect(stagingFiles()).toEqual([])
  })

  test('an upload belongs to its creator', async () => {
    const created = await server.request('POST', '/files/uploads', { token: alice.accessToken, body: { name: 'a.bin', size: 10 } })
    const id = created.body.id as string
    expect((await head(bob, id)).status).toBe(404)
    const stolen = await patch(bob, id, 0, new Uint8Array(10))
    expect(stolen.status).toBe(404)
    expectErrorShape(stolen.body, 'UPLOAD_NOT_FOUND')
    expect((await server.request('POST', `/files/uploads/${id}/complete`, { token: bob.accessToken })).status).toBe(404)
    expect((await server.request('DELETE', `/files/uploads/${id}`, { token: bob.accessToken })).status).toBe(404)
    expect((await server.request('DELETE', `/files/uploads/${id}`, { token: alice.accessToken })).status).toBe(204)
    expect((await head(alice, id)).status).toBe(404)
  })

  test('limits: declared size, chunk size, bytes beyond the declared size, and the kind found in the first chunk', async () => {
    const huge = await server.request('POST', '/files/uploads', { token: alice.accessToken, body: { name: 'a.bin', size: 2048 * KB } })
    expect(huge.status).toBe(413)
    expectErrorShape(huge.body, 'PAYLOAD_TOO_LARGE')

    const small = (await server.request('POST', '/files/uploads', { token: alice.accessToken, body: { name: 'a.bin', size: 100 } })).body.id
    const over = await patch(alice, small, 0, new Uint8Array(101).fill(0x61))
    expect(over.status).toBe(413)
    expect(Number((await head(alice, small)).headers.get('upload-offset'))).toBe(0)

    // A chunk streamed without a Content-Length is checked once it landed: 413, nothing kept, nothing left behind.
    const unannounced = (await server.request('POST', '/files/uploads', { token: alice.accessToken, body: { name: 'a.bin', size: 1000 * KB } })).body.id
    const streamedChunk = await server.request('PATCH', `/files/uploads/${unannounced}`, { token: alice.accessToken, raw: streamed(300 * KB), headers: { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' } })
    expect(streamedChunk.status).toBe(413)
    expectErrorShape(streamedChunk.body, 'PAYLOAD_TOO_LARGE')
    expect(Number((await head(alice, unannounced)).headers.get('upload-offset'))).toBe(0)
    expect(readdirSync(server.ctx.config.files.stagingDir).filter((name) => name.startsWith(unannounced))).toEqual([])

    // Declared 200 KiB, fine for a document; the first chunk shows a PNG, whose limit is 128 KiB.
    const image = (await server.request('POST', '/files/uploads', { token: alice.accessToken, body: { name: 'big.png', size: 200 * KB } })).body.id
    const first = new Uint8Array(8 * KB)
    first.set(await png(), 0)
    const refused = await patch(alice, image, 0, first)
    expect(refused.status).toBe(413)
    expect(refused.body.error.details).toMatchObject({ kind: 'image', limitBytes: 128 * KB })
    expect((await head(alice, image)).status).toBe(404)
    expect(server.ctx.db.select().from(files).where(eq(files.id, image)).get()).toBeUndefined()
  })

  test('bad input gets the error shape, never a 500', async () => {
    const noSize = await server.request('POST', '/files/uploads', { token: alice.accessToken, body: { name: 'x' } })
    expect(noSize.status).toBe(422)
    expectErrorShape(noSize.body, 'VALIDATION_FAILED')
    const id = (await server.request('POST', '/files/uploads', { token: alice.accessToken, body: { name: 'x', size: 5 } })).body.id
    const noOffset = await server.request('PATCH', `/files/uploads/${id}`, { token: alice.accessToken, raw: new Uint8Array(5) })
    expect(noOffset.status).toBe(422)
    expectErrorShape(noOffset.body)
    const badOffset = await server.request('PATCH', `/files/uploads/${id}`, { token: alice.accessToken, raw: new Uint8Array(5), headers: { 'upload-offset': 'abc' } })
    expect(badOffset.status).toBe(422)
    // File bytes never travel as JSON: a JSON-typed body meets the JSON parser and is refused.
    const json = await server.request('PATCH', `/files/uploads/${id}`, { token: alice.accessToken, body: { bytes: 'AAAA' }, headers: { 'upload-offset': '0' } })
    expect(json.status).toBe(415)
    expectErrorShape(json.body, 'RAW_BODY_REQUIRED')
    const simpleJson = await server.request('POST', '/files', { token: alice.accessToken, body: { a: 1 } })
    expect(simpleJson.status).toBe(415)
    const state = await server.request('GET', `/files/uploads/${id}`, { token: alice.accessToken })
    expect(state.body).toMatchObject({ offset: 0, size: 5 })
    expect(state.headers.get('upload-offset')).toBe('0')
  })

  test('an expired upload answers 410', async () => {
    const id = (await server.request('POST', '/files/uploads', { token: alice.accessToken, body: { name: 'x', size: 5 } })).body.id
    server.ctx.db.update(files).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(files.id, id)).run()
    const gone = await patch(alice, id, 0, new Uint8Array(5))
    expect(gone.status).toBe(410)
    expectErrorShape(gone.body, 'UPLOAD_EXPIRED')
  })
})
