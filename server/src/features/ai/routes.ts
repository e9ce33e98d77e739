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
/** The provider failed (502) or did not answer in time (504). */
const upstream = { 502: ErrorResponse, 504: ErrorResponse }
const LLM_NOTE = 'Without an AI provider configured this answers 503 `AI_PROVIDER_NOT_CONFIGURED`; beyond the daily token budget 429 `AI_QUOTA_EXCEEDED`.'

export function aiRoutes(ctx: AppContext) {
  const { ai, transcripts, aiProvider, aiUsage, transcriptions } = ctx.services
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
