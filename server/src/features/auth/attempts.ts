import type { Config } from '../../config'
import { RateLimitedError, UnauthorizedError } from '../../errors'
import type { RateLimiter } from '../../http/rate-limiter'
import { verifyPassword } from './passwords'

/**
 * Counts failed guesses at a secret (password, MFA code) per key; after LOGIN_MAX_FAILURES in the
 * window the key is locked with 429, even for the right answer. A success clears the count.
 */
export class AttemptThrottle {
  constructor(private limiter: RateLimiter, private config: Config) {}

  async assertOpen(key: string, code: string, message: string): Promise<void> {
    const state = await this.limiter.peek(key, this.config.loginThrottle.maxFailures)
    if (!state.allowed) throw new RateLimitedError(message, state.retryAfterSeconds, { code })
  }

  async failed(key: string): Promise<void> {
    const { maxFailures, windowSeconds } = this.config.loginThrottle
    await this.limiter.hit(key, maxFailures, windowSeconds * 1000)
  }

  succeeded(key: string): Promise<void> {
    return this.limiter.reset(key)
  }

  /** Re-authentication of a signed-in user before a sensitive change (password, deletion, MFA off). */
  async confirmPassword(user: { id: string; passwordHash: string | null }, password: string): Promise<void> {
    const key = `password:${user.id}`
    await this.assertOpen(key, 'PASSWORD_THROTTLED', 'Too many wrong passwords; try again later')
    if (!(await verifyPassword(password, user.passwordHash))) {
      await this.failed(key)
      throw new UnauthorizedError('Password is incorrect', { code: 'INVALID_CREDENTIALS' })
    }
    await this.succeeded(key)
  }
}
