/**
 * A small OpenAI-compatible HTTP server for tests: it checks request shapes (a bad request is a
 * 400 and is recorded in `problems`), streams SSE chunks for `stream: true`, and can be told to
 * answer the next calls with an error status, invalid JSON or a delay.
 */

export interface ChatBody {
  model: string
  messages: Array<{ role: string; content: string }>
  stream?: boolean
  stream_options?: { include_usage?: boolean }
  response_format?: { type: string }
  max_tokens?: number
}

/** What the next call gets: a reply text, an error status, or a delay before answering. */
export type Scripted = { text: string } | { status: number; retryAfter?: number } | { delayMs: number; text?: string }

export interface RecordedRequest {
  path: string
  authorization: string | null
  body: unknown
  /** The caller hung up before the answer was sent. */
  aborted?: boolean
}

export interface FakeOpenAI {
  /** `http://127.0.0.1:<port>/v1`, for OPENAI_BASE_URL. */
  baseUrl: string
  requests: RecordedRequest[]
  /** Requests that broke the API's shape; a test asserts it stays empty. */
  problems: string[]
  /** Queues answers for the next chat calls, in order; afterwards `reply` answers. */
  script(...answers: Scripted[]): void
  /** The default chat answer when nothing is scripted. */
  reply: (body: ChatBody) => string
  transcript: string
  stop(): void
}

const encoder = new TextEncoder()

function sse(data: unknown): Uint8Array {
  return encoder.encode(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`)
}

/** A tiny valid WAV of silence: what /v1/audio/speech answers. */
export function silentWav(ms = 100): Uint8Array<ArrayBuffer> {
  const samples = Math.round(16 * ms)
  const buffer = new ArrayBuffer(44 + samples * 2)
  const view = new DataView(buffer)
  const text = (offset: number, s: string) => [...s].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)))
  text(0, 'RIFF'); view.setUint32(4, 36 + samples * 2, true); text(8, 'WAVE'); text(12, 'fmt ')
  view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true); view.setUint32(24, 16000, true)
  view.setUint32(28, 32000, true); view.setUint16(32, 2, true); view.setUint16(34, 16, true); text(36, 'data'); view.setUint32(40, samples * 2, true)
  return new Uint8Array(buffer)
}

function chatProblems(body: any): string[] {
  const problems: string[] = []
  if (typeof body?.model !== 'string' || !body.model) problems.push('chat: model missing')
  if (!Array.isArray(body?.messages) || body.messages.length === 0) problems.push('chat: messages missing')
  else if (!body.messages.every((m: any) => ['system', 'user', 'assistant'].includes(m?.role) && typeof m?.content === 'string')) problems.push('chat: a message has a bad role or content')
  if (body?.stream_options && body.stream !== true) problems.push('chat: stream_options without stream')
  if (body?.response_format && body.response_format.type === 'json_object' && !body.messages.some((m: any) => /json/i.test(m.content))) problems.push('chat: json_object without the word JSON in the messages')
  return problems
}

export function startFakeOpenAI(): FakeOpenAI {
  const queue: Scripted[] = []
  const fake: FakeOpenAI = {
    baseUrl: '',
    requests: [],
    problems: [],
    script: (...answers) => void queue.push(...answers),
    reply: () => 'Sounds good.',
    transcript: 'hello from the provider',
    stop: () => server.stop(true),
  }

  async function chat(request: Request): Promise<Response> {
    const body = (await request.json()) as ChatBody
    const recorded: RecordedRequest = { path: '/v1/chat/completions', authorization: request.headers.get('authorization'), body }
    request.signal.addEventListener('abort', () => (recorded.aborted = true), { once: true })
    fake.requests.push(recorded)
    const problems = chatProblems(body)
    if (problems.length) {
      fake.problems.push(...problems)
      return Response.json({ error: { message: problems.join('; '), type: 'invalid_request_error' } }, { status: 400 })
    }
    const next = queue.shift()
    if (next && 'status' in next) {
      const headers: Record<string, string> = next.retryAfter === undefined ? {} : { 'retry-after': String(next.retryAfter) }
      return Response.json({ error: { message: `scripted ${next.status}`, type: 'server_error' } }, { status: next.status, headers })
    }
    if (next && 'delayMs' in next) await Bun.sleep(next.delayMs)
    const text = next && 'text' in next && next.text !== undefined ? next.text : fake.reply(body)
    const usage = { prompt_tokens: body.messages.reduce((n, m) => n + m.content.split(/\s+/).length, 0), completion_tokens: text.split(/\s+/).length }
    const base = { id: `chatcmpl-${crypto.randomUUID()}`, created: Math.floor(Date.now() / 1000), model: body.model }
    if (!body.stream) {
      return Response.json({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } })
    }
    // Word by word, then a usage chunk when asked for, then [DONE].
    const pieces = text.match(/\S+\s*/g) ?? ['']
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(sse({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }))
        for (const piece of pieces) {
          controller.enqueue(sse({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] }))
          await Bun.sleep(1)
        }
        controller.enqueue(sse({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }))
        if (body.stream_options?.include_usage) controller.enqueue(sse({ ...base, object: 'chat.completion.chunk', choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } }))
        controller.enqueue(sse('[DONE]'))
        controller.close()
      },
    })
    return new Response(stream, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } })
  }

  async function transcription(request: Request): Promise<Response> {
    const form = await request.formData()
    const file = form.get('file')
    const model = form.get('model')
    fake.requests.push({ path: '/v1/audio/transcriptions', authorization: request.headers.get('authorization'), body: { model, size: file instanceof Blob ? file.size : null, response_format: form.get('response_format') } })
    const problems = [...(file instanceof Blob && file.size > 0 ? [] : ['transcription: file missing']), ...(typeof model === 'string' && model ? [] : ['transcription: model missing'])]
    if (problems.length) {
      fake.problems.push(...problems)
      return Response.json({ error: { message: problems.join('; ') } }, { status: 400 })
    }
    const words = fake.transcript.split(' ').map((word, i) => ({ word, start: i * 0.5, end: i * 0.5 + 0.4 }))
    if (form.get('response_format') === 'verbose_json') return Response.json({ task: 'transcribe', language: 'english', duration: words.length * 0.5, text: fake.transcript, words })
    return Response.json({ text: fake.transcript })
  }

  async function speech(request: Request): Promise<Response> {
    const body = (await request.json()) as { model?: string; input?: string; voice?: string }
    fake.requests.push({ path: '/v1/audio/speech', authorization: request.headers.get('authorization'), body })
    if (!body.model || !body.input || !body.voice) {
      fake.problems.push('speech: model, input and voice are required')
      return Response.json({ error: { message: 'model, input and voice are required' } }, { status: 400 })
    }
    return new Response(silentWav(), { headers: { 'content-type': 'audio/wav' } })
  }

  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const { pathname } = new URL(request.url)
      if (request.method === 'POST' && pathname === '/v1/chat/completions') return chat(request)
      if (request.method === 'POST' && pathname === '/v1/audio/transcriptions') return transcription(request)
      if (request.method === 'POST' && pathname === '/v1/audio/speech') return speech(request)
      fake.problems.push(`unexpected ${request.method} ${pathname}`)
      return Response.json({ error: { message: 'not found' } }, { status: 404 })
    },
  })
  fake.baseUrl = `http://127.0.0.1:${server.port}/v1`
  return fake
}
