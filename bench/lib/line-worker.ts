import { startPiped, type Piped } from './processes'

/**
 * A benchmark helper process spoken to in JSON lines: one command at a time on stdin, one reply
 * line back on stdout. Lines with an `event` field are announcements and resolve `waitFor` instead.
 */
export class LineWorker {
  readonly process: Piped
  #pending: Array<(line: Record<string, unknown>) => void> = []
  #events: Array<Record<string, unknown>> = []
  #eventWaiters: Array<{ name: string; resolve: (line: Record<string, unknown>) => void }> = []

  constructor(cmd: string[], options: { env?: Record<string, string>; cwd?: string }) {
    this.process = startPiped(cmd, options)
    void this.#read()
  }

  async #read(): Promise<void> {
    const decoder = new TextDecoder()
    let buffer = ''
    for await (const chunk of this.process.child.stdout) {
      buffer += decoder.decode(chunk, { stream: true })
      let newline: number
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, newline)
        buffer = buffer.slice(newline + 1)
        if (!text.startsWith('{')) continue
        const line = JSON.parse(text) as Record<string, unknown>
        if (typeof line.event === 'string') {
          const waiter = this.#eventWaiters.find((w) => w.name === line.event)
          if (waiter) {
            this.#eventWaiters.splice(this.#eventWaiters.indexOf(waiter), 1)
            waiter.resolve(line)
          } else this.#events.push(line)
        } else this.#pending.shift()?.(line)
      }
    }
  }

  /** Sends a command and resolves with its reply; fails if the worker exits or stays silent for `timeoutMs`. */
  request<T = Record<string, unknown>>(command: Record<string, unknown>, timeoutMs = 30_000): Promise<T> {
    return this.#withDeadline(`reply to ${String(command.cmd)}`, timeoutMs, (resolve) => {
      this.#pending.push(resolve)
      this.process.child.stdin.write(`${JSON.stringify(command)}\n`)
      this.process.child.stdin.flush()
    }) as Promise<T>
  }

  /** The next `{ event: name }` line (or one already received). */
  waitFor<T = Record<string, unknown>>(name: string, timeoutMs: number): Promise<T> {
    const seen = this.#events.findIndex((e) => e.event === name)
    if (seen >= 0) return Promise.resolve(this.#events.splice(seen, 1)[0] as T)
    return this.#withDeadline(`event ${name}`, timeoutMs, (resolve) => this.#eventWaiters.push({ name, resolve })) as Promise<T>
  }

  #withDeadline(what: string, timeoutMs: number, start: (resolve: (line: Record<string, unknown>) => void) => void): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker gave no ${what} within ${timeoutMs} ms: ${this.process.stderrTail()}`)), timeoutMs)
      void this.process.child.exited.then((code) => {
        clearTimeout(timer)
        reject(new Error(`worker exited (code ${code}) before ${what}: ${this.process.stderrTail()}`))
      })
      start((line) => {
        clearTimeout(timer)
        resolve(line)
      })
    })
  }
}
