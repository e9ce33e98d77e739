import { ValidationError } from '../../errors'

export const MIN_PASSWORD_LENGTH = 10

export function assertPasswordAcceptable(password: string, context: { email?: string; username?: string }): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new ValidationError(`Password must be at least ${MIN_PASSWORD_LENGTH} characters`, { details: [{ field: 'password', message: 'too short' }] })
  const lower = password.toLowerCase()
  if ((context.email && lower === context.email.toLowerCase()) || (context.username && lower === context.username.toLowerCase())) {
    throw new ValidationError('Password must not be your email or username', { details: [{ field: 'password', message: 'same as identity' }] })
  }
}

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: 'argon2id' })
}

// A real argon2id hash, so an unknown account costs the same time as a wrong password.
const DUMMY_HASH = Bun.password.hashSync('parley-dummy-password', { algorithm: 'argon2id' })

export async function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  if (!hash) {
    await Bun.password.verify(password, DUMMY_HASH)
    return false
  }
  return Bun.password.verify(password, hash)
}
