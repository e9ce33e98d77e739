import { and, desc, eq, inArray, isNull, lt, lte, ne } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { transaction } from '../../db/client'
import { callParticipants, calls, conversations, participants, users, type CallEndReason } from '../../db/schema'
import { ConflictError, ForbiddenError, NotFoundError, ServiceUnavailableError } from '../../errors'
import { newId } from '../../lib/crypto'
import type { Logger } from '../../logger'
import type { EventSink } from '../../realtime/hub'
import type { ConversationAccess } from '../conversations/access'
import type { MessageService } from '../messages/service'
import type { NotificationService } from '../notifications/service'
import { announce } from './announce'
import { DEFAULT_CALL_PAGE, type CallView, type HistoryRequest, type StartCallInput } from './model'
import { RingTimers } from './ringing'
import { callViews, durationSeconds, type CallRow } from './views'

type AfterCommit = Parameters<Parameters<typeof transaction>[1]>[1]

/** What the call lifecycle needs from the media link; the relay does the rest. */
export interface MediaLink {
  readonly available: boolean
  /** The call is over: the media process may close its room (best effort). */
  roomEnded(roomId: string): void
  /** A user left: the media process may drop their peer (best effort). */
  peerLeft(roomId: string, peerId: string): void
}

/** Conversations with more participants than this start calls without ringing anyone (people join from the banner). */
export const MAX_RINGED = 50

const callNotFound = () => new NotFoundError('Call not found', { code: 'CALL_NOT_FOUND' })

/**
 * Calls in conversations: start (one running call per conversation), ring, accept/decline, ring
 * timeout → missed call with a notification, join/leave, end for all, history. Every change commits
 * with its system message; realtime events and media clean-up run after the commit.
 */
export class CallService {
  readonly #timers: RingTimers
  readonly #ringTimeoutMs: number

  constructor(
    private db: Db,
    private access: ConversationAccess,
    private messages: Pick<MessageService, 'postSystem'>,
    private notifications: Pick<NotificationService, 'missedCall'>,
    private events: EventSink,
    private media: MediaLink,
    ringTimeoutSeconds: number,
    log: Logger,
  ) {
    this.#ringTimeoutMs = ringTimeoutSeconds * 1000
    this.#timers = new RingTimers(this.#ringTimeoutMs, (callId) => this.expireRinging(callId), log)
  }

  /** At process start: expires ringing a previous process left behind, re-arms the rest, keeps sweeping. */
  resumeRinging(): void {
    this.#timers.start()
    const ringing = this.db.selectDistinct({ callId: callParticipants.callId, invitedAt: callParticipants.invitedAt }).from(callParticipants).where(eq(callParticipants.state, 'ringing')).all()
    for (const row of ringing) if (row.invitedAt) this.#timers.schedule(row.callId, row.invitedAt)
  }

  close(): void {
    this.#timers.close()
  }

  /** Whether a call could start now (the media link is up). */
  get mediaAvailable(): boolean {
    return this.media.available
  }

  /** A second start while a call runs answers 409 CALL_IN_PROGRESS with `details.callId`: join that one. */
  start(userId: string, conversationId: string, input: StartCallInput): CallView {
    const { view, ringed } = transaction(this.db, (tx, afterCommit) => {
      const { conversation } = this.access.assertWritable(conversationId, userId, tx)
      if (conversation.kind === 'lounge') throw new ConflictError('Calls are not available in lounges', { code: 'CALLS_NOT_AVAILABLE' })
      const running = tx.select({ id: calls.id }).from(calls).where(and(eq(calls.conversationId, conversationId), isNull(calls.endedAt))).get()
      if (running) throw new ConflictError('A call is already running in this conversation; join it', { code: 'CALL_IN_PROGRESS', details: { callId: running.id } })
      this.#assertMedia()
      const now = new Date()
      const id = newId()
      const row = tx.insert(calls).values({ id, conversationId, kind: input.kind, startedBy: userId, startedAt: now, recording: input.recording ?? false, mediaRoomId: id }).returning().get()
      const others = tx.select({ userId: participants.userId }).from(participants).where(and(eq(participants.conversationId, conversationId), ne(participants.userId, userId))).all()
      const ringed = others.length <= MAX_RINGED ? others.map((other) => other.userId) : []
      tx.insert(callParticipants).values([
        { callId: id, userId, state: 'joined', joinedAt: now },
        ...ringed.map((other) => ({ callId: id, userId: other, state: 'ringing' as const, invitedAt: now })),
      ]).run()
      this.messages.postSystem(conversationId, announce.started(this.#name(tx, userId), input.kind), { tx, afterCommit })
      const view = callViews(tx, [row], now)[0]!
      const caller = { id: userId, displayName: this.#name(tx, userId) }
      afterCommit(() => {
        this.events.toConversation(conversationId, { type: 'call.started', call: view })
        const summary = { id: conversation.id, kind: conversation.kind, name: conversation.kind === 'dm' ? null : conversation.name }
        for (const other of ringed) this.events.toUser(other, { type: 'call.ringing', call: view, conversation: summary, caller })
      })
      return { view, ringed }
    })
    if (ringed.length > 0) this.#timers.schedule(view.id, new Date(view.startedAt))
    return view
  }

  get(userId: string, callId: string): CallView {
    return callViews(this.db, [this.#visible(this.db, callId, userId)])[0]!
  }

  /** Answers the ring (every device of the user stops ringing); the client then joins with its device. */
  accept(userId: string, callId: string): CallView {
    return this.#change(userId, callId, (tx, call, state) => {
      if (state === 'accepted' || state === 'joined') return false
      if (state !== 'ringing') throw new ConflictError('This call is not ringing for you', { code: 'NOT_RINGING', details: { state } })
      this.#setState(tx, call.id, userId, { state: 'accepted' })
      return true
    })
  }

  decline(userId: string, callId: string): CallView {
    return this.#change(userId, callId, (tx, call, state) => {
      if (state === 'declined') return false
      if (state !== 'ringing' && state !== 'accepted') throw new ConflictError('This call is not ringing for you', { code: 'NOT_RINGING', details: { state } })
      this.#setState(tx, call.id, userId, { state: 'declined' })
      return true
    }, (tx, afterCommit, call) => this.#endIfUnanswered(tx, afterCommit, call))
  }

  /** Any participant of the conversation may join a running call, rung or not. */
  join(userId: string, callId: string): CallView {
    return this.#change(userId, callId, (tx, call, state) => {
      if (state === 'joined') return false
      this.#assertMedia()
      const now = new Date()
      if (state === null) tx.insert(callParticipants).values({ callId: call.id, userId, state: 'joined', joinedAt: now }).run()
      else this.#setState(tx, call.id, userId, { state: 'joined', joinedAt: this.#participant(tx, call.id, userId)?.joinedAt ?? now })
      return true
    })
  }

  /** The last joined participant leaving ends the call. */
  leave(userId: string, callId: string): CallView {
    return this.#change(userId, callId, (tx, call, state) => {
      if (state !== 'joined' && state !== 'accepted') throw new ConflictError('You are not in this call', { code: 'NOT_IN_CALL', details: { state } })
      this.#setState(tx, call.id, userId, { state: 'left', leftAt: new Date() })
      return true
    }, (tx, afterCommit, call) => {
      const stillIn = tx.select({ userId: callParticipants.userId }).from(callParticipants).where(and(eq(callParticipants.callId, call.id), eq(callParticipants.state, 'joined'))).get()
      if (!stillIn) return this.#finish(tx, afterCommit, call, this.#answered(tx, call) ? 'everyone_left' : 'unanswered')
      afterCommit(() => this.media.peerLeft(call.mediaRoomId, userId))
      return false
    })
  }

  /** For everyone: the caller, or an owner/admin of the conversation's workspace; others get 403 CALL_END_FORBIDDEN. */
  end(userId: string, callId: string): CallView {
    return this.#view(transaction(this.db, (tx, afterCommit) => {
      const call = tx.select().from(calls).where(eq(calls.id, callId)).get()
      if (!call) throw callNotFound()
      const workspaceId = tx.select({ workspaceId: conversations.workspaceId }).from(conversations).where(eq(conversations.id, call.conversationId)).get()?.workspaceId
      const role = workspaceId ? this.access.workspaceRole(workspaceId, userId, tx) : null
      const admin = role === 'owner' || role === 'admin'
      const participant = tx.select({ userId: participants.userId }).from(participants).where(and(eq(participants.conversationId, call.conversationId), eq(participants.userId, userId))).get()
      if (!participant && !admin) throw callNotFound()
      if (call.startedBy !== userId && !admin) throw new ForbiddenError('Only the caller or a workspace admin can end this call for everyone', { code: 'CALL_END_FORBIDDEN' })
      if (call.endedAt) throw new ConflictError('This call has already ended', { code: 'CALL_ENDED' })
      this.#finish(tx, afterCommit, call, 'ended')
      return this.#row(tx, callId)
    }))
  }

  /** Ringing past the timeout becomes missed (with a notification); a call nobody answered then ends. */
  expireRinging(callId: string | null): void {
    const cutoff = new Date(Date.now() - this.#ringTimeoutMs)
    const due = and(eq(callParticipants.state, 'ringing'), lte(callParticipants.invitedAt, cutoff), callId ? eq(callParticipants.callId, callId) : undefined)
    // The sweep runs on every instance: a plain read first, so an idle one never takes the write lock.
    if (!this.db.select({ callId: callParticipants.callId }).from(callParticipants).where(due).limit(1).get()) return
    transaction(this.db, (tx, afterCommit) => {
      const expired = tx.update(callParticipants).set({ state: 'missed' }).where(due).returning().all()
      const touched = [...new Set(expired.map((row) => row.callId))]
      for (const id of touched) {
        const call = this.#row(tx, id)
        for (const row of expired.filter((r) => r.callId === id)) this.#missed(tx, afterCommit, call, row.userId)
        if (!call.endedAt && !this.#endIfUnanswered(tx, afterCommit, call)) this.#announceUpdate(tx, afterCommit, call)
      }
    })
  }

  /** The conversation's calls, newest first (participants of the conversation). */
  historyForConversation(userId: string, conversationId: string, request: HistoryRequest): { calls: CallView[]; hasMore: boolean } {
    this.access.assertParticipant(conversationId, userId)
    return this.#page(eq(calls.conversationId, conversationId), request)
  }

  /** Calls the user was rung for or joined, in conversations they are still in, newest first. */
  historyForUser(userId: string, request: HistoryRequest): { calls: CallView[]; hasMore: boolean } {
    const mine = this.db.select({ id: callParticipants.callId }).from(callParticipants).where(eq(callParticipants.userId, userId))
    const visible = this.db.select({ id: participants.conversationId }).from(participants).where(eq(participants.userId, userId))
    return this.#page(and(inArray(calls.id, mine), inArray(calls.conversationId, visible))!, request)
  }

  /** For the signaling relay: the running call the user has joined; typed errors otherwise. */
  assertJoined(userId: string, callId: string): CallRow {
    const call = this.#visible(this.db, callId, userId)
    if (call.endedAt) throw new ConflictError('This call has ended', { code: 'CALL_ENDED' })
    const state = this.#participant(this.db, callId, userId)?.state
    if (state !== 'joined') throw new ForbiddenError('Join the call before signaling', { code: 'NOT_IN_CALL', details: { state: state ?? null } })
    return call
  }

  #page(scope: ReturnType<typeof eq>, request: HistoryRequest) {
    const limit = request.limit ?? DEFAULT_CALL_PAGE
    const rows = this.db.select().from(calls).where(and(scope, request.before ? lt(calls.id, request.before) : undefined)).orderBy(desc(calls.id)).limit(limit + 1).all()
    return { calls: callViews(this.db, rows.slice(0, limit)), hasMore: rows.length > limit }
  }

  /** Runs a participant change on a running call; `after` may end the call (returns true when it did). */
  #change(
    userId: string,
    callId: string,
    apply: (tx: Tx, call: CallRow, state: CallParticipantState | null) => boolean,
    after?: (tx: Tx, afterCommit: AfterCommit, call: CallRow) => boolean,
  ): CallView {
    return this.#view(transaction(this.db, (tx, afterCommit) => {
      const call = this.#visible(tx, callId, userId)
      if (call.endedAt) throw new ConflictError('This call has ended', { code: 'CALL_ENDED' })
      if (!apply(tx, call, this.#participant(tx, callId, userId)?.state ?? null)) return call
      if (!after?.(tx, afterCommit, call)) this.#announceUpdate(tx, afterCommit, call)
      return this.#row(tx, callId)
    }))
  }

  /** Nobody but the caller ever joined and nobody is still ringing or about to join: the call ends. */
  #endIfUnanswered(tx: Tx, afterCommit: AfterCommit, call: CallRow): boolean {
    const others = tx.select().from(callParticipants).where(and(eq(callParticipants.callId, call.id), call.startedBy ? ne(callParticipants.userId, call.startedBy) : undefined)).all()
    if (others.length === 0 || others.some((p) => p.joinedAt || p.state === 'ringing' || p.state === 'accepted')) return false
    this.#finish(tx, afterCommit, call, others.every((p) => p.state === 'declined') ? 'declined' : 'unanswered')
    return true
  }

  #finish(tx: Tx, afterCommit: AfterCommit, call: CallRow, reason: CallEndReason): true {
    const now = new Date()
    const rung = tx.update(callParticipants).set({ state: 'missed' }).where(and(eq(callParticipants.callId, call.id), eq(callParticipants.state, 'ringing'))).returning().all()
    for (const row of rung) this.#missed(tx, afterCommit, call, row.userId)
    tx.update(callParticipants).set({ state: 'left', leftAt: now }).where(and(eq(callParticipants.callId, call.id), inArray(callParticipants.state, ['joined', 'accepted']))).run()
    const ended = tx.update(calls).set({ endedAt: now, endedReason: reason }).where(eq(calls.id, call.id)).returning().get()!
    const people = tx.select().from(callParticipants).where(eq(callParticipants.callId, call.id)).all()
    const joined = people.filter((p) => p.joinedAt).map((p) => this.#name(tx, p.userId))
    const caller = call.startedBy ? this.#name(tx, call.startedBy) : 'Someone'
    this.messages.postSystem(call.conversationId, announce.ended(call.kind, reason, caller, durationSeconds(ended, people, now), joined), { tx, afterCommit })
    const view = callViews(tx, [ended], now)[0]!
    afterCommit(() => {
      this.#timers.cancel(call.id)
      this.events.toConversation(call.conversationId, { type: 'call.ended', call: view })
      this.media.roomEnded(call.mediaRoomId)
    })
    return true
  }

  #missed(tx: Tx, afterCommit: AfterCommit, call: CallRow, userId: string): void {
    this.notifications.missedCall(tx, afterCommit, { userId, callId: call.id, callKind: call.kind, conversationId: call.conversationId, callerId: call.startedBy })
  }

  #announceUpdate(tx: Tx, afterCommit: AfterCommit, call: CallRow): void {
    const view = callViews(tx, [this.#row(tx, call.id)])[0]!
    afterCommit(() => this.events.toConversation(call.conversationId, { type: 'call.updated', call: view }))
  }

  #answered(tx: Tx, call: CallRow): boolean {
    return tx.select().from(callParticipants).where(eq(callParticipants.callId, call.id)).all().some((p) => p.userId !== call.startedBy && p.joinedAt)
  }

  /** The call, when the user is a participant of its conversation; 404 otherwise (ids do not leak). */
  #visible(tx: Db | Tx, callId: string, userId: string): CallRow {
    const call = tx.select().from(calls).where(eq(calls.id, callId)).get()
    if (!call) throw callNotFound()
    try {
      this.access.assertParticipant(call.conversationId, userId, tx)
    } catch {
      throw callNotFound()
    }
    return call
  }

  #assertMedia(): void {
    if (!this.media.available) throw new ServiceUnavailableError('Calls are unavailable: the media server cannot be reached right now. Chat keeps working; try again shortly.', { code: 'MEDIA_UNAVAILABLE' })
  }

  #row(tx: Db | Tx, callId: string): CallRow {
    const row = tx.select().from(calls).where(eq(calls.id, callId)).get()
    if (!row) throw callNotFound()
    return row
  }

  #participant(tx: Db | Tx, callId: string, userId: string) {
    return tx.select().from(callParticipants).where(and(eq(callParticipants.callId, callId), eq(callParticipants.userId, userId))).get()
  }

  #setState(tx: Tx, callId: string, userId: string, changes: Partial<typeof callParticipants.$inferInsert>): void {
    tx.update(callParticipants).set(changes).where(and(eq(callParticipants.callId, callId), eq(callParticipants.userId, userId))).run()
  }

  #name(tx: Db | Tx, userId: string): string {
    return tx.select({ displayName: users.displayName }).from(users).where(eq(users.id, userId)).get()?.displayName ?? 'Someone'
  }

  #view(row: CallRow): CallView {
    return callViews(this.db, [row])[0]!
  }
}

type CallParticipantState = typeof callParticipants.$inferSelect.state
