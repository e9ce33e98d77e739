import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { messages, messageTranscripts, type TranscriptWord } from '../../db/schema'
import { BadRequestError, ConflictError, NotFoundError } from '../../errors'
import type { TranscriptionJob } from '../../contracts/jobs'
import type { AiProvider } from '../../ai/provider'
import type { Logger } from '../../logger'
import type { EventSink } from '../../realtime/hub'
import type { ConversationAccess } from '../conversations/access'
import type { AudioSource } from './audio-source'
import type { TranscriptView } from './model'

type TranscriptRow = typeof messageTranscripts.$inferSelect

/** Longer than any job runs with its retries: a transcript pending this long is asked for again. */
const STALE_PENDING_MS = 30 * 60_000

/** Hands a transcription to the worker fleet, or runs it here when no worker consumes the queue. */
export interface TranscriptionDispatcher {
  dispatch(job: TranscriptionJob): Promise<void>
}

export function toTranscriptView(row: TranscriptRow): TranscriptView {
  return {
    messageId: row.messageId,
    conversationId: row.conversationId,
    fileId: row.fileId,
    status: row.status,
    text: row.text,
    words: row.words ?? [],
    method: row.method,
    error: row.error,
    updatedAt: row.updatedAt.toISOString(),
  }
}

/** The trigram index of drizzle/0009_transcripts_search.sql; declared here so drizzle-kit never creates it. */
const SEARCH_SQL = sql`
  SELECT t.*, snippet(message_transcripts_fts, 0, '<mark>', '</mark>', '…', 12) AS snippet
  FROM message_transcripts_fts f
  JOIN message_transcripts t ON t.rowid = f.rowid
  JOIN messages m ON m.id = t.message_id AND m.deleted_at IS NULL
  JOIN participants p ON p.conversation_id = t.conversation_id AND p.user_id = `

/**
 * Transcripts of voice messages: requested by any member who can read the message, made once by
 * the `transcription` job (idempotent), announced as `message.transcribed`, searchable by members.
 */
export class TranscriptService {
  constructor(
    private db: Db,
    private access: ConversationAccess,
    private provider: AiProvider,
    private audio: AudioSource,
    private events: Pick<EventSink, 'toConversation'>,
    private log: Logger,
  ) {}

  /** Starts a transcription (202); asking again while one is pending or done returns it unchanged. */
  async request(userId: string, conversationId: string, messageId: string, dispatcher: TranscriptionDispatcher): Promise<TranscriptView> {
    this.access.assertParticipant(conversationId, userId)
    const message = this.db.select().from(messages).where(and(eq(messages.id, messageId), eq(messages.conversationId, conversationId))).get()
    if (!message) throw new NotFoundError('Message not found', { code: 'MESSAGE_NOT_FOUND' })
    if (message.deletedAt) throw new ConflictError('This message was deleted', { code: 'MESSAGE_DELETED' })
    const fileId = this.audio.voiceFileOf(messageId)
    if (!fileId) throw new BadRequestError('This message has no audio to transcribe', { code: 'NO_AUDIO' })
    const existing = this.#row(messageId)
    // A pending transcript older than STALE_PENDING_MS lost its job (an API restart mid-run): run it again.
    const stale = existing?.status === 'pending' && Date.now() - existing.updatedAt.getTime() > STALE_PENDING_MS
    if (existing && existing.status !== 'failed' && !stale) return toTranscriptView(existing)
    const now = new Date()
    const row = this.db
      .insert(messageTranscripts)
      .values({ messageId, conversationId, fileId, status: 'pending', requestedBy: userId, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: messageTranscripts.messageId, set: { status: 'pending', fileId, error: null, requestedBy: userId, updatedAt: now } })
      .returning()
      .get()
    try {
      await dispatcher.dispatch({ messageId, fileId, userId })
    } catch (error) {
      // Not queued (Redis away: 503): leave it failed, so asking again dispatches again.
      this.db.update(messageTranscripts).set({ status: 'failed', error: 'Could not be queued', updatedAt: new Date() }).where(eq(messageTranscripts.messageId, messageId)).run()
      throw error
    }
    return toTranscriptView(row)
  }

  get(userId: string, conversationId: string, messageId: string): TranscriptView {
    this.access.assertParticipant(conversationId, userId)
    const row = this.#row(messageId)
    // A deleted message takes its transcript with it, like its text.
    const deleted = this.db.select({ deletedAt: messages.deletedAt }).from(messages).where(eq(messages.id, messageId)).get()?.deletedAt
    if (!row || row.conversationId !== conversationId || deleted) throw new NotFoundError('This message has no transcript; request one first', { code: 'TRANSCRIPT_NOT_FOUND' })
    return toTranscriptView(row)
  }

  /** The job's work: runs the engine once, stores the text, tells the conversation. Running it twice writes once. */
  async process(job: TranscriptionJob, signal?: AbortSignal): Promise<TranscriptView> {
    const row = this.#row(job.messageId)
    if (!row) throw new NotFoundError('No transcript was requested for this message', { code: 'TRANSCRIPT_NOT_FOUND' })
    if (row.status === 'done') return toTranscriptView(row)
    const workspaceId = this.access.assertParticipant(row.conversationId, job.userId).conversation.workspaceId
    const file = await this.audio.open(job.fileId)
    try {
      const result = await this.provider.transcribe(file.path, { feature: 'Transcription', userId: job.userId, workspaceId, signal })
      return this.#finish(job.messageId, { status: 'done', text: result.text, words: result.words, method: result.method, error: null })
    } finally {
      await file.release()
    }
  }

  /** The last attempt failed: the transcript says so (and why, without content) and members hear of it. */
  markFailed(messageId: string, reason: string): TranscriptView | null {
    const row = this.#row(messageId)
    if (!row || row.status === 'done') return row ? toTranscriptView(row) : null
    return this.#finish(messageId, { status: 'failed', text: '', words: [], method: null, error: reason.slice(0, 500) })
  }

  /** Transcripts matching `q` in conversations the user is in, best first. */
  search(userId: string, q: string, limit = 20): Array<{ transcript: TranscriptView; snippet: string }> {
    const phrase = `"${q.trim().replace(/"/g, '""')}"`
    const rows = this.db.all<Record<string, unknown>>(sql`${SEARCH_SQL}${userId} WHERE message_transcripts_fts MATCH ${phrase} AND t.status = 'done' ORDER BY bm25(message_transcripts_fts) LIMIT ${limit}`)
    return rows.map((r) => ({
      transcript: toTranscriptView({
        messageId: r.message_id as string,
        conversationId: r.conversation_id as string,
        fileId: r.file_id as string,
        status: r.status as TranscriptRow['status'],
        text: r.text as string,
        words: r.words ? (JSON.parse(r.words as string) as TranscriptWord[]) : [],
        method: (r.method as string | null) ?? null,
        error: (r.error as string | null) ?? null,
        requestedBy: null,
        createdAt: new Date(r.created_at as number),
        updatedAt: new Date(r.updated_at as number),
      }),
      snippet: r.snippet as string,
    }))
  }

  #finish(messageId: string, result: Pick<TranscriptRow, 'status' | 'text' | 'words' | 'method' | 'error'>): TranscriptView {
    // Only a row that is not done yet is written: a job run twice (or raced) stores one result.
    const row = this.db.update(messageTranscripts).set({ ...result, updatedAt: new Date() })
      .where(and(eq(messageTranscripts.messageId, messageId), sql`${messageTranscripts.status} != 'done'`)).returning().get()
    const view = toTranscriptView(row ?? this.#row(messageId)!)
    if (row) {
      this.events.toConversation(view.conversationId, { type: 'message.transcribed', transcript: view })
      this.log.info('transcribe() [finished]', { messageId, status: view.status, method: view.method, words: view.words.length })
    }
    return view
  }

  #row(messageId: string): TranscriptRow | undefined {
    return this.db.select().from(messageTranscripts).where(eq(messageTranscripts.messageId, messageId)).get()
  }
}
