import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { errors } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import { MessageSearchPage, MessageSearchQuery, UserSearchHit, UserSearchQuery } from './model'

const bearer = [{ bearer: [] }]

export function searchRoutes(ctx: AppContext) {
  const { search } = ctx.services
  return new Elysia({ prefix: '/search', tags: ['search'] })
    .use(authGuard(ctx))
    .get('/messages', ({ auth, query }) => search.searchMessages(auth.user.id, query), {
      auth: true,
      query: MessageSearchQuery,
      response: { 200: MessageSearchPage, ...errors(401, 422, 429) },
      detail: {
        summary: 'Search messages in the conversations you take part in',
        description:
          'Substring matching (trigram index, works for Chinese and Japanese), ranked by bm25 with the newest first on ties. ' +
          'Voice messages are also found by their finished transcript: such a hit has `matchedIn: "transcript"` and a snippet from the transcript; a message is listed once. ' +
          'Each result carries an HTML-safe `snippet` with hits in `<mark>`. 422 `QUERY_EMPTY` without text or filters, `QUERY_INVALID` for a malformed filter, `CURSOR_INVALID` for a bad cursor.',
        security: bearer,
      },
    })
    .get('/users', ({ query }) => search.searchUsers(query.q), {
      auth: true,
      query: UserSearchQuery,
      response: { 200: t.Array(UserSearchHit), ...errors(401, 422, 429) },
      detail: {
        summary: 'Find people by username, display name or full email address',
        description: 'At most 20 results with public fields only; an email matches only when `q` is the whole address.',
        security: bearer,
      },
    })
}
