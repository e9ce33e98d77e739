/**
 * A small S3-compatible server for tests (path-style; it insists on SigV4-signed requests but does not
 * verify signatures): PUT/GET/HEAD/DELETE objects with Range, and the multipart calls Bun's client
 * uses for large writes. Enough to prove the backend speaks S3.
 */
export function fakeS3() {
  const objects = new Map<string, { bytes: Uint8Array; type: string }>()
  const uploads = new Map<string, Map<number, Uint8Array>>()
  const requests: string[] = []
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const url = new URL(request.url)
      const key = decodeURIComponent(url.pathname)
      requests.push(`${request.method} ${key}${url.search}`)
      if (!request.headers.get('authorization')?.startsWith('AWS4-HMAC-SHA256')) return new Response('unsigned', { status: 403 })
      const uploadId = url.searchParams.get('uploadId')
      if (request.method === 'POST' && url.searchParams.has('uploads')) {
        const id = crypto.randomUUID()
        uploads.set(id, new Map())
        return new Response(`<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>${key}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`, { headers: { 'content-type': 'application/xml' } })
      }
      if (request.method === 'PUT' && uploadId) {
        uploads.get(uploadId)!.set(Number(url.searchParams.get('partNumber')), new Uint8Array(await request.arrayBuffer()))
        return new Response('', { headers: { etag: `"${url.searchParams.get('partNumber')}"` } })
      }
      if (request.method === 'POST' && uploadId) {
        const parts = [...uploads.get(uploadId)!.entries()].sort(([a], [b]) => a - b).map(([, part]) => part)
        objects.set(key, { bytes: new Uint8Array(Buffer.concat(parts)), type: request.headers.get('content-type') ?? 'application/octet-stream' })
        return new Response(`<CompleteMultipartUploadResult><Key>${key}</Key><ETag>"x"</ETag></CompleteMultipartUploadResult>`, { headers: { 'content-type': 'application/xml' } })
      }
      if (request.method === 'PUT') {
        objects.set(key, { bytes: new Uint8Array(await request.arrayBuffer()), type: request.headers.get('content-type') ?? 'application/octet-stream' })
        return new Response('', { headers: { etag: '"x"' } })
      }
      const object = objects.get(key)
      if (request.method === 'DELETE') {
        objects.delete(key)
        return new Response(null, { status: 204 })
      }
      if (!object) return new Response('<Error><Code>NoSuchKey</Code><Message>missing</Message></Error>', { status: 404, headers: { 'content-type': 'application/xml' } })
      const headers = { 'content-type': object.type, 'accept-ranges': 'bytes', etag: '"x"', 'last-modified': new Date(0).toUTCString() }
      if (request.method === 'HEAD') return new Response(null, { headers: { ...headers, 'content-length': String(object.bytes.length) } })
      const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.get('range') ?? '')
      if (!range) return new Response(object.bytes as BodyInit, { headers })
      const start = Number(range[1])
      const end = range[2] ? Number(range[2]) : object.bytes.length - 1
      return new Response(object.bytes.slice(start, end + 1) as BodyInit, { status: 206, headers: { ...headers, 'content-range': `bytes ${start}-${end}/${object.bytes.length}` } })
    },
  })
  return { server, objects, requests }
}
