import { t } from 'elysia'
import { Iso, strict } from '../../http/schemas'
import { Message } from '../messages/model'

export const DEFAULT_INBOX_PAGE = 30
export const MAX_INBOX_PAGE = 100

export const FollowState = t.Object({ rootId: t.String(), conversationId: t.String(), following: t.Boolean() }, { title: 'ThreadFollow' })

export const InboxThread = t.Object(
  {
    root: Message,
    conversationId: t.String(),
    replyCount: t.Number(),
    lastReplyAt: Iso,
    lastReadSeq: t.Number({ description: 'The newest reply seq you have seen in this thread' }),
    unreadReplies: t.Number({ description: 'Replies after lastReadSeq by other people, deleted ones left out' }),
  },
  { title: 'InboxThread' },
)
export type InboxThreadView = typeof InboxThread.static

export const InboxQuery = t.Object({
  limit: t.Optional(t.Numeric({ minimum: 1, maximum: MAX_INBOX_PAGE })),
  before: t.Optional(t.String({ format: 'date-time', description: 'Threads whose last reply is older than this (the lastReplyAt of the last thread you hold)' })),
})

export const Inbox = t.Object({ threads: t.Array(InboxThread), hasMore: t.Boolean() }, { title: 'ThreadsInbox' })

export const ThreadReadBody = t.Object({ seq: t.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'The newest reply seq you have seen' }) }, strict)

export const ThreadReadState = t.Object({ rootId: t.String(), lastReadSeq: t.Number(), unreadReplies: t.Number() }, { title: 'ThreadReadState' })
export type ThreadReadStateView = typeof ThreadReadState.static
