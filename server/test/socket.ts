/** A test WebSocket client that records every event and waits for the ones a test expects. */
export class TestSocket {
  readonly events: any[] = []
  closed: { code: number; reason: string } | null = null
  #waiters: Array<{ match: (event: any) => boolean; resolve: (event: any) => void }> = []
  #closeWaiters: Array<(value: { code: number; reason: string }) => void> = []
  #refs = 0
  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (message) => {
      const event = JSON.parse(String(message.data))
      this.events.push(event)
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.match(event)) return true
        waiter.resolve(event)
        return false
      })
    }
    ws.onclose = (event) => {
      this.closed = { code: event.code, reason: event.reason }
      for (const resolve of this.#closeWaiters) resolve(this.closed)
    }
  }

  static async open(baseUrl: string, token?: string): Promise<TestSocket> {
    const url = baseUrl.replace(/^http/, 'ws') + '/ws' + (token ? `?token=${encodeURIComponent(token)}` : '')
    const ws = new WebSocket(url)
    const socket = new TestSocket(ws)
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve()
      ws.onerror = () => reject(new Error(`could not connect to ${url}`))
    })
    return socket
  }

  /** Opens, authenticates with ?token= and waits for `ready`. */
  static async ready(baseUrl: string, token: string): Promise<TestSocket> {
    const socket = await TestSocket.open(baseUrl, token)
    await socket.next((e) => e.type === 'ready')
    return socket
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame))
  }

  /** Sends a command with a fresh ref and resolves with its ack or error. */
  async command(frame: Record<string, unknown>): Promise<any> {
    const ref = `r${++this.#refs}`
    const reply = this.next((e) => ['ack', 'error', 'pong'].includes(e.type) && e.ref === ref)
    this.send({ ...frame, ref })
    return reply
  }

  /** The first event (already received or still to come) that matches. */
  next(match: (event: any) => boolean, timeoutMs = 10_000): Promise<any> {
    const seen = this.events.find(match)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.events.slice(-5))}`)), timeoutMs)
      this.#waiters.push({ match, resolve: (event) => (clearTimeout(timer), resolve(event)) })
    })
  }

  /** Proves nothing else is in flight for this socket: a ping's pong arrives after everything sent before it. */
  async settle(): Promise<void> {
    await this.command({ type: 'ping' })
  }

  waitClosed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    if (this.closed) return Promise.resolve(this.closed)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs)
      this.#closeWaiters.push((value) => (clearTimeout(timer), resolve(value)))
    })
  }

  close(): void {
    this.ws.close()
  }
}

/** The sockets one test file opens against its server, signed in and ready; `closeAll()` in its afterAll. */
export class SocketPool {
  readonly #open: TestSocket[] = []

  /** `server` is read at connect time, so the pool can be made before the server starts. */
  constructor(private readonly server: () => { url: string }) {}

  async connect(who: { accessToken: string }): Promise<TestSocket> {
    return this.track(await TestSocket.ready(this.server().url, who.accessToken))
  }

  /** Closes a socket opened some other way together with the rest. */
  track(socket: TestSocket): TestSocket {
    this.#open.push(socket)
    return socket
  }

  closeAll(): void {
    for (const socket of this.#open.splice(0)) socket.close()
  }
}
