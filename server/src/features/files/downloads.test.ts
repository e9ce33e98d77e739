import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { and, eq } from 'drizzle-orm'
import { participants } from '../../db/schema'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { seedConversation } from '../../../test/fixtures'
import { download, png, sha256, signedUrl, uploadSimple } from './file-kit'
import { UrlSigner } from './signing'
import { startS3 } from '../../storage/s3rver-kit'

let server: TestServer
let alice: Session
let bob: Session
let carol: Session
const bytes = new Uint8Array(10_000)
for (let i = 0; i < bytes.length; i++) bytes[i] = i % 251
bytes.set([0x50, 0x4b, 0x03, 0x04], 0) // a zip: served as an attachment

beforeAll(async () => {
  server = await startServer()
  ;[alice, bob, carol] = await Promise.all([server.register(), server.register(), server.register()])
})
afterAll(() => server.stop())

const send = (who: Session, conversationId: string, body: Record<string, unknown>) => server.request('POST', `/conversations/${conversationId}/messages`, { token: who.accessToken, body })

describe('signed URLs', () => {
  test('a download URL serves the bytes with type, disposition, length and Accept-Ranges', async () => {
    const file = (await uploadSimple(server, alice, bytes, { name: 'archive.zip' })).body
    expect(file.mime).toBe('application/zip')
    const url = await signedUrl(server, alice, file.id)
    expect(url.status).toBe(200)
    expect(url.body.url).toStartWith(`/files/${file.id}/content?`)
    expect(Date.parse(url.body.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000)
    const fetched = await download(server, url.body.url)
    expect(fetched.status).toBe(200)
    expect(sha256(fetched.bytes)).toBe(sha256(bytes))
    expect(fetched.headers.get('content-type')).toBe('application/zip')
    expect(fetched.headers.get('content-length')).toBe('10000')
    expect(fetched.headers.get('accept-ranges')).toBe('bytes')
    expect(fetched.headers.get('content-disposition')).toBe(`attachment; filename="archive.zip"; filename*=UTF-8''archive.zip`)
    expect(fetched.headers.get('x-content-type-options')).toBe('nosniff')
    expect(fetched.headers.get('content-security-policy')).toContain('sandbox')
    expect(fetched.headers.get('x-request-id')).toBeTruthy()
  })

  test('range requests answer 206 with Content-Range; past the end 416', async () => {
    const file = (await uploadSimple(server, alice, bytes, { name: 'a.zip' })).body
    const { url } = (await signedUrl(server, alice, file.id)).body
    const middle = await download(server, url, { range: 'bytes=100-199' })
    expect(middle.status).toBe(206)
    expect(middle.headers.get('content-range')).toBe('bytes 100-199/10000')
    expect(middle.headers.get('content-length')).toBe('100')
    expect([...middle.bytes]).toEqual([...bytes.subarray(100, 200)])
    const open = await download(server, url, { range: 'bytes=9990-' })
    expect(open.headers.get('content-range')).toBe('bytes 9990-9999/10000')
    expect([...open.bytes]).toEqual([...bytes.subarray(9990)])
    const suffix = await download(server, url, { range: 'bytes=-5' })
    expect(suffix.status).toBe(206)
    expect([...suffix.bytes]).toEqual([...bytes.subarray(9995)])
    const beyond = await download(server, url, { range: 'bytes=20000-' })
    expect(beyond.status).toBe(416)
    expectErrorShape(beyond.json, 'RANGE_NOT_SATISFIABLE')
  })

  test('a tampered URL answers 403, an expired one 410', async () => {
    const file = (await uploadSimple(server, alice, bytes, { name: 'a.zip' })).body
    const other = (await uploadSimple(server, alice, bytes, { name: 'b.zip' })).body
    const { url } = (await signedUrl(server, alice, file.id)).body
    const parsed = new URL(url, server.url)
    const variant = (changes: Record<string, string>, id = file.id) => {
      const query = new URLSearchParams(parsed.search)
      for (const [key, value] of Object.entries(changes)) query.set(key, value)
      return `/files/${id}/content?${query}`
    }
    const checks = [
      variant({ sig: parsed.searchParams.get('sig')!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }),
      variant({ exp: String(Number(parsed.searchParams.get('exp')) + 3600) }),
      variant({ u: bob.user.id }),
      variant({ variant: 'thumb-160' }),
      variant({}, other.id),
    ]
    for (const path of checks) {
      const refused = await download(server, path)
      expect(refused.status).toBe(403)
      expectErrorShape(refused.json, 'SIGNATURE_INVALID')
    }
    // A correctly signed URL whose time has passed.
    const signer = new UrlSigner(server.ctx.config.files.urlSecret, 300)
    const expired = signer.sign({ fileId: file.id, variant: 'original', userId: alice.user.id }, Date.now() - 3600_000)
    const gone = await download(server, expired.path)
    expect(gone.status).toBe(410)
    expectErrorShape(gone.json, 'URL_EXPIRED')
    const malformed = await download(server, `/files/${file.id}/content?variant=original&u=x&exp=soon&sig=x`)
    expect(malformed.status).toBe(422)
  })

  test('variants that do not exist (yet) are 404; images render inline', async () => {
    const image = (await uploadSimple(server, alice, await png(), { name: 'p.png' })).body
    const missing = await signedUrl(server, alice, image.id, 'poster')
    expect(missing.status).toBe(404)
    expectErrorShape(missing.body, 'VARIANT_NOT_FOUND')
    expect((await signedUrl(server, alice, image.id, 'nonsense')).status).toBe(422)
    const fetched = await download(server, (await signedUrl(server, alice, image.id)).body.url)
    expect(fetched.headers.get('content-type')).toBe('image/png')
    expect(fetched.headers.get('content-disposition')).toStartWith('inline;')
  })
})

describe('who may read a file', () => {
  test('unattached: only the owner; attached: members of the conversation, until they leave', async () => {
    const file = (await uploadSimple(server, alice, bytes, { name: 'shared.zip' })).body
    expect((await server.request('GET', `/files/${file.id}`, { token: carol.accessToken })).status).toBe(404)
    const refused = await signedUrl(server, carol, file.id)
    expect(refused.status).toBe(404)
    expectErrorShape(refused.body, 'FILE_NOT_FOUND')

    const conversationId = seedConversation(server, [alice, carol])
    const sent = await send(alice, conversationId, { content: 'the archive', attachments: [file.id] })
    expect(sent.status).toBe(201)
    expect(sent.body).toMatchObject({ type: 'file', attachments: [file.id] })
    const listed = await server.request('GET', `/conversations/${conversationId}/messages`, { token: carol.accessToken })
    expect(listed.body.messages.at(-1).attachments).toEqual([file.id])

    expect((await server.request('GET', `/files/${file.id}`, { token: carol.accessToken })).body).toMatchObject({ id: file.id, name: 'shared.zip' })
    const carolsUrl = (await signedUrl(server, carol, file.id)).body.url
    expect((await download(server, carolsUrl)).status).toBe(200)
    // Bob is in no conversation with it.
    expect((await signedUrl(server, bob, file.id)).status).toBe(404)
    expect((await server.request('GET', `/files/${file.id}`, { token: bob.accessToken })).status).toBe(404)

    // Forwarded by a member into a conversation with Bob: the file goes along, so Bob may read it.
    const withBob = seedConversation(server, [carol, bob])
    const forwarded = await server.request('POST', `/conversations/${conversationId}/messages/${sent.body.id}/forward`, { token: carol.accessToken, body: { conversationIds: [withBob] } })
    expect(forwarded.status).toBe(201)
    expect(forwarded.body.messages[0]).toMatchObject({ type: 'file', attachments: [file.id], forwardedFromId: sent.body.id })
    expect((await signedUrl(server, bob, file.id)).status).toBe(200)
    await server.request('DELETE', `/conversations/${withBob}/messages/${forwarded.body.messages[0].id}`, { token: carol.accessToken })
    expect((await signedUrl(server, bob, file.id)).status).toBe(404)

    // Removed from the conversation: even the URL already issued stops working.
    server.ctx.db.delete(participants).where(and(eq(participants.conversationId, conversationId), eq(participants.userId, carol.user.id))).run()
    expect((await download(server, carolsUrl)).status).toBe(404)
    expect((await signedUrl(server, carol, file.id)).status).toBe(404)
  })

  test('attachments must be your own finished files', async () => {
    const conversationId = seedConversation(server, [alice, bob])
    const bobs = (await uploadSimple(server, bob, bytes)).body
    const unfinished = (await server.request('POST', '/files/uploads', { token: alice.accessToken, body: { name: 'x', size: 5 } })).body
    const mine = (await uploadSimple(server, alice, bytes)).body
    for (const [fileId, reason] of [[bobs.id, 'not_found'], ['no-such-file', 'not_found'], [unfinished.id, 'not_ready']] as const) {
      const refused = await send(alice, conversationId, { content: 'look', attachments: [mine.id, fileId] })
      expect(refused.status).toBe(400)
      expect(refused.body.error).toMatchObject({ code: 'ATTACHMENT_INVALID', details: { fileId, reason } })
    }
    const twice = await send(alice, conversationId, { content: 'look', attachments: [mine.id, mine.id] })
    expect(twice.status).toBe(400)
    expectErrorShape(twice.body, 'ATTACHMENT_DUPLICATE')
    const tooMany = await send(alice, conversationId, { content: 'look', attachments: Array.from({ length: 11 }, () => mine.id) })
    expect(tooMany.status).toBe(422)
    // Nothing was sent by the refused attempts.
    const history = await server.request('GET', `/conversations/${conversationId}/messages`, { token: alice.accessToken })
    expect(history.body.messages).toEqual([])
    // Bob's file did not become readable to Alice through the refused send.
    expect((await server.request('GET', `/files/${bobs.id}`, { token: alice.accessToken })).status).toBe(404)
  })
})

describe('with S3 storage', () => {
  test('uploads land in the bucket and download with ranges through the API', async () => {
    const s3 = await startS3()
    const s3Server = await startServer(s3.env)
    try {
      const owner = await s3Server.register()
      const file = (await uploadSimple(s3Server, owner, bytes, { name: 'in-the-bucket.zip' })).body
      expect(s3.events).toContain(`ObjectCreated:Put files/${file.id}/original`)
      const { url } = (await signedUrl(s3Server, owner, file.id)).body
      const whole = await download(s3Server, url)
      expect(whole.status).toBe(200)
      expect(sha256(whole.bytes)).toBe(sha256(bytes))
      const part = await download(s3Server, url, { range: 'bytes=10-19' })
      expect(part.status).toBe(206)
      expect(part.headers.get('content-range')).toBe('bytes 10-19/10000')
      expect([...part.bytes]).toEqual([...bytes.subarray(10, 20)])
    } finally {
      await s3Server.stop()
      await s3.close()
    }
  })
})
