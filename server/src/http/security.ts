import type { Config } from '../config'

const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "worker-src 'self'",
  "manifest-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ')

// The Swagger UI page loads its script and styles from a CDN.
const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://unpkg.com",
  "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://unpkg.com https://fonts.googleapis.com",
  "font-src 'self' data: https://fonts.gstatic.com https://cdn.jsdelivr.net",
  "img-src 'self' data: https:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ')

const BASE = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(self), microphone=(self), display-capture=(self), geolocation=()',
}
const HSTS = { 'strict-transport-security': 'max-age=31536000; includeSubDomains' }

// Built once: these headers go on every response, so the hot path only picks one of four objects.
const VARIANTS = {
  app: { ...BASE, 'content-security-policy': APP_CSP },
  docs: { ...BASE, 'content-security-policy': DOCS_CSP },
  appHttps: { ...BASE, 'content-security-policy': APP_CSP, ...HSTS },
  docsHttps: { ...BASE, 'content-security-policy': DOCS_CSP, ...HSTS },
}

/** The security headers for one response; HSTS only when the request reached us over TLS. */
export function securityHeaders(request: Request, pathname: string, config: Config, url = request.url): Readonly<Record<string, string>> {
  const https = url.startsWith('https:') || (config.trustProxy && request.headers.get('x-forwarded-proto') === 'https')
  const docs = pathname.startsWith('/swagger')
  return https ? (docs ? VARIANTS.docsHttps : VARIANTS.appHttps) : docs ? VARIANTS.docs : VARIANTS.app
}
