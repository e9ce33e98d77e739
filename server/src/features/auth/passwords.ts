import { RateLimitedError, ValidationError } from '../../errors'

export const MIN_PASSWORD_LENGTH = 10

export function assertPasswordAcceptable(password: string, context: { email?: string; username?: string }): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new ValidationError(`Password must be at least ${MIN_PASSWORD_LENGTH} characters`, { details: [{ field: 'password', message: 'too short' }] })
  const lower = password.toLowerCase()
  if ((context.email && lower === context.email.toLowerCase()) || (context.username && lower === context.username.toLowerCase())) {
    throw new ValidationError('Password must not be your email or username', { details: [{ field: 'password', message: 'same as identity' }] })
  }
}

// argon2id costs ~100 ms of CPU and 64 MiB each: run at most one per core and queue a bounded number,
// so a burst of sign-ins cannot starve every other request or exhaust memory.
const MAX_RUNNING = Math.max(1, navigator.hardwareConcurrency)
const MAX_WAITING = 64
let running = 0
const waiting: Array<() => void> = []

async function withPasswordSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_RUNNING) {
    if (waiting.length >= MAX_WAITING) throw new RateLimitedError('The server is busy checking passwords; retry in a moment', 1, { code: 'AUTH_BUSY' })
    await new Promise<void>((resolve) => waiting.push(resolve))
  }
  running++
  try {
    return await work()
  } finally {
    running--
    waiting.shift()?.()
  }
}

export function hashPassword(password: string): Promise<string> {
  return withPasswordSlot(() => Bun.password.hash(password, { algorithm: 'argon2id' }))
}

// A real argon2id hash, so an unknown account costs the same time as a wrong password.
const DUMMY_HASH = Bun.password.hashSync('parley-dummy-password', { algorithm: 'argon2id' })

export async function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  if (!hash) {
    await withPasswordSlot(() => Bun.password.verify(password, DUMMY_HASH))
    return false
  }
  return withPasswordSlot(() => Bun.password.verify(password, hash))
}
