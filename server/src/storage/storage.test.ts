import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalStorage } from './local'
import { S3Storage } from './s3'
import type { Storage } from './storage'
import { S3RVER_KEY, startS3, type TestS3 } from './s3rver-kit'

let dir: string
let s3: TestS3
const bytes = new Uint8Array(7 * 1024 * 1024)
for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 12)) & 0xff

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parley-storage-test-'))
  s3 = await startS3()
})
afterAll(async () => {
  await s3.close()
  rmSync(dir, { recursive: true, force: true })
})

const backends: Array<[string, () => Storage]> = [
  ['local', () => new LocalStorage(join(dir, 'local'))],
  ['s3', () => new S3Storage({ driver: 's3', bucket: s3.bucket, endpoint: s3.endpoint, region: 'us-east-1', accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY }, join(dir, 'scratch'))],
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

test('against s3rver the 7 MiB file went up as a multipart upload and was deleted', () => {
  expect(s3.events).toEqual(['ObjectCreated:Post files/abc/original', 'ObjectRemoved:Delete files/abc/original'])
})

test('a small file is one PUT; a missing key is not there; an unknown access key is refused', async () => {
  const storage = backends[1]![1]()
  const staged = join(dir, 'small.txt')
  writeFileSync(staged, 'hello bucket')
  await storage.putFile('files/small/original', staged, 'text/plain')
  expect(s3.events.at(-1)).toBe('ObjectCreated:Put files/small/original')
  expect(await new Response(await storage.read('files/small/original', { start: 6, end: 11 })).text()).toBe('bucket')
  expect(await storage.exists('files/none/original')).toBe(false)
  const stranger = new S3Storage({ driver: 's3', bucket: s3.bucket, endpoint: s3.endpoint, region: 'us-east-1', accessKeyId: 'NOT-A-KEY', secretAccessKey: 'x' }, join(dir, 'scratch'))
  await expect(stranger.size('files/small/original')).rejects.toThrow()
  const refused = join(dir, 'refused.txt')
  writeFileSync(refused, 'nope')
  await expect(stranger.putFile('files/refused/original', refused, 'text/plain')).rejects.toThrow()
  expect(s3.events.some((event) => event.includes('files/refused'))).toBe(false)
})

test('local keys cannot leave the root', async () => {
  const storage = new LocalStorage(join(dir, 'local'))
  await expect(storage.size('../../etc/passwd')).rejects.toThrow(/escapes the root/)
})
