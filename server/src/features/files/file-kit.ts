import sharp from 'sharp'
import type { Session, TestServer, TestResponse } from '../../../test/harness'

/** Test helpers shared by the files tests: uploads over real HTTP and fixtures made with sharp. */
export function uploadSimple(server: TestServer, who: Session, bytes: Uint8Array | ReadableStream<Uint8Array>, options: { name?: string; contentType?: string; voice?: boolean } = {}): Promise<TestResponse> {
  const query = new URLSearchParams()
  if (options.name !== undefined) query.set('name', options.name)
  if (options.voice) query.set('voice', 'true')
  return server.request('POST', `/files?${query}`, { token: who.accessToken, raw: bytes as BodyInit, headers: { 'content-type': options.contentType ?? 'application/octet-stream' } })
}

export async function signedUrl(server: TestServer, who: Session, fileId: string, variant?: string): Promise<TestResponse> {
  return server.request('GET', `/files/${fileId}/url${variant ? `?variant=${variant}` : ''}`, { token: who.accessToken })
}

/** Fetches a signed URL's bytes (no bearer token). */
export async function download(server: TestServer, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; bytes: Uint8Array; json: any }> {
  const response = await fetch(server.url + path, { headers })
  const bytes = new Uint8Array(await response.arrayBuffer())
  const json = (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(new TextDecoder().decode(bytes)) : undefined
  return { status: response.status, headers: response.headers, bytes, json }
}

export function png(width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } }).png().toBuffer()
}

/** A JPEG whose EXIF carries GPS coordinates and a camera model, like a phone photo. */
export function jpegWithGps(): Promise<Buffer> {
  return sharp({ create: { width: 80, height: 60, channels: 3, background: { r: 20, g: 120, b: 200 } } })
    .jpeg()
    .withExif({
      IFD0: { Make: 'TestPhone', Model: 'Leaky 3000' },
      IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 2600/100', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 3900/100' },
    })
    .toBuffer()
}

export function sha256(bytes: Uint8Array): string {
  return new Bun.CryptoHasher('sha256').update(bytes).digest('hex')
}
