// Test helpers: a browser's side of Web Push (key pair, auth secret, RFC 8291 decryption) and a real
// push service on loopback that checks VAPID (RFC 8292) like the real ones do.
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify } from 'node:crypto'
import { startServer, type Session, type TestServer } from '../../../test/harness'
import { waitFor } from '../../../test/wait'

export interface FakeBrowser {
  endpoint: string
  keys: { p256dh: string; auth: string }
  decrypt(body: Uint8Array): string
}

export interface PushReceived {
  path: string
  headers: Headers
  body: Uint8Array
}

/** A browser profile's subscription keys (P-256 and a 16-byte auth secret) for `endpoint`. */
export function fakeBrowser(endpoint: string): FakeBrowser {
  const ecdh = createECDH('prime256v1')
  ecdh.generateKeys()
  const auth = randomBytes(16)
  return {
    endpoint,
    keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
    decrypt: (body) => decryptAes128gcm(Buffer.from(body), ecdh, auth),
  }
}

/** RFC 8291 §3.4 and RFC 8188: one record, the header carrying the sender's ephemeral public key. */
export function decryptAes128gcm(body: Buffer, receiver: ReturnType<typeof createECDH>, authSecret: Buffer): string {
  const salt = body.subarray(0, 16)
  const recordSize = body.readUInt32BE(16)
  const keyIdLength = body[20]!
  const senderPublic = body.subarray(21, 21 + keyIdLength)
  const record = body.subarray(21 + keyIdLength)
  if (keyIdLength !== 65 || record.length > recordSize) throw new Error(`unexpected aes128gcm header (idlen ${keyIdLength}, rs ${recordSize})`)
  const shared = receiver.computeSecret(senderPublic)
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), receiver.getPublicKey(), senderPublic])
  const ikm = Buffer.from(hkdfSync('sha256', shared, authSecret, keyInfo, 32))
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16))
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12))
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce)
  decipher.setAuthTag(record.subarray(record.length - 16))
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()])
  // The last record ends with the delimiter 0x02, then zero padding.
  let end = padded.length - 1
  while (end >= 0 && padded[end] === 0) end--
  if (padded[end] !== 2) throw new Error('missing last-record delimiter')
  return padded.subarray(0, end).toString('utf8')
}

/**
 * Verifies `Authorization: vapid t=<JWT>, k=<key>` (RFC 8292): the key is `publicKey`, the JWT is
 * ES256 over it, `aud` is the push service's origin, `exp` within 24 hours, `sub` a contact.
 */
export function verifyVapid(header: string | null, publicKey: string, origin: string): { sub: string } {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '')
  if (!match) throw new Error(`not a VAPID authorization: ${header}`)
  const [, token, key] = match as unknown as [string, string, string]
  if (key !== publicKey) throw new Error('VAPID k is not the server key')
  const [head, claims, signature] = token.split('.') as [string, string, string]
  const header64 = JSON.parse(Buffer.from(head, 'base64url').toString())
  if (header64.alg !== 'ES256') throw new Error(`JWT alg ${header64.alg}`)
  const point = Buffer.from(key, 'base64url')
  const verifier = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' })
  if (!verify('sha256', Buffer.from(`${head}.${claims}`), { key: verifier, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))) throw new Error('VAPID JWT signature does not verify')
  const payload = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { aud: string; exp: number; sub: string }
  if (payload.aud !== origin) throw new Error(`VAPID aud ${payload.aud}, expected ${origin}`)
  const now = Date.now() / 1000
  if (!(payload.exp > now && payload.exp <= now + 86_400)) throw new Error(`VAPID exp ${payload.exp} out of range`)
  if (!/^(mailto:|https:)/.test(payload.sub)) throw new Error(`VAPID sub ${payload.sub}`)
  return { sub: payload.sub }
}

/**
 * A push service on loopback: records every POST (after checking its VAPID header against the
 * server key) and answers each path from its plan, then 201. A bad VAPID header gets 403, recorded too.
 */
export function startPushService(publicKey: () => string) {
  const received: PushReceived[] = []
  const rejected: Array<{ path: string; reason: string }> = []
  const plans = new Map<string, number[]>()
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const url = new URL(request.url)
      const body = new Uint8Array(await request.arrayBuffer())
      try {
        verifyVapid(request.headers.get('authorization'), publicKey(), url.origin)
      } catch (error) {
        rejected.push({ path: url.pathname, reason: (error as Error).message })
        return new Response('bad vapid', { status: 403 })
      }
      received.push({ path: url.pathname, headers: request.headers, body })
      return new Response(null, { status: plans.get(url.pathname)?.shift() ?? 201 })
    },
  })
  return {
    origin: `http://127.0.0.1:${server.port}`,
    endpoint: (name: string) => `http://127.0.0.1:${server.port}/push/${name}`,
    at: (endpoint: string) => received.filter((r) => r.path === new URL(endpoint).pathname),
    received,
    rejected,
    plan: (endpoint: string, statuses: number[]) => plans.set(new URL(endpoint).pathname, statuses),
    stop: () => server.stop(true),
  }
}

/**
 * An API server without Redis (pushes go out on its in-process queue) that accepts loopback
 * endpoints, a push service for it, and helpers to subscribe fake browsers and read what they got.
 */
export async function startPushStack() {
  const server = await startServer({ PUSH_ALLOW_LOCAL_ENDPOINTS: 'true', REDIS_URL: '' })
  const publicKey = server.ctx.services.push.keys.publicKey
  const pushService = startPushService(() => publicKey)
  let browsers = 0
  const payloads = (target: FakeBrowser): any[] => pushService.at(target.endpoint).map((received) => JSON.parse(target.decrypt(received.body)))
  return {
    server,
    publicKey,
    pushService,
    browser: () => fakeBrowser(pushService.endpoint(`b${++browsers}`)),
    subscribe: (who: Session, target: FakeBrowser, via: TestServer = server) =>
      via.request('POST', '/push/subscriptions', { token: who.accessToken, body: { endpoint: target.endpoint, keys: target.keys, userAgent: 'Test browser' } }),
    async send(who: Session, conversationId: string, content: string, parentId?: string): Promise<{ id: string }> {
      const response = await server.request('POST', `/conversations/${conversationId}/messages`, { token: who.accessToken, body: { content, parentId } })
      if (response.status !== 201) throw new Error(`send failed: ${response.status} ${JSON.stringify(response.body)}`)
      return response.body
    },
    /** The decrypted payloads a browser received, in order. */
    payloads,
    pushedTo: (target: FakeBrowser, count: number) => waitFor(() => (pushService.at(target.endpoint).length >= count ? payloads(target) : undefined), `${count} push(es) to ${target.endpoint}`),
    async stop() {
      await server.stop()
      pushService.stop()
    },
  }
}
