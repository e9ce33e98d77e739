import { t } from 'elysia'
import { and, desc, eq, isNull, lt, ne, or, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { messages, users } from '../../db/schema'
import { BadRequestError, ConflictError, NotFoundError } from '../../errors'
import type { AiProvider } from '../../ai/provider'
import { textRank } from '../../ai/textrank'
import type { ConversationAccess } from '../conversations/access'
import type { Tone } from './model'

/** Messages before the one being answered that a smart reply sees. */
const REPLY_CONTEXT = 10
const DEFAULT_SUMMARY_LIMIT = 100

const TONE_INSTRUCTIONS: Record<Tone, string> = {
  formal: 'Make it formal and professional.',
  friendly: 'Make it warm and friendly.',
  concise: 'Make it as short as possible without losing meaning.',
  confident: 'Make it clear and confident, without hedging.',
  empathetic: 'Make it kind and empathetic.',
  proofread: 'Only fix spelling, grammar and punctuation; keep the wording otherwise.',
}

const RepliesSchema = t.Object({ replies: t.Array(t.String({ minLength: 1, maxLength: 300 }), { minItems: 1, maxItems: 5 }) })
const TextSchema = t.Object({ text: t.String({ minLength: 1 }) })
const SummarySchema = t.Object({ summary: t.String({ minLength: 1 }), citedMessageIds: t.Array(t.String()) })

interface Line {
  id: string
  seq: number
  author: string
  content: string
}

const transcriptOf = (lines: Line[]) => lines.map((l) => `[${l.id}] ${l.author}: ${l.content}`).join('\n')

/**
 * Chat AI for the composer and conversation menu: smart replies, rewrite with a tone, translate and
 * summarize. Every call first checks the caller may read the conversation; the conversation's
 * workspace shares the caller's quota. Summaries fall back to TextRank without a provider.
 */
export class AiChatService {
  constructor(private db: Db, private access: ConversationAccess, private provider: AiProvider) {}

  async smartReplies(userId: string, conversationId: string, messageId: string, count: number, signal?: AbortSignal) {
    const { conversation } = this.access.assertParticipant(conversationId, userId)
    const target = this.#message(conversationId, messageId)
    const context = this.#lines(and(eq(messages.conversationId, conversationId), lt(messages.seq, target.seq)), REPLY_CONTEXT).reverse()
    const me = this.db.select({ name: users.displayName }).from(users).where(eq(users.id, userId)).get()?.name ?? 'me'
    const { value } = await this.provider.structured(
      {
        messages: [
          { role: 'system', content: `You suggest ${count} short, distinct replies that ${me} could send next in a chat. Match the language of the conversation. JSON: {"replies": [..]}.` },
          { role: 'user', content: `Conversation so far:\n${transcriptOf(context)}\n\nMessage to answer:\n${transcriptOf([this.#line(target)])}` },
        ],
        maxTokens: 400,
        temperature: 0.7,
      },
      RepliesSchema,
      { feature: 'Smart replies', userId, workspaceId: conversation.workspaceId, signal },
    )
    return { suggestions: value.replies.slice(0, count).map((r) => r.trim()), method: 'llm' as const }
  }

  async rewrite(userId: string, input: { text: string; tone: Tone; conversationId?: string }, signal?: AbortSignal) {
    const workspaceId = input.conversationId ? this.access.assertParticipant(input.conversationId, userId).conversation.workspaceId : null
    const { value } = await this.provider.structured(
      {
        messages: [
          { role: 'system', content: `You rewrite chat messages. ${TONE_INSTRUCTIONS[input.tone]} Keep the language, markdown and @mentions of the original. JSON: {"text": ".."}.` },
          { role: 'user', content: input.text },
        ],
        temperature: 0.3,
      },
      TextSchema,
      { feature: 'Rewriting', userId, workspaceId, signal },
    )
    return { text: value.text, tone: input.tone, method: 'llm' as const }
  }

  async translate(userId: string, conversationId: string, messageId: string, targetLanguage: string, signal?: AbortSignal) {
    const { conversation } = this.access.assertParticipant(conversationId, userId)
    const message = this.#message(conversationId, messageId)
    const { value } = await this.provider.structured(
      {
        messages: [
          { role: 'system', content: `Translate the user's chat message into ${targetLanguage}. Keep markdown, emoji and @mentions. JSON: {"text": ".."}.` },
          { role: 'user', content: message.content },
        ],
        temperature: 0,
      },
      TextSchema,
      { feature: 'Translation', userId, workspaceId: conversation.workspaceId, signal },
    )
    return { messageId, targetLanguage, text: value.text, method: 'llm' as const }
  }

  /**
   * The newest `limit` messages (or one thread), summarized by the LLM when one is configured, else by
   * TextRank; either way the answer cites the ids of the messages it drew on, oldest first. `onRead`
   * runs once the messages are read (a job reports its progress there).
   */
  async summarize(userId: string, conversationId: string, request: { rootId?: string; limit?: number }, signal?: AbortSignal, onRead?: () => Promise<void>) {
    const { conversation } = this.access.assertParticipant(conversationId, userId)
    const limit = request.limit ?? DEFAULT_SUMMARY_LIMIT
    let scope: SQL | undefined = eq(messages.conversationId, conversationId)
    if (request.rootId) {
      const root = this.#message(conversationId, request.rootId)
      if (root.parentId) throw new BadRequestError('This message is a reply; summarize its root thread', { code: 'NOT_A_THREAD_ROOT', details: { rootId: root.parentId } })
      scope = and(scope, or(eq(messages.id, root.id), eq(messages.parentId, root.id)))
    }
    const lines = this.#lines(scope, limit).reverse()
    await onRead?.()
    const method = this.provider.configured ? ('llm' as const) : ('extractive' as const)
    if (lines.length === 0) return { summary: '', method, citedMessageIds: [], messageCount: 0 }
    const order = new Map(lines.map((l) => [l.id, l.seq]))
    const bySeq = (ids: Iterable<string>) => [...new Set(ids)].filter((id) => order.has(id)).sort((a, b) => order.get(a)! - order.get(b)!)

    if (!this.provider.configured) {
      const sentences = textRank(lines.map((l) => ({ id: l.id, text: l.content })), lines.length > 20 ? 5 : 3)
      return { summary: sentences.map((s) => s.text).join(' '), method, citedMessageIds: bySeq(sentences.map((s) => s.sourceId)), messageCount: lines.length }
    }
    const { value } = await this.provider.structured(
      {
        messages: [
          { role: 'system', content: 'Summarize this chat for someone catching up: decisions, open questions, who does what. A few sentences in the language of the chat. Each line starts with the message id in brackets; list the ids you drew on. JSON: {"summary": "..", "citedMessageIds": [".."]}.' },
          { role: 'user', content: transcriptOf(lines) },
        ],
        maxTokens: 600,
        temperature: 0.2,
      },
      SummarySchema,
      { feature: 'Summaries', userId, workspaceId: conversation.workspaceId, signal },
    )
    // Ids the model made up are dropped: a citation must point at a message it was shown.
    return { summary: value.summary, method, citedMessageIds: bySeq(value.citedMessageIds), messageCount: lines.length }
  }

  #message(conversationId: string, messageId: string) {
    const row = this.db.select().from(messages).where(and(eq(messages.id, messageId), eq(messages.conversationId, conversationId))).get()
    if (!row) throw new NotFoundError('Message not found', { code: 'MESSAGE_NOT_FOUND' })
    if (row.deletedAt) throw new ConflictError('This message was deleted', { code: 'MESSAGE_DELETED' })
    return row
  }

  #line(row: { id: string; seq: number; content: string; senderId: string | null }): Line {
    const author = row.senderId ? (this.db.select({ name: users.displayName }).from(users).where(eq(users.id, row.senderId)).get()?.name ?? 'someone') : 'system'
    return { id: row.id, seq: row.seq, author, content: row.content }
  }

  /** Readable text messages in scope, newest first. */
  #lines(scope: SQL | undefined, limit: number): Line[] {
    return this.db
      .select({ id: messages.id, seq: messages.seq, content: messages.content, author: users.displayName })
      .from(messages)
      .leftJoin(users, eq(users.id, messages.senderId))
      .where(and(scope, isNull(messages.deletedAt), ne(messages.type, 'system')))
      .orderBy(desc(messages.seq))
      .limit(limit)
      .all()
      .map((r) => ({ id: r.id, seq: r.seq, content: r.content, author: r.author ?? 'someone' }))
  }
}
