import { t } from 'elysia'
import { strict } from '../../http/schemas'
import { CLIENT_PATH, OAUTH_PROVIDERS } from './service'

export const ProviderParams = t.Object({ provider: t.String({ minLength: 1, maxLength: 32, description: 'google, github or microsoft' }) })

export const StartQuery = t.Object({
  redirect: t.Optional(t.String({ maxLength: 512, pattern: CLIENT_PATH.source, description: 'Client path to return to afterwards, e.g. /chat (default /)' })),
})

// Providers add their own parameters (scope, authuser, session_state, iss), so unknown ones pass.
export const CallbackQuery = t.Object(
  {
    code: t.Optional(t.String({ maxLength: 2048 })),
    state: t.Optional(t.String({ maxLength: 512 })),
    error: t.Optional(t.String({ maxLength: 256 })),
    error_description: t.Optional(t.String({ maxLength: 2048 })),
  },
  { additionalProperties: true },
)

/** State, PKCE verifier and return path between start and callback, signed by the service. */
export const FlowCookie = t.Cookie({ parley_oauth: t.Optional(t.String({ maxLength: 4096 })) })

export const ExchangeBody = t.Object({ code: t.String({ minLength: 1, maxLength: 256, description: 'The oauth_code the callback put in the client URL' }) }, strict)

export const ProviderList = t.Object(
  {
    providers: t.Array(t.Object({ name: t.UnionEnum(OAUTH_PROVIDERS), startUrl: t.String({ description: 'Open in the browser to sign in' }) })),
  },
  { title: 'OAuthProviders' },
)

export const Redirect = t.Void({ description: 'Redirect; see the Location header' })
