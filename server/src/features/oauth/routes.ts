import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { errors } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import { MfaChallenge, Tokens } from '../auth/model'
import { FLOW_TTL_SECONDS } from './service'
import { CallbackQuery, ExchangeBody, FlowCookie, ProviderList, ProviderParams, Redirect, StartQuery } from './model'

export function oauthRoutes(ctx: AppContext) {
  const { oauth } = ctx.services
  const { publicUrl } = ctx.config
  // @NOTE: the app-wide cookie config (path /) overrides route-level t.Cookie options, so every write names its attributes.
  const flowAttributes = { httpOnly: true, sameSite: 'lax', secure: publicUrl.startsWith('https:'), path: '/auth/oauth' } as const

  return new Elysia({ prefix: '/auth/oauth', tags: ['auth'] })
    .use(authGuard(ctx))
    .get('/providers', () => ({ providers: oauth.enabledProviders().map((name) => ({ name, startUrl: `${publicUrl}/auth/oauth/${name}/start` })) }), {
      response: { 200: ProviderList, ...errors(429) },
      detail: { summary: 'OAuth providers enabled on this server', description: 'A provider is listed when its client id and secret are configured.' },
    })
    .get('/:provider/start', ({ params, query, cookie: { parley_oauth }, redirect }) => {
      const { authorizationUrl, sealedFlow } = oauth.start(params.provider, query.redirect)
      parley_oauth.set({ ...flowAttributes, value: sealedFlow, maxAge: FLOW_TTL_SECONDS })
      return redirect(authorizationUrl, 302)
    }, {
      params: ProviderParams,
      query: StartQuery,
      cookie: FlowCookie,
      response: { 302: Redirect, ...errors(400, 404, 422, 429) },
      detail: {
        summary: 'Begin sign-in with an OAuth provider (browser navigation)',
        description: 'Redirects to the provider with a state and a PKCE S256 challenge, kept with `redirect` in a signed httpOnly cookie for 10 minutes. Unknown or unconfigured providers answer 404 `OAUTH_PROVIDER_DISABLED`.',
      },
    })
    .get('/:provider/callback', async ({ params, query, cookie: { parley_oauth }, meta, redirect }) => {
      const location = await oauth.complete(params.provider, query, parley_oauth.value, meta)
      parley_oauth.set({ ...flowAttributes, value: '', maxAge: 0, expires: new Date(0) })
      return redirect(location, 302)
    }, {
      params: ProviderParams,
      query: CallbackQuery,
      cookie: FlowCookie,
      response: { 302: Redirect, ...errors(400, 404, 422, 429) },
      detail: {
        summary: 'Where the provider sends the browser back',
        description:
          'Checks the state, exchanges the code (with the PKCE verifier), then signs in the linked account, links an existing account by a verified email, or creates one. Redirects to the client path with `?oauth_code=<code>` (swap it at POST /auth/oauth/exchange) or `?oauth_error=<CODE>`. Without the cookie and without a state there is no flow to return to: 400 `OAUTH_STATE_MISSING`.',
      },
    })
    .post('/exchange', ({ body, meta, completeSignIn }) => completeSignIn(oauth.exchange(body.code, meta)), {
      body: ExchangeBody,
      response: { 200: t.Union([Tokens, MfaChallenge]), ...errors(400, 403, 413, 422, 429) },
      detail: {
        summary: 'Swap the one-time OAuth code for tokens',
        description: 'Single use, valid 60 seconds; a used, expired or unknown code is 400 `INVALID_EXCHANGE_CODE`. When two-factor authentication is on, answers `{ mfaRequired: true, challengeToken }` like POST /auth/login.',
      },
    })
}
