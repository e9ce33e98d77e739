import { createSignal } from 'solid-js'
import { createStore, produce } from 'solid-js/store'
import type { CallView } from '../../../server/src/features/calls/model'
import type { ServerEvent } from '../../../server/src/realtime/protocol'
import { api, call } from '../api/client'
import { onServerEvent } from '../chat/sync'
// The session (mediasoup-client, ~40 KB gzipped) loads only when a call starts.
import type { CallSession, CallTarget } from './session'

export type { CallView }
type Ringing = Extract<ServerEvent, { type: 'call.ringing' }>

/** What the pre-join screen prepares: a new call in a conversation, or joining a running one. */
export interface PreJoin {
  conversationId: string
  kind: 'audio' | 'video'
  callId: string | null
}

const RESUME_KEY = 'parley:call'
/** Fallback when the server's ring timeout event is missed (offline): a prompt never rings forever. */
const RING_FALLBACK_MS = 60_000

const [current, setCurrent] = createSignal<CallSession | null>(null)
const [prejoin, setPrejoin] = createSignal<PreJoin | null>(null)
const [minimized, setMinimized] = createSignal(false)
const [incoming, setIncoming] = createStore<Ringing[]>([])
/** conversationId → its running call (from call.* events and conversation opens). */
const [running, setRunning] = createStore<Record<string, CallView>>({})

export { current as currentCall, prejoin, setPrejoin, minimized, setMinimized, incoming, running as runningCalls }

let me = ''
let installed: (() => void) | null = null

/** Follows call events for the signed-in user; resumes a call this tab was in before a reload. */
export function installCalls(userId: string): () => void {
  installed?.()
  me = userId
  const unsubscribe = onServerEvent(callEvent)
  const ringTimers = setInterval(() => setIncoming((list) => list.filter((r) => Date.parse(r.call.participants.find((p) => p.userId === me)?.invitedAt ?? r.call.startedAt) + RING_FALLBACK_MS > Date.now())), 5000)
  installed = () => {
    unsubscribe()
    clearInterval(ringTimers)
    current()?.close()
    setCurrent(null)
    setIncoming([])
    installed = null
  }
  void resumeAfterReload()
  return installed
}

function callEvent(event: ServerEvent): void {
  switch (event.type) {
    case 'call.ringing':
      if (!incoming.some((r) => r.call.id === event.call.id) && current()?.target.callId !== event.call.id) setIncoming(incoming.length, event)
      return
    case 'call.started':
    case 'call.updated':
      setRunning(event.call.conversationId, event.call)
      // Answered, declined or missed on any of my devices: this one stops ringing.
      if (event.call.participants.find((p) => p.userId === me)?.state !== 'ringing') dropIncoming(event.call.id)
      return
    case 'call.ended':
      setRunning(produce((calls) => void delete calls[event.call.conversationId]))
      dropIncoming(event.call.id)
      if (current()?.target.callId === event.call.id) finish()
      if (prejoin()?.callId === event.call.id) setPrejoin(null)
      return
  }
}

function dropIncoming(callId: string): void {
  setIncoming((list) => list.filter((r) => r.call.id !== callId))
}

/** The running call of a conversation, asked from the server (the socket only tells what happens from now on). */
export async function loadRunningCall(conversationId: string): Promise<void> {
  try {
    const page = await call(() => api.conversations({ id: conversationId }).calls.get({ query: { limit: 1 } }))
    const latest = page.calls[0]
    if (latest?.active) setRunning(conversationId, latest)
    else setRunning(produce((calls) => void delete calls[conversationId]))
  } catch {
    // @NOTE: offline: the banner appears with the next call event.
  }
}

/** Pre-join → in call: starts a new call (POST …/calls) or joins the running one, then connects media. */
export async function enterCall(options: PreJoin & { mic: boolean; camera: boolean }): Promise<void> {
  let callId = options.callId ?? running[options.conversationId]?.id ?? null
  if (!callId) {
    try {
      const started = await call(() => api.conversations({ id: options.conversationId }).calls.post({ kind: options.kind }))
      setRunning(options.conversationId, started)
      callId = started.id
    } catch (error) {
      const details = (error as { code?: string; details?: { callId?: string } }).details
      if ((error as { code?: string }).code !== 'CALL_IN_PROGRESS' || !details?.callId) throw error
      callId = details.callId
    }
  }
  await call(() => api.calls({ id: callId! }).join.post())
  void openSession({ callId, conversationId: options.conversationId, kind: options.kind }, options)
}

/** Accepting a ring joins straight away with the call's kind (camera on for video calls). */
export async function acceptIncoming(ringing: Ringing): Promise<void> {
  dropIncoming(ringing.call.id)
  // One call at a time: answering another one leaves the current call first.
  if (current()) await leaveCall()
  await call(() => api.calls({ id: ringing.call.id }).accept.post()).catch(() => undefined) // @NOTE: join below still works when the ring already expired.
  await call(() => api.calls({ id: ringing.call.id }).join.post())
  const kind = ringing.call.kind
  void openSession({ callId: ringing.call.id, conversationId: ringing.call.conversationId, kind }, { mic: true, camera: kind === 'video' })
}

export async function declineIncoming(ringing: Ringing): Promise<void> {
  dropIncoming(ringing.call.id)
  await call(() => api.calls({ id: ringing.call.id }).decline.post()).catch(() => undefined) // @NOTE: already over or answered elsewhere: nothing left to decline.
}

/** Turns recording of the running call on or off (the caller, the conversation owner or a workspace admin). */
export async function setCallRecording(callId: string, on: boolean): Promise<void> {
  const view = await call(() => api.calls({ id: callId }).recording.post({ on }))
  setRunning(view.conversationId, view)
}

async function openSession(target: CallTarget, devices: { mic: boolean; camera: boolean }): Promise<void> {
  current()?.close()
  setPrejoin(null)
  setMinimized(false)
  const { CallSession } = await import('./session')
  const session = new CallSession(target, me, devices)
  setCurrent(session)
  // Diagnostics and the browser tests: per-consumer inbound stats (not the recv transport's probator).
  Object.assign(window, { parleyCall: session })
  sessionStorage.setItem(RESUME_KEY, JSON.stringify({ ...target, ...devices }))
  void session.start().then(() => {
    if (session.status() === 'ended' && current() === session) finish()
  })
}

export async function leaveCall(endForAll = false): Promise<void> {
  const session = current()
  if (!session) return
  await session.leave(endForAll)
  finish()
}

function finish(): void {
  current()?.close()
  setCurrent(null)
  setMinimized(false)
  Object.assign(window, { parleyCall: null })
  sessionStorage.removeItem(RESUME_KEY)
}

// sessionStorage is per tab: a reload rejoins, another tab does not.
async function resumeAfterReload(): Promise<void> {
  const saved = sessionStorage.getItem(RESUME_KEY)
  if (!saved || current()) return
  try {
    const target = JSON.parse(saved) as CallTarget & { mic: boolean; camera: boolean }
    const view = await call(() => api.calls({ id: target.callId }).get())
    if (!view.active) return void sessionStorage.removeItem(RESUME_KEY)
    void openSession(target, { mic: target.mic, camera: target.camera })
  } catch (error) {
    if ((error as { status?: number }).status !== 0) sessionStorage.removeItem(RESUME_KEY)
  }
}
