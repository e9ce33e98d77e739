import { rm } from 'node:fs/promises'
import { and, eq, isNull } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { transaction } from '../../db/client'
import { calls, conversations, files, participants } from '../../db/schema'
import { ConflictError, ForbiddenError, NotFoundError, ServiceUnavailableError } from '../../errors'
import { newId } from '../../lib/crypto'
import { errorFields, type Logger } from '../../logger'
import type { EventSink } from '../../realtime/hub'
import type { MediaNotificationFrame, NotificationData, SignalingRequest } from '../../contracts/signaling'
import type { Storage } from '../../storage/storage'
import type { ConversationAccess } from '../conversations/access'
import type { MessageService } from '../messages/service'
import { MessageAttachments } from '../files/attachments'
import { originalKey } from '../files/service'
import type { TranscriptionDispatcher, TranscriptService } from '../ai/transcripts'
import { MediaRequestError } from './media-client'
import type { CallView } from './model'
import { callViews, type CallRow } from './views'

/** What recording needs from the media link (MediaClient). */
export interface RecordingMediaLink {
  request(roomId: string, peerId: string | undefined, request: SignalingRequest): Promise<unknown>
  onNotification(listener: (frame: MediaNotificationFrame) => void): () => void
}

type Stopped = NotificationData<'recordingStopped'>

const callNotFound = () => new NotFoundError('Call not found', { code: 'CALL_NOT_FOUND' })

/**
 * Opt-in call recording: the caller, the conversation's owner or a workspace admin turns it on or off
 * (`call.updated` with `recording` tells everyone); when media says a recording stopped (stopped, or the
 * call ended), the WebM moves into file storage as a file of the caller, a system message in the
 * conversation carries it, and its transcription is requested as the caller.
 */
export class CallRecordings {
  readonly #attachments = new MessageAttachments()
  readonly #ingesting = new Set<Promise<unknown>>()

  constructor(
    private db: Db,
    private access: ConversationAccess,
    private media: RecordingMediaLink,
    private messages: Pick<MessageService, 'postSystem'>,
    private events: EventSink,
    private storage: Storage,
    private transcripts: Pick<TranscriptService, 'request'>,
    private transcriptions: TranscriptionDispatcher,
    private log: Logger,
  ) {
    media.onNotification((frame) => {
      if (frame.notification.name !== 'recordingStopped') return
      const run = this.#ingest(frame.roomId, frame.notification.data)
        .catch((error) => this.log.error('ingest() [recording not stored]', { roomId: frame.roomId, ...errorFields(error) }))
        .finally(() => this.#ingesting.delete(run))
      this.#ingesting.add(run)
    })
  }

  /** Turns recording on or off; asking for the state media is already in just stores the flag. */
  async set(userId: string, callId: string, on: boolean): Promise<CallView> {
    const call = this.#allowed(userId, callId)
    try {
      if (on) {
        await this.media.request(call.mediaRoomId, undefined, { name: 'createRoom', data: {} })
        await this.media.request(call.mediaRoomId, undefined, { name: 'startRecording', data: {} })
      } else {
        await this.media.request(call.mediaRoomId, undefined, { name: 'stopRecording', data: {} })
      }
    } catch (error) {
      // Media already in the asked-for state (another API instance, or a stop racing the call's end): store the flag.
      const settled = error instanceof MediaRequestError && error.code === (on ? 'RECORDING_ACTIVE' : 'RECORDING_NOT_ACTIVE')
      if (!settled) this.#rethrow(error, on)
    }
    return this.#flag(callId, on) ?? callViews(this.db, [call])[0]!
  }

  /**
   * A call started with `recording: true`: media records from the first producer on (waitForMedia). When media
   * cannot, the flag goes back to false (everyone sees it) and the call goes on unrecorded.
   */
  async startWithCall(call: CallView): Promise<CallView> {
    if (!call.recording) return call
    try {
      await this.media.request(call.roomId, undefined, { name: 'createRoom', data: {} })
      await this.media.request(call.roomId, undefined, { name: 'startRecording', data: { waitForMedia: true } })
      return call
    } catch (error) {
      if (error instanceof MediaRequestError && error.code === 'RECORDING_ACTIVE') return call
      this.log.warn('startWithCall() [recording could not start]', { callId: call.id, ...errorFields(error) })
      return this.#flag(call.id, false) ?? call
    }
  }

  /** Waits for recordings being moved into storage (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#ingesting])
  }

  /** A running call, visible to the user (404 otherwise), that they may record (403 otherwise). */
  #allowed(userId: string, callId: string): CallRow {
    const call = this.db.select().from(calls).where(eq(calls.id, callId)).get()
    if (!call) throw callNotFound()
    const workspaceId = this.db.select({ workspaceId: conversations.workspaceId }).from(conversations).where(eq(conversations.id, call.conversationId)).get()?.workspaceId
    const role = workspaceId ? this.access.workspaceRole(workspaceId, userId) : null
    const admin = role === 'owner' || role === 'admin'
    const member = this.db.select({ role: participants.role }).from(participants).where(and(eq(participants.conversationId, call.conversationId), eq(participants.userId, userId))).get()
    if (!member && !admin) throw callNotFound()
    if (call.startedBy !== userId && member?.role !== 'owner' && !admin) {
      throw new ForbiddenError('Only the caller, the conversation owner or a workspace admin can record this call', { code: 'RECORDING_FORBIDDEN' })
    }
    if (call.endedAt) throw new ConflictError('This call has ended', { code: 'CALL_ENDED' })
    return call
  }

  #rethrow(error: unknown, on: boolean): never {
    if (!(error instanceof MediaRequestError)) throw error
    if (error.code === 'MEDIA_UNAVAILABLE' || error.code === 'TIMEOUT' || error.code === 'NO_WORKER') {
      throw new ServiceUnavailableError('The media server cannot be reached right now; try again shortly', { code: 'MEDIA_UNAVAILABLE', cause: error })
    }
    throw new ConflictError(on ? 'Recording could not start: nobody sends audio or video yet' : 'Recording could not stop', { code: 'RECORDING_FAILED', details: { mediaCode: error.code } })
  }

  /** Stores the flag and tells the conversation; null when the call ended meanwhile. */
  #flag(callId: string, on: boolean): CallView | null {
    return transaction(this.db, (tx, afterCommit) => {
      const row = tx.update(calls).set({ recording: on }).where(and(eq(calls.id, callId), isNull(calls.endedAt))).returning().get()
      if (!row) return null
      const view = callViews(tx, [row])[0]!
      afterCommit(() => this.events.toConversation(row.conversationId, { type: 'call.updated', call: view }))
      return view
    })
  }

  async #ingest(roomId: string, stopped: Stopped): Promise<void> {
    // Rooms are named after their call (CallService.start).
    const call = this.db.select().from(calls).where(eq(calls.id, roomId)).get()
    if (!call || call.mediaRoomId !== roomId) return
    if (!call.endedAt && call.recording) this.#flag(call.id, false)
    if (stopped.reason === 'failed' || stopped.bytes === 0) {
      this.log.warn('ingest() [recording failed, nothing to store]', { callId: call.id, recordingId: stopped.recordingId })
      return
    }
    if (!call.startedBy) {
      this.log.warn('ingest() [caller gone, recording dropped]', { callId: call.id, recordingId: stopped.recordingId })
      return rm(stopped.path, { force: true })
    }
    const ownerId = call.startedBy
    const fileId = newId()
    const mime = call.kind === 'video' ? 'video/webm' : 'audio/webm'
    await this.storage.putFile(originalKey(fileId), stopped.path, mime)
    const message = transaction(this.db, (tx, afterCommit) => {
      const now = new Date()
      tx.insert(files).values({
        id: fileId,
        ownerId,
        name: `call-recording-${call.startedAt.toISOString().slice(0, 16).replace(':', '-')}.webm`,
        mime,
        kind: call.kind === 'video' ? 'video' : 'audio',
        status: 'ready',
        size: stopped.bytes,
        uploadOffset: stopped.bytes,
        storageKey: originalKey(fileId),
        meta: { durationMs: stopped.durationMs },
        createdAt: now,
        completedAt: now,
      }).run()
      const minutes = Math.max(1, Math.round(stopped.durationMs / 60_000))
      const row = this.messages.postSystem(call.conversationId, `A recording of the call is available (${minutes} min).`, { tx, afterCommit })
      this.#attachments.link(tx, row.id, [fileId])
      return row
    })
    await rm(stopped.path, { force: true })
    this.log.info('ingest() [recording stored]', { callId: call.id, fileId, messageId: message.id, bytes: stopped.bytes })
    await this.transcripts.request(ownerId, call.conversationId, message.id, this.transcriptions)
  }
}
