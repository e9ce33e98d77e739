import { spawn, type Subprocess } from 'bun'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../scripts/lib/ports'
export { freePort }


/** A real redis-server on a free loopback port, no persistence; killed with the test process. */
export async function startRedis(): Promise<{ url: string; port: number; process: Subprocess; stop(): Promise<void> }> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'parley-redis-'))
  const child = spawn(['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdout: 'ignore', stderr: 'inherit' })
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      const socket = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } })
      socket.end()
      break
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`)
      await Bun.sleep(50)
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    process: child,
    async stop() {
      child.kill()
      await child.exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
