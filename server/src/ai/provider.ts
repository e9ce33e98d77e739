import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai'
import type { Static, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { AiConfig } from '../config'
import type { AiCapability } from '../db/schema'
import type { Logger } from '../logger'
import { AiCancelledError, AiProviderError, AiProviderNotConfiguredError, AiTimeoutError } from './errors'
import { transcribeOffline, type Transcription } from './offline-stt'
import { CONTENT_TYPES, synthesizeOffline, type Speech, type SpeechFormat } from './offline-tts'
import type { UsageLedger, UsageOwner } from './usage'

export type { Transcription } from './offline-stt'
export type { Speech, SpeechFormat } from './offline-tts'

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

export interface ChatRequest {
  messages: ChatMessage[]
  maxTokens?: number
  temperature?: number
}

/** Every call names its feature (for logs and errors) and its owner (for quotas); a signal ends it early. */
export interface CallOptions extends UsageOwner {
  feature: string
  signal?: AbortSignal
}

export interface TokenUsage {
  inputTokens: number
  outputTokens: number
}

export interface ChatResult {
  text: string
  model: string
  usage: TokenUsage
}

const MAX_RETRY_DELAY_MS = 30_000

/** Servers that report no usage are still metered: about four characters a token. */
const estimateTokens = (text: string) => Math.ceil(text.length / 4)

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const unfenced = text.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, '$1')
  try {
    return { ok: true, value: JSON.parse(unfenced) }
  } catch {
    return { ok: false }
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AiCancelledError('The request was cancelled'))
    const timer = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms)
    const onAbort = () => (clearTimeout(timer), reject(new AiCancelledError('The request was cancelled')))
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * The one module every AI feature calls: chat (plain and streamed), structured output, speech-to-text
 * and text-to-speech against any OpenAI-compatible server, with timeouts, retries on 429/5xx,
 * cancellation, daily quotas and a usage ledger. Without a provider, speech runs on pocketsphinx and
 * Festival; LLM calls throw 503 AI_PROVIDER_NOT_CONFIGURED. Logs carry ids and counts, never content.
 */
export class AiProvider {
  readonly #client: OpenAI | null

  constructor(private config: AiConfig, private ledger: UsageLedger, private log: Logger) {
    this.#client = config.configured
      ? new OpenAI({ baseURL: config.baseUrl ?? undefined, apiKey: config.apiKey ?? 'unused', maxRetries: 0, timeout: config.timeoutMs })
      : null
  }

  /** An LLM is available (speech always is, offline). */
  get configured(): boolean {
    return this.#client !== null
  }

  async chat(request: ChatRequest, options: CallOptions): Promise<ChatResult> {
    return this.#complete('chat', request, options, false)
  }

  /** Yields text deltas as they arrive; the generator's return value is the whole result. */
  async *chatStream(request: ChatRequest, options: CallOptions): AsyncGenerator<string, ChatResult> {
    const client = this.#require(options)
    const started = performance.now()
    const model = this.config.models.chat
    const stream = await this.#withRetries(options, (signal) =>
      client.chat.completions.create({ model, messages: request.messages, max_tokens: request.maxTokens, temperature: request.temperature, stream: true, stream_options: { include_usage: true } }, { signal }),
    )
    let text = ''
    let usage: TokenUsage | null = null
    try {
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta?.content
        if (delta) {
          text += delta
          yield delta
        }
        if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens }
      }
    } catch (error) {
      throw this.#failure(error, options)
    }
    usage ??= { inputTokens: estimateTokens(request.messages.map((m) => m.content).join('\n')), outputTokens: estimateTokens(text) }
    this.#record('chat', model, options, usage, started)
    return { text, model, usage }
  }

  /**
   * JSON validated against `schema`; an invalid reply is answered once with what was wrong, a second
   * invalid reply is 502 AI_INVALID_OUTPUT.
   */
  async structured<T extends TSchema>(request: ChatRequest, schema: T, options: CallOptions): Promise<{ value: Static<T>; usage: TokenUsage }> {
    const messages: ChatMessage[] = [
      { role: 'system', content: `Answer with only a JSON object (no prose, no code fence) that matches this JSON Schema: ${JSON.stringify(schema)}` },
      ...request.messages,
    ]
    const usage: TokenUsage = { inputTokens: 0, outputTokens: 0 }
    for (let attempt = 1; attempt <= 2; attempt++) {
      const result = await this.#complete('structured', { ...request, messages }, options, true)
      usage.inputTokens += result.usage.inputTokens
      usage.outputTokens += result.usage.outputTokens
      const parsed = parseJson(result.text)
      if (parsed.ok && Value.Check(schema, parsed.value)) return { value: parsed.value as Static<T>, usage }
      const issue = parsed.ok ? Value.Errors(schema, parsed.value).First() : undefined
      const problem = parsed.ok ? `${issue?.path || '/'}: ${issue?.message ?? 'does not match the schema'}` : 'not valid JSON'
      // The schema path and rule only: the reply itself is user content.
      this.log.warn('structured() [invalid output]', { feature: options.feature, attempt, problem })
      messages.push({ role: 'assistant', content: result.text }, { role: 'user', content: `That reply was invalid (${problem}). Answer again with only the JSON object.` })
    }
    throw new AiProviderError('The AI provider did not return valid structured output; try again', { code: 'AI_INVALID_OUTPUT' })
  }

  /** Speech-to-text of an audio file: the provider when configured (and AI_OFFLINE_SPEECH is off), else pocketsphinx. */
  async transcribe(path: string, options: CallOptions & { language?: string }): Promise<Transcription> {
    const started = performance.now()
    if (!this.#client || this.config.offlineSpeech) {
      const result = await transcribeOffline(path, options.signal)
      this.#record('transcription', result.method, options, { inputTokens: 0, outputTokens: 0 }, started)
      return result
    }
    const client = this.#client
    const model = this.config.models.transcription
    this.ledger.assertWithinQuota(options)
    const response = await this.#withRetries(options, (signal) =>
      client.audio.transcriptions.create({ file: Bun.file(path), model, language: options.language, response_format: 'verbose_json', timestamp_granularities: ['word'] }, { signal }),
    )
    const words = (response.words ?? []).map((w) => ({ word: w.word, startMs: Math.round(w.start * 1000), endMs: Math.round(w.end * 1000) }))
    this.#record('transcription', model, options, { inputTokens: 0, outputTokens: estimateTokens(response.text) }, started)
    return { text: response.text.trim(), words, durationMs: Math.round((response.duration ?? 0) * 1000), method: model }
  }

  /** Text-to-speech: the provider when configured (and AI_OFFLINE_SPEECH is off), else Festival's HTS voice. */
  async speak(text: string, options: CallOptions & { format?: SpeechFormat }): Promise<Speech> {
    const started = performance.now()
    const format = options.format ?? 'wav'
    if (!this.#client || this.config.offlineSpeech) {
      const speech = await synthesizeOffline(text, format, options.signal)
      this.#record('speech', speech.method, options, { inputTokens: 0, outputTokens: 0 }, started)
      return speech
    }
    const client = this.#client
    const model = this.config.models.speech
    this.ledger.assertWithinQuota(options)
    const response = await this.#withRetries(options, (signal) =>
      client.audio.speech.create({ model, voice: this.config.models.voice, input: text, response_format: format }, { signal }),
    )
    const audio = new Uint8Array(await response.arrayBuffer())
    this.#record('speech', model, options, { inputTokens: estimateTokens(text), outputTokens: 0 }, started)
    return { audio, contentType: CONTENT_TYPES[format], method: model }
  }

  async #complete(capability: AiCapability, request: ChatRequest, options: CallOptions, json: boolean): Promise<ChatResult> {
    const client = this.#require(options)
    const started = performance.now()
    const model = this.config.models.chat
    const completion = await this.#withRetries(options, (signal) =>
      client.chat.completions.create(
        { model, messages: request.messages, max_tokens: request.maxTokens, temperature: request.temperature, ...(json ? { response_format: { type: 'json_object' as const } } : {}) },
        { signal },
      ),
    )
    const text = completion.choices[0]?.message?.content ?? ''
    const usage = completion.usage
      ? { inputTokens: completion.usage.prompt_tokens, outputTokens: completion.usage.completion_tokens }
      : { inputTokens: estimateTokens(request.messages.map((m) => m.content).join('\n')), outputTokens: estimateTokens(text) }
    this.#record(capability, model, options, usage, started)
    return { text, model, usage }
  }

  #require(options: CallOptions): OpenAI {
    if (!this.#client) throw new AiProviderNotConfiguredError(options.feature)
    this.ledger.assertWithinQuota(options)
    return this.#client
  }

  /** Retries 429, 5xx and connection failures with exponential backoff and jitter (honouring Retry-After); nothing else. */
  async #withRetries<T>(options: CallOptions, call: (signal?: AbortSignal) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call(options.signal)
      } catch (error) {
        const retryable = !(error instanceof APIConnectionTimeoutError) && !(error instanceof APIUserAbortError) && !options.signal?.aborted &&
          (error instanceof APIConnectionError || (error instanceof APIError && typeof error.status === 'number' && (error.status === 429 || error.status >= 500)))
        if (!retryable || attempt > this.config.maxRetries) throw this.#failure(error, options)
        const base = this.config.retryBaseDelayMs * 2 ** (attempt - 1)
        const retryAfter = Number((error as APIError).headers?.get?.('retry-after')) * 1000 || 0
        const delay = Math.min(MAX_RETRY_DELAY_MS, Math.max(retryAfter, Math.floor(base / 2 + Math.random() * (base / 2))))
        this.log.warn('withRetries() [retrying]', { feature: options.feature, status: (error as APIError).status ?? null, attempt, delayMs: delay })
        await abortableSleep(delay, options.signal)
      }
    }
  }

  /** Maps the SDK's errors to ours; the provider's message is kept out of logs and responses (it may quote the prompt). */
  #failure(error: unknown, options: CallOptions): unknown {
    if (error instanceof APIUserAbortError || options.signal?.aborted) return new AiCancelledError('The request was cancelled')
    if (error instanceof APIConnectionTimeoutError) return new AiTimeoutError(`The AI provider did not answer within ${this.config.timeoutMs} ms`)
    if (error instanceof APIConnectionError) return new AiProviderError('Could not reach the AI provider', { code: 'AI_PROVIDER_UNREACHABLE' })
    if (error instanceof APIError) {
      this.log.warn('withRetries() [provider error]', { feature: options.feature, status: error.status ?? null })
      if (error.status === 429) return new AiProviderError('The AI provider is rate limiting us; try again shortly', { code: 'AI_PROVIDER_RATE_LIMITED', details: { status: 429 } })
      return new AiProviderError(`The AI provider answered ${error.status ?? 'an error'}`, { details: { status: error.status ?? null } })
    }
    return error
  }

  #record(capability: AiCapability, model: string, options: CallOptions, usage: TokenUsage, started: number): void {
    this.ledger.record({ userId: options.userId, workspaceId: options.workspaceId, capability, model, ...usage })
    this.log.info(`${capability}() [done]`, { feature: options.feature, userId: options.userId, workspaceId: options.workspaceId ?? null, model, ...usage, ms: Math.round(performance.now() - started) })
  }
}
