import { t } from 'elysia'
import { ConversationKind } from '../conversations/model'
import { FileView } from '../files/model'
import { Message } from '../messages/model'

export const MAX_QUERY_LENGTH = 1000
export const DEFAULT_RESULTS = 20
export const MAX_RESULTS = 50
export const MAX_USER_RESULTS = 20

export const MessageSearchQuery = t.Object({
  q: t.String({
    maxLength: MAX_QUERY_LENGTH,
    description:
      'Free text (substring match, `"quoted phrases"`, a trailing `*` is accepted) and filters: `in:<conversationId>` or `in:#channel-name`, ' +
      '`from:<username>` or `from:@username`, `has:file`, `before:YYYY-MM-DD`, `after:YYYY-MM-DD` (UTC days, both exclusive), `is:thread`. ' +
      'A filter-only query is allowed; an empty one is 422 QUERY_EMPTY.',
  }),
  limit: t.Optional(t.Numeric({ minimum: 1, maximum: MAX_RESULTS, description: `Results per page, 1–${MAX_RESULTS} (default ${DEFAULT_RESULTS})` })),
  cursor: t.Optional(t.String({ minLength: 1, maxLength: 64, description: 'The nextCursor of the previous page' })),
})

export const MessageSearchHit = t.Object(
  {
    message: Message,
    conversation: t.Object({ id: t.String(), kind: ConversationKind, name: t.Union([t.String(), t.Null()]) }),
    snippet: t.String({ description: 'HTML-escaped excerpt with hits wrapped in <mark>…</mark>; safe to render as HTML. From the transcript when `matchedIn` is `transcript`' }),
    rank: t.Number({ description: 'bm25 relevance, higher is better; 0 when the query has no indexed terms' }),
    matchedIn: t.Union([t.Literal('content'), t.Literal('transcript')], {
      description: 'Where the text matched: the message itself, or the transcript of a voice message (show "in transcript"). A message matching both is listed once, as `content` unless its transcript ranks higher',
    }),
  },
  { title: 'MessageSearchHit' },
)
export type MessageSearchHit = typeof MessageSearchHit.static

export const MessageSearchPage = t.Object(
  { results: t.Array(MessageSearchHit), nextCursor: t.Optional(t.String()) },
  { title: 'MessageSearchPage' },
)

export const UserSearchQuery = t.Object({
  q: t.String({
    minLength: 1,
    maxLength: 254,
    description: 'Username prefix or substring, or display-name substring, among people you share a workspace or conversation with; anyone by their exact username or complete email address',
  }),
})

export const UserSearchHit = t.Object(
  { id: t.String(), username: t.String(), displayName: t.String(), avatarUrl: t.Union([t.String(), t.Null()]) },
  { title: 'UserSearchHit' },
)
export type UserSearchHit = typeof UserSearchHit.static

export const FileKindFilter = t.Union([t.Literal('image'), t.Literal('video'), t.Literal('audio'), t.Literal('other')])

export const FileSearchQuery = t.Object({
  q: t.String({
    maxLength: MAX_QUERY_LENGTH,
    description:
      'File name text (substring match, `"quoted phrases"`) and filters: `in:<conversationId>` or `in:#channel-name` (attached there), ' +
      '`from:<username>` (uploaded by), `before:YYYY-MM-DD`, `after:YYYY-MM-DD` (upload day, UTC, both exclusive); `has:file` is accepted and changes nothing. ' +
      'A filter-only query is allowed; an empty one is 422 QUERY_EMPTY; `is:thread` is 422 QUERY_INVALID here.',
  }),
  kind: t.Optional(FileKindFilter),
  limit: t.Optional(t.Numeric({ minimum: 1, maximum: MAX_RESULTS, description: `Results per page, 1–${MAX_RESULTS} (default ${DEFAULT_RESULTS})` })),
  cursor: t.Optional(t.String({ minLength: 1, maxLength: 64, description: 'The nextCursor of the previous page' })),
})

export const FileAttachmentRef = t.Object(
  {
    messageId: t.String(),
    seq: t.Number({ description: 'Open the conversation around this seq to jump to the message' }),
    parentId: t.Union([t.String(), t.Null()], { description: 'The thread root when the message is a thread reply (open the thread instead)' }),
    conversation: t.Object({ id: t.String(), kind: ConversationKind, name: t.Union([t.String(), t.Null()]) }),
  },
  { title: 'FileAttachmentRef', description: 'The newest live message you can read that carries the file' },
)

export const FileSearchHit = t.Object(
  {
    file: FileView,
    attachedTo: t.Union([FileAttachmentRef, t.Null()], { description: 'Null for a file of yours not attached where you can read it (or only to deleted messages)' }),
    snippet: t.String({ description: 'The HTML-escaped file name with hits wrapped in <mark>…</mark>; safe to render as HTML' }),
    rank: t.Number({ description: 'bm25 relevance, higher is better; 0 when the query has no indexed terms' }),
  },
  { title: 'FileSearchHit' },
)
export type FileSearchHit = typeof FileSearchHit.static

export const FileSearchPage = t.Object({ results: t.Array(FileSearchHit), nextCursor: t.Optional(t.String()) }, { title: 'FileSearchPage' })
