import { createHmac, timingSafeEqual } from 'node:crypto'

/** How long a channel token stays valid; the API mints one per connection attempt. */
export const MEDIA_TOKEN_TTL_SECONDS = 60

function sign(secret: string, expiresAt: number): string {
  return createHmac('sha256', secret).update(`parley-media:${expiresAt}`).digest('base64url')
}

/** `<expiresAt>.<hmac>`: what the API sends as `Authorization: Bearer …` (or `?token=`) when it opens the channel. */
export function mintMediaToken(secret: string, nowMs = Date.now()): string {
  const expiresAt = Math.floor(nowMs / 1000) + MEDIA_TOKEN_TTL_SECONDS
  return `${expiresAt}.${sign(secret, expiresAt)}`
}

export function verifyMediaToken(secret: string, token: string | null, nowMs = Date.now()): boolean {
  if (!token) return false
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{20,64})$/.exec(token)
  if (!match) return false
  const expiresAt = Number(match[1])
  const now = Math.floor(nowMs / 1000)
  if (expiresAt < now || expiresAt > now + MEDIA_TOKEN_TTL_SECONDS * 2) return false
  const expected = Buffer.from(sign(secret, expiresAt))
  const given = Buffer.from(match[2]!)
  return expected.length === given.length && timingSafeEqual(expected, given)
}

/** The token from an upgrade request: the Authorization header, else the `token` query parameter. */
export function tokenFromRequest(request: Request): string | null {
  const header = request.headers.get('authorization')
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length).trim()
  return new URL(request.url).searchParams.get('token')
}
