import type { Elysia } from 'elysia'
import { existsSync, statSync } from 'node:fs'
import { join, normalize } from 'node:path'
import type { Config } from '../config'

const API_PREFIXES = ['/auth', '/users', '/admin', '/swagger', '/health', '/ready', '/metrics', '/ws', '/api']

/**
 * Serves the built PWA from the same origin (no CORS for users): real files by path, and
 * index.html for client-side routes. API paths never fall through to the app shell.
 */
export function serveClient<T extends Elysia<any, any, any, any, any, any, any>>(app: T, config: Config): T {
  const root = config.clientDistDir
  if (!existsSync(join(root, 'index.html'))) return app
  const shell = () => new Response(Bun.file(join(root, 'index.html')), { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' } })
  app.get('/', shell, { detail: { hide: true } })
  app.get('/*', async ({ path, set }) => {
    if (API_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) {
      set.status = 404
      return { error: { code: 'ROUTE_NOT_FOUND', message: 'No route matches this method and path' } }
    }
    const file = normalize(join(root, decodeURIComponent(path)))
    if (file.startsWith(root) && statSync(file, { throwIfNoEntry: false })?.isFile()) {
      const cache = /\/assets\//.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache'
      return new Response(Bun.file(file), { headers: { 'cache-control': cache } })
    }
    // A missing hashed asset must not answer with HTML, or the browser reports a MIME error instead of a 404.
    if (path.startsWith('/assets/') || /\.[a-z0-9]+$/i.test(path)) {
      set.status = 404
      return { error: { code: 'NOT_FOUND', message: 'No such file' } }
    }
    return shell()
  }, { detail: { hide: true } })
  return app
}
