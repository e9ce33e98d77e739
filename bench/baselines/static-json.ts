// The ceiling for bench/history.ts: a bare Bun.serve answering every request with one constant
// JSON body (BODY_FILE, a real page the API served), so the ratio isolates the server's own work.
const body = await Bun.file(process.env.BODY_FILE!).text()

const server = Bun.serve({
  hostname: '127.0.0.1',
  port: Number(process.env.PORT ?? 0),
  fetch: () => new Response(body, { headers: { 'content-type': 'application/json' } }),
})

console.log(`static-json listening on ${server.port}`)

function stop(): void {
  server.stop(true)
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)

// A module, not a script: its top-level names stay its own.
export {}
