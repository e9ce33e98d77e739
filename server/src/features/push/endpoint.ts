import { createPublicKey } from 'node:crypto'
import { checkDestination, DestinationRefusedError } from '../webhooks/destination'

/** Why an endpoint or key is refused; the service turns it into a 422 naming the field. */
export class EndpointRefusedError extends Error {
  override name = 'EndpointRefusedError'
  constructor(readonly field: string, message: string) {
    super(message)
  }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1'])

/**
 * The server POSTs to whatever endpoint a user hands in, so it gets the webhooks' SSRF guard (no
 * credentials, no host resolving to a loopback, private or link-local address), and https only.
 * When local endpoints are allowed (tests, development), loopback hosts pass, over http too.
 */
export async function checkEndpoint(raw: string, allowLocal: boolean): Promise<URL> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new EndpointRefusedError('endpoint', 'The push endpoint is not a valid URL')
  }
  if (url.username || url.password) throw new EndpointRefusedError('endpoint', 'The push endpoint must not carry credentials')
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase()
  const local = allowLocal && LOOPBACK_HOSTS.has(host)
  if (url.protocol !== 'https:' && !(local && url.protocol === 'http:')) throw new EndpointRefusedError('endpoint', 'The push endpoint must be an https URL')
  if (local) return url
  try {
    await checkDestination(raw, false)
  } catch (error) {
    if (error instanceof DestinationRefusedError) throw new EndpointRefusedError('endpoint', error.message.replace(/^The webhook (URL|host)/, 'The push endpoint $1'))
    throw error
  }
  return url
}

/** The browser's key must be a point on P-256 (65 bytes, uncompressed) and its auth secret 16 bytes. */
export function checkKeys(keys: { p256dh: string; auth: string }): void {
  const point = Buffer.from(keys.p256dh, 'base64url')
  if (point.length !== 65 || point[0] !== 0x04) throw new EndpointRefusedError('keys.p256dh', 'p256dh must be an uncompressed P-256 public key (65 bytes)')
  try {
    createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' })
  } catch {
    throw new EndpointRefusedError('keys.p256dh', 'p256dh is not a point on the P-256 curve')
  }
  if (Buffer.from(keys.auth, 'base64url').length !== 16) throw new EndpointRefusedError('keys.auth', 'auth must be a 16-byte secret')
}
