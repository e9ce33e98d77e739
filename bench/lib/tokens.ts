import { createHmac } from 'node:crypto'

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')

/**
 * An access token as the API signs it (HS256, `{ sub, sid, typ: 'access', exp }`), minted by the
 * benchmark from the JWT_SECRET it gave the server, so a thousand listeners need no argon2 sign-ins.
 */
export function signAccessToken(secret: string, userId: string, sessionId: string, ttlSeconds = 3600): string {
  const now = Math.floor(Date.now() / 1000)
  const payload = Buffer.from(JSON.stringify({ sub: userId, sid: sessionId, typ: 'access', iat: now, exp: now + ttlSeconds })).toString('base64url')
  const signature = createHmac('sha256', secret).update(`${HEADER}.${payload}`).digest('base64url')
  return `${HEADER}.${payload}.${signature}`
}
