import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { ErrorResponse, errors } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import {
  Rewrite,
  RewriteBody,
  SmartReplies,
  SmartRepliesBody,
  Summary,
  SummaryBody,
  SummaryJobList,
  SummaryJobView,
  Transcript,
  TranscriptHit,
  TranscriptSearchQuery,
  Translation,
  TranslateBody,
  Usage,
} from './model'

const bearer = [{ bearer: [] }]
const Id = t.String({ minLength: 1, maxLength: 64 })
const ConversationParams = t.Object({ id: Id })
const MessageParams = t.Object({ id: Id, messageId: Id })
const SummaryParams = t.Object({ id: Id })
/** The provider failed (502) or did not answer in time (504). */
const upstream = { 502: ErrorResponse, 504: ErrorResponse }
const LLM_NOTE = 'Without an AI provider configured this answers 503 `AI_PROVIDER_NOT_CONFIGURED`; beyond the daily token budget 429 `AI_QUOTA_EXCEEDED`.'

export function aiRoutes(ctx: AppContext) {
  const { ai, transcripts, aiProvider, aiUsage, transcriptions, summaries } = ctx.services
  return new Elysia({ tags: ['ai'] })
    .use(authGuard(ctx))
    .post('/conversations/:id/messages/:messageId/ai/replies', ({ auth, params, body, request }) => ai.smartReplies(auth.user.id, params.id, params.messageId, body.count ?? 3, request.signal), {
      auth: true,
      params: MessageParams,
      body: SmartRepliesBody,
      response: { 200: SmartReplies, ...errors(401, 404, 409, 422, 429, 503), ...upstream },
      detail: { summary: 'Smart replies to a message', description: `Short replies the caller could send next, from the message and the ten before it. ${LLM_NOTE}`, security: bearer },
    })
    .post('/conversations/:id/messages/:messageId/ai/translate', ({ auth, params, body, request }) => ai.translate(auth.user.id, params.id, params.messageId, body.targetLanguage, request.signal), {
      auth: true,
      params: MessageParams,
      body: TranslateBody,
      response: { 200: Translation, ...errors(401, 404, 409, 422, 429, 503), ...upstream },
      detail: { summary: 'Translate a message', description: LLM_NOTE, security: bearer },
    })
    .post('/ai/rewrite', ({ auth, body, request }) => ai.rewrite(auth.user.id, body, request.signal), {
      auth: true,
      body: RewriteBody,
      response: { 200: Rewrite, ...errors(401, 404, 422, 429, 503), ...upstream },
      detail: { summary: 'Rewrite a draft with a tone', description: `formal, friendly, concise, confident, empathetic or proofread. ${LLM_NOTE}`, security: bearer },
    })
    .post('/conversations/:id/ai/summary', ({ auth, params, body, request }) => ai.summarize(auth.user.id, params.id, body, request.signal), {
      auth: true,
      params: ConversationParams,
      body: SummaryBody,
      response: { 200: Summary, ...errors(400, 401, 404, 409, 422, 429), ...upstream },
      detail: {
        summary: 'Summarize a conversation or one thread',
        description: 'Reads the newest `limit` messages (or the thread of `rootId`). With an AI provider the summary is written by the LLM (`method: "llm"`); without one it is an extractive TextRank summary of the most central sentences (`method: "extractive"`). Either way `citedMessageIds` lists the messages used.',
        security: bearer,
      },
    })
    .post('/ai/conversations/:id/summaries', async ({ auth, params, body, set }) => {
      const created = await summaries.create(auth.user.id, params.id, body)
      set.status = 202
      return created
    }, {
      auth: true,
      params: ConversationParams,
      body: SummaryBody,
      response: { 202: SummaryJobView, ...errors(400, 401, 404, 409, 422, 429, 503) },
      detail: {
        summary: 'Summarize a conversation or one thread as a job (the `ai` queue)',
        description: 'Participants only (anyone else: 404). Answers 202 with the queued summary; progress arrives as `job.progress` events (queue `ai`, job id = summary id) and at GET /ai/summaries/{id}, which holds the result. With a provider the LLM writes it (`method: "llm"`), offline TextRank (`method: "extractive"`). At most 3 running per user (429 TOO_MANY_SUMMARIES); 503 JOBS_UNAVAILABLE when the queue store is unreachable (nothing is kept).',
        security: bearer,
      },
    })
    .get('/ai/summaries', ({ auth }) => summaries.list(auth.user.id), {
      auth: true,
      response: { 200: SummaryJobList, ...errors(401, 429) },
      detail: { summary: 'My summaries, newest first (at most 100; those of conversations I left are hidden)', security: bearer },
    })
    .get('/ai/summaries/:id', ({ auth, params }) => summaries.get(auth.user.id, params.id), {
      auth: true,
      params: SummaryParams,
      response: { 200: SummaryJobView, ...errors(401, 404, 422, 429) },
      detail: { summary: 'Status, progress and result of my summary', description: "Someone else's summary, or one of a conversation I am no longer in, is 404 SUMMARY_NOT_FOUND.", security: bearer },
    })
    .post('/conversations/:id/messages/:messageId/transcript', async ({ auth, params, set }) => {
      const transcript = await transcripts.request(auth.user.id, params.id, params.messageId, transcriptions)
      set.status = transcript.status === 'pending' ? 202 : 200
      return transcript
    }, {
      auth: true,
      params: MessageParams,
      response: { 200: Transcript, 202: Transcript, ...errors(400, 401, 404, 409, 422, 429, 503) },
      detail: {
        summary: 'Transcribe the voice message (as a job)',
        description: 'Answers 202 with a `pending` transcript and runs a `transcription` job; members get `message.transcribed` on the socket when it is done (or failed). Asking again returns the pending or finished transcript (200 when done). Offline the engine is pocketsphinx (US English).',
        security: bearer,
      },
    })
    .get('/conversations/:id/messages/:messageId/transcript', ({ auth, params }) => transcripts.get(auth.user.id, params.id, params.messageId), {
      auth: true,
      params: MessageParams,
      response: { 200: Transcript, ...errors(401, 404, 422, 429) },
      detail: { summary: "A voice message's transcript", security: bearer },
    })
    .get('/ai/transcripts/search', ({ auth, query }) => ({ results: transcripts.search(auth.user.id, query.q, query.limit ?? 20) }), {
      auth: true,
      query: TranscriptSearchQuery,
      response: { 200: t.Object({ results: t.Array(TranscriptHit) }), ...errors(401, 422, 429) },
      detail: { summary: 'Search voice message transcripts', description: 'Substring match (trigram index), only in conversations the caller is in.', security: bearer },
    })
    .get('/ai/usage', ({ auth }) => ({ ...aiUsage.summary(auth.user.id), configured: aiProvider.configured }), {
      auth: true,
      response: { 200: Usage, ...errors(401, 429) },
      detail: { summary: "The caller's AI usage today", description: 'Tokens against the daily budget (AI_DAILY_TOKENS_PER_USER) and cost, and whether an LLM provider is configured.', security: bearer },
    })
}
