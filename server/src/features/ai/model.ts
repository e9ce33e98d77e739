import { t } from 'elysia'
import { Iso, strict } from '../../http/schemas'
import { MAX_CONTENT_LENGTH } from '../messages/model'

export const TONES = ['formal', 'friendly', 'concise', 'confident', 'empathetic', 'proofread'] as const
export type Tone = (typeof TONES)[number]

/** How an answer was made: by the configured LLM, or extracted offline (TextRank). */
export const Method = t.Union([t.Literal('llm'), t.Literal('extractive')], { description: '`llm`: the configured provider; `extractive`: offline TextRank (no provider configured)' })

export const SmartRepliesBody = t.Object({ count: t.Optional(t.Integer({ minimum: 1, maximum: 5, default: 3 })) }, strict)
export const SmartReplies = t.Object({ suggestions: t.Array(t.String()), method: t.Literal('llm') }, { title: 'SmartReplies' })

export const RewriteBody = t.Object(
  {
    text: t.String({ minLength: 1, maxLength: MAX_CONTENT_LENGTH }),
    tone: t.UnionEnum(TONES, { description: 'How the text should read afterwards' }),
    conversationId: t.Optional(t.String({ minLength: 1, maxLength: 64, description: 'The conversation being written in (its workspace is charged)' })),
  },
  strict,
)
export const Rewrite = t.Object({ text: t.String(), tone: t.String(), method: t.Literal('llm') }, { title: 'Rewrite' })

export const TranslateBody = t.Object(
  { targetLanguage: t.String({ minLength: 2, maxLength: 40, pattern: '^[^\\r\\n{}<>"]+$', description: 'A language name or code, e.g. `French` or `de`' }) },
  strict,
)
export const Translation = t.Object({ messageId: t.String(), targetLanguage: t.String(), text: t.String(), method: t.Literal('llm') }, { title: 'Translation' })

export const MAX_SUMMARY_MESSAGES = 500
export const SummaryBody = t.Object(
  {
    rootId: t.Optional(t.String({ minLength: 1, maxLength: 64, description: 'Summarize this thread instead of the whole conversation' })),
    limit: t.Optional(t.Integer({ minimum: 2, maximum: MAX_SUMMARY_MESSAGES, default: 100, description: 'How many of the newest messages to read' })),
  },
  strict,
)
export const Summary = t.Object(
  {
    summary: t.String(),
    method: Method,
    citedMessageIds: t.Array(t.String(), { description: 'Messages the summary is based on, oldest first' }),
    messageCount: t.Integer({ description: 'Messages read' }),
  },
  { title: 'Summary' },
)

export const TranscriptWord = t.Object({ word: t.String(), startMs: t.Integer(), endMs: t.Integer() })
export const Transcript = t.Object(
  {
    messageId: t.String(),
    conversationId: t.String(),
    fileId: t.String(),
    status: t.Union([t.Literal('pending'), t.Literal('done'), t.Literal('failed')]),
    text: t.String(),
    words: t.Array(TranscriptWord, { description: 'Word timestamps where the engine gives them' }),
    method: t.Union([t.String(), t.Null()], { description: '`pocketsphinx` offline, or the provider model' }),
    error: t.Union([t.String(), t.Null()]),
    updatedAt: Iso,
  },
  { title: 'Transcript' },
)
export type TranscriptView = typeof Transcript.static

export const TranscriptSearchQuery = t.Object({ q: t.String({ minLength: 3, maxLength: 200, description: 'At least 3 characters (trigram index)' }), limit: t.Optional(t.Numeric({ minimum: 1, maximum: 50 })) })
export const TranscriptHit = t.Object({ transcript: Transcript, snippet: t.String() }, { title: 'TranscriptHit' })

export const Usage = t.Object({ day: t.String(), tokens: t.Integer(), limit: t.Integer({ description: '0: unlimited' }), costMicros: t.Integer({ description: 'Millionths of a US dollar' }), configured: t.Boolean() }, { title: 'AiUsage' })

/** Running (queued or active) summary jobs one user may have at once; one more is 429. */
export const MAX_RUNNING_SUMMARIES = 3

export const SummaryJobView = t.Object(
  {
    id: t.String(),
    conversationId: t.String(),
    rootId: t.Union([t.String(), t.Null()]),
    limit: t.Integer(),
    status: t.Union([t.Literal('queued'), t.Literal('active'), t.Literal('completed'), t.Literal('failed')]),
    percent: t.Integer({ minimum: 0, maximum: 100 }),
    stage: t.String(),
    summary: t.Union([t.String(), t.Null()], { description: 'Once completed' }),
    method: t.Union([Method, t.Null()]),
    citedMessageIds: t.Array(t.String(), { description: 'Messages the summary is based on, oldest first (empty until completed)' }),
    messageCount: t.Integer({ description: 'Messages read' }),
    error: t.Union([t.String(), t.Null()]),
    createdAt: Iso,
    completedAt: t.Union([Iso, t.Null()]),
  },
  { title: 'SummaryJob' },
)
export type SummaryJobView = typeof SummaryJobView.static
export const SummaryJobList = t.Object({ summaries: t.Array(SummaryJobView) }, { title: 'SummaryJobList' })
