import { createHmac, timingSafeEqual } from 'node:crypto'
import { ForbiddenError, GoneError } from '../../errors'

export interface SignedTarget {
  fileId: string
  variant: string
  userId: string
}

/**
 * Short-lived download URLs: an HMAC-SHA256 over file id, variant, expiry and user, so a URL works
 * for that file and variant only, until it expires, and names who it was issued to.
 */
export class UrlSigner {
  constructor(private secret: string, private ttlSeconds: number) {}

  sign(target: SignedTarget, now = Date.now()): { path: string; expiresAt: Date } {
    const expires = Math.floor(now / 1000) + this.ttlSeconds
    const query = new URLSearchParams({ variant: target.variant, u: target.userId, exp: String(expires), sig: this.#mac(target, expires) })
    return { path: `/files/${encodeURIComponent(target.fileId)}/content?${query}`, expiresAt: new Date(expires * 1000) }
  }

  /** Throws 403 SIGNATURE_INVALID for any altered part, 410 URL_EXPIRED once past the expiry. */
  verify(target: SignedTarget, expires: number, signature: string, now = Date.now()): void {
    const expected = Buffer.from(this.#mac(target, expires))
    const given = Buffer.from(signature)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new ForbiddenError('This download link is not valid', { code: 'SIGNATURE_INVALID' })
    if (expires * 1000 <= now) throw new GoneError('This download link has expired; ask for a new one', { code: 'URL_EXPIRED' })
  }

  #mac(target: SignedTarget, expires: number): string {
    return createHmac('sha256', this.secret).update(`${target.fileId}\n${target.variant}\n${expires}\n${target.userId}`).digest('base64url')
  }
}
