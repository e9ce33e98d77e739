import { createHmac } from 'node:crypto'
import { checkDestination, DestinationRefusedError } from './destination'

/** `sha256=<hex>` over `${timestamp}.${body}`; receivers recompute it and compare in constant time. */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

export interface SendRequest {
  url: string
  secret: string
  event: string
  deliveryId: string
  body: string
}

export interface SendResult {
  ok: boolean
  responseCode: number | null
  error: string | null
  /** False when trying again cannot help (the destination is refused). */
  retryable: boolean
}

const MAX_ERROR_LENGTH = 500

/**
 * One signed POST. Never throws: every outcome is a result the caller records. The destination is
 * checked again here, since DNS may have changed since the webhook was saved; redirects are failures.
 */
export async function sendWebhook(request: SendRequest, options: { allowPrivateNetworks: boolean; timeoutMs: number }): Promise<SendResult> {
  try {
    await checkDestination(request.url, options.allowPrivateNetworks)
  } catch (error) {
    const message = error instanceof DestinationRefusedError ? error.message : String(error)
    return { ok: false, responseCode: null, error: `refused: ${message}`.slice(0, MAX_ERROR_LENGTH), retryable: false }
  }
  const timestamp = String(Math.floor(Date.now() / 1000))
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Parley-Webhooks/1',
        'x-parley-event': request.event,
        'x-parley-delivery': request.deliveryId,
        'x-parley-timestamp': timestamp,
        'x-parley-signature': signPayload(request.secret, timestamp, request.body),
      },
      body: request.body,
    })
    // @NOTE: the body is irrelevant; drain it so the connection can be reused, whatever happens.
    await response.arrayBuffer().catch(() => {})
    const ok = response.status >= 200 && response.status < 300
    const error = ok ? null : response.status >= 300 && response.status < 400 ? `redirect (${response.status}) not followed` : `HTTP ${response.status}`
    return { ok, responseCode: response.status, error, retryable: !ok }
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
    const message = timedOut ? `timed out after ${options.timeoutMs} ms` : error instanceof Error ? error.message : String(error)
    return { ok: false, responseCode: null, error: message.slice(0, MAX_ERROR_LENGTH), retryable: true }
  }
}
