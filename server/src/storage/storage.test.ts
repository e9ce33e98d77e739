import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalStorage } from './local'
import { S3Storage } from './s3'
import type { Storage } from './storage'
import { fakeS3 } from './fake-s3'

let dir: string
let s3: ReturnType<typeof fakeS3>
const bytes = new Uint8Array(7 * 1024 * 1024)
for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 12)) & 0xff

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-storage-test-'))
  s3 = fakeS3()
})
afterAll(() => {
  s3.server.stop(true)
  rmSync(dir, { recursive: true, force: true })
})

const backends: Array<[string, () => Storage]> = [
  ['local', () => new LocalStorage(join(dir, 'local'))],
  ['s3', () => new S3Storage({ driver: 's3', bucket: 'parley', endpoint: `http://127.0.0.1:${s3.server.port}`, region: 'us-east-1', accessKeyId: 'test', secretAccessKey: 'test-secret' }, join(dir, 'scratch'))],
]

for (const [name, make] of backends) {
  describe(`${name} storage`, () => {
    test('puts a staged file (moving it), reads it whole and by range, sizes, copies out and deletes', async () => {
      const storage = make()
      const staged = join(dir, `${name}-staged.bin`)
      writeFileSync(staged, bytes)
      await storage.putFile('files/abc/original', staged, 'application/zip')
      expect(existsSync(staged)).toBe(false)
      expect(await storage.exists('files/abc/original')).toBe(true)
      expect(await storage.size('files/abc/original')).toBe(bytes.length)
      const whole = new Uint8Array(await new Response(await storage.read('files/abc/original')).arrayBuffer())
      expect(whole.length).toBe(bytes.length)
      expect(Buffer.compare(whole, bytes)).toBe(0)
      const part = new Uint8Array(await new Response(await storage.read('files/abc/original', { start: 5_000_000, end: 5_000_099 })).arrayBuffer())
      expect([...part]).toEqual([...bytes.subarray(5_000_000, 5_000_100)])
      const local = await storage.localPath('files/abc/original')
      expect(Buffer.compare(new Uint8Array(await Bun.file(local.path).arrayBuffer()), bytes)).toBe(0)
      await local.release()
      await storage.delete('files/abc/original')
      expect(await storage.exists('files/abc/original')).toBe(false)
      await storage.delete('files/abc/original')
    })
  })
}

test('the S3 backend wrote through S3 calls (multipart for a 7 MiB file), signed', () => {
  expect(s3.requests.some((r) => r.startsWith('POST /parley/files/abc/original?uploads'))).toBe(true)
  expect(s3.requests.some((r) => r.startsWith('GET /parley/files/abc/original'))).toBe(true)
  expect(s3.objects.size).toBe(0)
})

test('local keys cannot leave the root', async () => {
  const storage = new LocalStorage(join(dir, 'local'))
  await expect(storage.size('../../etc/passwd')).rejects.toThrow(/escapes the root/)
})
