import type { NotificationName, RequestData, RequestName, ResponseData, SignalingNotification } from '../../../server/src/contracts/signaling'
import type { ServerEvent } from '../../../server/src/realtime/protocol'
import { onServerEvent, realtime } from '../chat/sync'

const REQUEST_TIMEOUT_MS = 15_000

/** A refused or unanswered signaling request: the media process's or the API's error code. */
export class SignalError extends Error {
  constructor(readonly code: string, message: string, readonly details?: unknown) {
    super(message)
  }
}

type Notification = SignalingNotification
type Handler = (notification: Notification) => void

let nextRequest = 0

/**
 * Typed `call.signal` requests over the app's one socket for one call, answered by
 * `call.signal.response` (matched by requestId), and the call's media notifications.
 */
export class CallSignaling {
  #pending = new Map<string, { resolve(data: unknown): void; reject(error: SignalError): void; timer: ReturnType<typeof setTimeout> }>()
  #handlers = new Set<Handler>()
  #unsubscribe: () => void
  #closed = false

  constructor(readonly callId: string) {
    this.#unsubscribe = onServerEvent((event) => this.#receive(event))
  }

  request<N extends RequestName>(name: N, data: RequestData<N>): Promise<ResponseData<N>> {
    if (this.#closed) return Promise.reject(new SignalError('CLOSED', 'The call is closed'))
    const socket = realtime()
    if (!socket || socket.state() !== 'online') return Promise.reject(new SignalError('DISCONNECTED', 'Not connected'))
    const requestId = `s${++nextRequest}`
    return new Promise<ResponseData<N>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(requestId)
        reject(new SignalError('TIMEOUT', `${name} was not answered in time`))
      }, REQUEST_TIMEOUT_MS)
      this.#pending.set(requestId, { resolve: resolve as (data: unknown) => void, reject, timer })
      socket.notify({ type: 'call.signal', callId: this.callId, requestId, request: { name, data } })
    })
  }

  onNotification(handler: Handler): () => void {
    this.#handlers.add(handler)
    return () => this.#handlers.delete(handler)
  }

  /** Fails every request still waiting (the socket went away: their answers will not come). */
  failPending(code = 'DISCONNECTED'): void {
    for (const [id, waiter] of this.#pending) {
      clearTimeout(waiter.timer)
      waiter.reject(new SignalError(code, 'The connection closed before media answered'))
      this.#pending.delete(id)
    }
  }

  close(): void {
    this.#closed = true
    this.failPending('CLOSED')
    this.#handlers.clear()
    this.#unsubscribe()
  }

  #receive(event: ServerEvent): void {
    if (event.type === 'call.signal.response' && event.callId === this.callId) {
      const waiter = this.#pending.get(event.requestId)
      if (!waiter) return
      this.#pending.delete(event.requestId)
      clearTimeout(waiter.timer)
      if (event.ok) waiter.resolve(event.data)
      else waiter.reject(new SignalError(event.error.code, event.error.message, event.error.details))
      return
    }
    if (event.type === 'call.signal.notification' && event.callId === this.callId) {
      for (const handler of this.#handlers) handler(event.notification)
    }
  }
}

export type { Notification as CallNotification, NotificationName }
