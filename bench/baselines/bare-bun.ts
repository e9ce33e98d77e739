// The ceiling for bench/http.ts: about the least a Bun HTTP server can do per request here.
// `/` answers "ok" (the baseline bench/http.ts uses), `/json` a body shaped like GET /health's.
const body = JSON.stringify({ status: 'ok', uptimeSeconds: 0 })

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT ?? 0),
  fetch(request) {
    if (new URL(request.url).pathname === '/json') return new Response(body, { headers: { 'content-type': 'application/json' } })
    return new Response('ok')
  },
})

console.log(`bare-bun listening on ${server.port}`)

function stop(): void {
  server.stop(true)
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
