import type { Logger } from '../../logger'
import { errorFields } from '../../logger'

/**
 * In-process ring timeouts: one timer per ringing call, plus a periodic sweep. The database is the
 * truth (ringing rows with their invitedAt), so a restart or a crashed instance loses nothing: the
 * sweep at start and every interval expires whatever a lost timer would have.
 */
export class RingTimers {
  #timers = new Map<string, ReturnType<typeof setTimeout>>()
  #sweeper: ReturnType<typeof setInterval> | null = null
  #closed = false

  constructor(private timeoutMs: number, private expire: (callId: string | null) => void, private log: Logger) {}

  /** Sweeps once now, then every timeout (at least every 5 s, at most every minute). */
  start(): void {
    this.#run(null)
    this.#sweeper = setInterval(() => this.#run(null), Math.min(60_000, Math.max(5_000, this.timeoutMs)))
    this.#sweeper.unref?.()
  }

  /** Expires the ringing of `callId` once `invitedAt` + the ring timeout has passed. */
  schedule(callId: string, invitedAt: Date): void {
    if (this.#closed) return
    this.cancel(callId)
    // A few ms of slack, so the timer never fires before the rows count as expired.
    const delay = Math.max(0, invitedAt.getTime() + this.timeoutMs - Date.now()) + 5
    const timer = setTimeout(() => {
      this.#timers.delete(callId)
      this.#run(callId)
    }, delay)
    timer.unref?.()
    this.#timers.set(callId, timer)
  }

  cancel(callId: string): void {
    const timer = this.#timers.get(callId)
    if (timer) clearTimeout(timer)
    this.#timers.delete(callId)
  }

  close(): void {
    this.#closed = true
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
    if (this.#sweeper) clearInterval(this.#sweeper)
  }

  #run(callId: string | null): void {
    if (this.#closed) return
    try {
      this.expire(callId)
    } catch (error) {
      this.log.error('ringTimers() [expire failed]', { callId, ...errorFields(error) })
    }
  }
}
