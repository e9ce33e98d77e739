import { AppError, RateLimitedError } from '../errors'

export const CONFIGURE_HINT = 'Set OPENAI_BASE_URL (any OpenAI-compatible server: OpenAI, Ollama, vLLM, llama.cpp) and, when it needs one, OPENAI_API_KEY, then restart the API and worker.'

/** An LLM-only feature was asked for and no provider is configured. */
export class AiProviderNotConfiguredError extends AppError {
  static override status = 503
  static override code = 'AI_PROVIDER_NOT_CONFIGURED'
  constructor(feature: string) {
    super(`${feature} needs an AI provider and none is configured. ${CONFIGURE_HINT}`)
  }
}

/** The provider failed (after retries) or answered something unusable. */
export class AiProviderError extends AppError {
  static override status = 502
  static override code = 'AI_PROVIDER_FAILED'
}

export class AiTimeoutError extends AppError {
  static override status = 504
  static override code = 'AI_TIMEOUT'
}

/** The caller went away (request aborted); nobody reads this response, it ends the work. */
export class AiCancelledError extends AppError {
  static override status = 499
  static override code = 'AI_CANCELLED'
}

/** An offline engine (pocketsphinx, Festival, ffmpeg) failed or is missing. */
export class AiEngineError extends AppError {
  static override status = 503
  static override code = 'AI_ENGINE_FAILED'
}

export class AiQuotaExceededError extends RateLimitedError {
  constructor(scope: 'user' | 'workspace', limit: number, retryAfterSeconds: number) {
    super(
      scope === 'user'
        ? `You have used today's AI budget of ${limit} tokens; it resets at midnight UTC`
        : `This workspace has used today's AI budget of ${limit} tokens; it resets at midnight UTC`,
      retryAfterSeconds,
      { code: 'AI_QUOTA_EXCEEDED' },
    )
  }
}
