import { timingSafeEqual } from 'node:crypto'

// The header @elysiajs/jwt (jose) writes for our access tokens; any other header is decoded and checked.
const HS256_HEADER = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9'
const VERIFIED_TOKENS_KEPT = 10_000

function decodeSegment(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>
}

/**
 * Verifies HS256 access tokens in one synchronous HMAC. `accessJwt.verify` (jose) goes through
 * async WebCrypto, re-imports the raw key on every call and hops to a worker thread and back: one
 * of the two largest costs of every authenticated request (docs/BENCHMARKS.md).
 */
export function accessTokenVerifier(secret: string) {
  const key = Buffer.from(secret, 'utf8')
  // A token verified once needs no second HMAC: only its time bounds are checked again.
  const verified = new Map<string, Record<string, unknown>>()
  return function verifyAccessToken(token: string): Record<string, unknown> | false {
    const known = verified.get(token)
    if (known) {
      if ((known.exp as number) > Math.floor(Date.now() / 1000)) return known
      verified.delete(token)
    }
    const claims = verifySignedToken(token)
    if (claims) {
      if (verified.size >= VERIFIED_TOKENS_KEPT) verified.delete(verified.keys().next().value!)
      verified.set(token, claims)
    }
    return claims
  }

  function verifySignedToken(token: string): Record<string, unknown> | false {
    const first = token.indexOf('.')
    const last = token.lastIndexOf('.')
    if (first <= 0 || last === first) return false
    // Compared as canonical base64url text, so no second spelling of a signature is accepted.
    const expected = Buffer.from(new Bun.CryptoHasher('sha256', key).update(token.slice(0, last)).digest('base64url'))
    const actual = Buffer.from(token.slice(last + 1))
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return false
    try {
      const headerSegment = token.slice(0, first)
      if (headerSegment !== HS256_HEADER) {
        const header = decodeSegment(headerSegment)
        if (header.alg !== 'HS256' || header.crit !== undefined) return false
      }
      const claims = decodeSegment(token.slice(first + 1, last))
      const now = Math.floor(Date.now() / 1000)
      if (typeof claims.exp !== 'number' || claims.exp <= now) return false
      if (typeof claims.nbf === 'number' && claims.nbf > now) return false
      return claims
    } catch {
      return false
    }
  }
}
