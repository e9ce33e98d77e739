import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { errors } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import { FileSearchPage, FileSearchQuery, MessageSearchPage, MessageSearchQuery, UserSearchHit, UserSearchQuery } from './model'

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
    .get('/files', ({ auth, query }) => search.searchFiles(auth.user.id, query), {
      auth: true,
      query: FileSearchQuery,
      response: { 200: FileSearchPage, ...errors(401, 422, 429) },
      detail: {
        summary: 'Search files by name: yours, and those shared in conversations you take part in',
        description:
          'Substring matching on file names (trigram index, works for Chinese and Japanese), ranked by bm25 with the newest first on ties; `kind` narrows to images, videos, audio or other files. ' +
          'A file is found only by someone who may download it: its owner, or a member of a conversation where a live message carries it (a deleted message no longer shares its files; the owner still finds them). ' +
          'Each result carries the file, `attachedTo` (the newest such message, for jump-to) and an HTML-safe `snippet` of the name with hits in `<mark>`. ' +
          '422 `QUERY_EMPTY` without text or filters, `QUERY_INVALID` for a malformed filter or `is:thread`, `CURSOR_INVALID` for a bad cursor.',
        security: bearer,
      },
    })
    .get('/users', ({ auth, query }) => search.searchUsers(auth.user, query.q), {
      auth: true,
      query: UserSearchQuery,
      response: { 200: t.Array(UserSearchHit), ...errors(401, 422, 429) },
      detail: {
        summary: 'Find people you share a workspace or conversation with; anyone by exact username or email',
        description:
          'At most 20 results with public fields only (never an email). A username prefix or substring or a display-name substring finds people who share a workspace or a conversation with you; ' +
          'someone you share nothing with is found only by their exact username (`ada` or `@ada`) or their complete email address, so nobody can list the platform by fragments. ' +
          'Platform admins search everyone, email fragments included. Disabled accounts are never listed. 422 `QUERY_EMPTY` for a blank query.',
        security: bearer,
      },
    })
}
