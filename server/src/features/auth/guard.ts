import { Elysia } from 'elysia'
import { jwt } from '@elysiajs/jwt'
import type { AppContext } from '../../context'
import { ForbiddenError, RateLimitedError, UnauthorizedError } from '../../errors'
import { noteRequestUser, requestIpOf } from '../../http/platform'
import type { RequestMeta } from '../audit/service'
import { toPublicUser } from '../users/model'
import type { IssuedSession } from './sessions'
import { accessTokenVerifier } from './access-token'
import type { LoginOutcome } from './service'
import type { RateResult } from '../../http/rate-limiter'

const MFA_CHALLENGE_TTL_SECONDS = 300

export interface AccessClaims {
  sub: string
  sid: string
  typ: 'access'
}

function bearer(header: string | null): string | null {
  if (!header) return null
  const match = /^Bearer\s+(\S+)$/i.exec(header)
  return match ? match[1]! : null
}

function looksExpired(token: string): boolean {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: number }
    return typeof payload.exp === 'number' && payload.exp * 1000 <= Date.now()
  } catch {
    return false
  }
}

/**
 * Resolves an access token to its user and live session, for HTTP requests and sockets alike.
 * Throws 401 with TOKEN_EXPIRED (refresh and retry), TOKEN_INVALID, SESSION_REVOKED, SESSION_EXPIRED or ACCOUNT_DISABLED.
 */
export function accessTokenAuthenticator(ctx: AppContext) {
  const verifyAccessToken = accessTokenVerifier(ctx.config.jwtSecret)
  return function authenticateAccessToken(token: string) {
    const claims = verifyAccessToken(token) as AccessClaims | false
    if (!claims || claims.typ !== 'access' || typeof claims.sub !== 'string' || typeof claims.sid !== 'string') {
      if (looksExpired(token)) throw new UnauthorizedError('Access token has expired; refresh it', { code: 'TOKEN_EXPIRED' })
      throw new UnauthorizedError('Access token is not valid', { code: 'TOKEN_INVALID' })
    }
    const { user, session } = ctx.services.sessions.authenticate(claims.sid, claims.sub)
    return { user, sessionId: session.id }
  }
}

/**
 * Access tokens (`@elysiajs/jwt`, HS256) and the `auth` / `admin` route options. Every protected
 * route re-checks the session through SessionService.authenticate (cached per process for
 * SESSION_CACHE_MS, invalidated at once on every instance), so logout, revocation and disabling act
 * on the next request.
 */
export function authGuard(ctx: AppContext) {
  const { config, services, limiter } = ctx
  const authenticateAccessToken = accessTokenAuthenticator(ctx)

  function identify(request: Request) {
    const token = bearer(request.headers.get('authorization'))
    if (!token) throw new UnauthorizedError('Authentication required: send Authorization: Bearer <access token>', { code: 'UNAUTHORIZED' })
    const auth = authenticateAccessToken(token)
    noteRequestUser(request, auth.user.id)
    return auth
  }
  const userKey = (userId: string) => `user:${userId}`
  const checkUser = (rate: RateResult) => {
    if (!rate.allowed) throw new RateLimitedError('Too many requests for this account', rate.retryAfterSeconds)
  }
  const hitNow = limiter.hitNow
  // As in platform.ts: with an in-memory limiter the resolvers stay plain functions Elysia need not await.
  const authenticate = hitNow
    ? (request: Request) => {
        const auth = identify(request)
        checkUser(hitNow(userKey(auth.user.id), config.rateLimit.userPerMinute, 60_000))
        return auth
      }
    : async (request: Request) => {
        const auth = identify(request)
        checkUser(await limiter.hit(userKey(auth.user.id), config.rateLimit.userPerMinute, 60_000))
        return auth
      }
  const requireAdmin = <T extends { user: { role: string } }>(auth: T): T => {
    if (auth.user.role !== 'admin') throw new ForbiddenError('Administrator role required', { code: 'ADMIN_REQUIRED' })
    return auth
  }

  const accessJwtPlugin = jwt({ name: 'accessJwt', secret: config.jwtSecret, alg: 'HS256', exp: `${config.accessTokenTtlSeconds}s` })
  const challengeJwtPlugin = jwt({ name: 'challengeJwt', secret: `${config.jwtSecret}:mfa-challenge`, alg: 'HS256', exp: `${MFA_CHALLENGE_TTL_SECONDS}s` })
  const { accessJwt } = accessJwtPlugin.decorator
  const { challengeJwt } = challengeJwtPlugin.decorator

  /** Turns a fresh session into the token pair a client stores. */
  async function issueTokens(session: IssuedSession) {
    const accessToken = await accessJwt.sign({ sub: session.userId, sid: session.sessionId, typ: 'access' })
    return {
      tokenType: 'Bearer' as const,
      accessToken,
      accessTokenExpiresIn: config.accessTokenTtlSeconds,
      refreshToken: session.refreshToken,
      refreshTokenExpiresAt: session.refreshTokenExpiresAt.toISOString(),
      sessionId: session.sessionId,
      user: toPublicUser(services.users.get(session.userId)),
    }
  }
  /** Answers a finished first factor: tokens, or a 5-minute challenge when two-factor is on. */
  async function completeSignIn(outcome: LoginOutcome) {
    if (outcome.kind === 'session') return issueTokens(outcome.session)
    const challengeToken = await challengeJwt.sign({ sub: outcome.userId, typ: 'mfa_challenge' })
    return { mfaRequired: true as const, challengeToken, expiresIn: MFA_CHALLENGE_TTL_SECONDS }
  }

  return new Elysia({ name: 'auth-guard', seed: ctx.id })
    .use(accessJwtPlugin)
    .use(challengeJwtPlugin)
    // Runs on every route of every plugin that uses the guard: only `meta` is built per request
    // (not reading `server` spares Elysia a getter per request; platform.ts has the address).
    .derive({ as: 'scoped' }, ({ request }) => {
      const meta: RequestMeta = { ip: requestIpOf(request) ?? null, userAgent: request.headers.get('user-agent')?.slice(0, 512) ?? null }
      return { meta, issueTokens, completeSignIn }
    })
    .macro({
      auth: {
        resolve: hitNow
          ? ({ request }) => {
              const auth = authenticate(request) as Awaited<ReturnType<typeof authenticate>>
              return { auth }
            }
          : async ({ request }) => {
              const auth = await authenticate(request)
              return { auth }
            },
      },
      admin: {
        resolve: hitNow
          ? ({ request }) => {
              const auth = requireAdmin(authenticate(request) as Awaited<ReturnType<typeof authenticate>>)
              return { auth }
            }
          : async ({ request }) => {
              const auth = requireAdmin(await authenticate(request))
              return { auth }
            },
      },
    })
}
