import { Elysia, t } from 'elysia'
import { sql } from 'drizzle-orm'
import type { AppContext } from '../../context'
import { errors } from '../../http/schemas'

const ReadyResponse = t.Object({
  status: t.Union([t.Literal('ready'), t.Literal('unavailable')]),
  checks: t.Object({ database: t.String(), redis: t.String() }),
})

// The 413s are real: the body limit in platform.ts applies to every request, GET included.
export function healthRoutes(ctx: AppContext) {
  return new Elysia({ tags: ['health'] })
    .get('/health', () => ({ status: 'ok' as const, uptimeSeconds: Math.round(process.uptime()) }), {
      response: { 200: t.Object({ status: t.Literal('ok'), uptimeSeconds: t.Number() }), ...errors(413) },
      detail: { summary: 'Liveness: the process answers' },
    })
    .get(
      '/ready',
      async ({ set }) => {
        let database = 'ok'
        try {
          ctx.db.get(sql`select 1`)
        } catch {
          database = 'unreachable'
        }
        let redis = 'disabled'
        if (ctx.redis) {
          try {
            await Promise.race([ctx.redis.ping(), Bun.sleep(1000).then(() => Promise.reject(new Error('timeout')))])
            redis = 'ok'
          } catch {
            redis = 'unreachable'
          }
        }
        const ready = database === 'ok' && redis !== 'unreachable'
        if (!ready) set.status = 503
        return { status: ready ? ('ready' as const) : ('unavailable' as const), checks: { database, redis } }
      },
      { response: { 200: ReadyResponse, 503: ReadyResponse, ...errors(413) }, detail: { summary: 'Readiness: database and Redis reachable' } },
    )
    .get(
      '/metrics',
      async ({ set }) => {
        set.headers['content-type'] = 'text/plain; version=0.0.4; charset=utf-8'
        return ctx.metrics.render()
      },
      { response: { 200: t.String(), ...errors(413) }, detail: { summary: 'Prometheus metrics (text format)' } },
    )
}
