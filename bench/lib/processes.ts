import { spawn, type Subprocess } from 'bun'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { freePort } from '../../scripts/lib/ports'
export { freePort }
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Every process and temp folder a benchmark creates, so one `cleanup()` (on success, error,
 * Ctrl-C or the overall deadline) leaves nothing running or lying around.
 */
const children = new Set<Subprocess>()
const folders = new Set<string>()

export function tempFolder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  folders.add(dir)
  return dir
}

export interface Started {
  child: Subprocess
  /** The last few KB the process wrote to stderr, for error messages. */
  stderrTail(): string
}

/** A long-running child; its stderr is drained continuously so a chatty process never blocks on a full pipe. */
export function startProcess(cmd: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Started {
  const child = spawn(cmd, { cwd: options.cwd, env: options.env, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' })
  track(child)
  let tail = ''
  void (async () => {
    const decoder = new TextDecoder()
    for await (const chunk of child.stderr) tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000)
  })()
  return { child, stderrTail: () => tail.trim() }
}

/** Runs a command to completion, killing it if it outlives `timeoutMs`. */
export async function runProcess(cmd: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(cmd, { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  track(child)
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  clearTimeout(timer)
  return { code, stdout, stderr }
}

function track(child: Subprocess): void {
  children.add(child)
  void child.exited.then(() => children.delete(child))
}

export async function stopProcess(child: Subprocess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  await child.exited
  clearTimeout(timer)
}

export async function cleanup(): Promise<void> {
  await Promise.all([...children].map((child) => stopProcess(child)))
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
  folders.clear()
}

/** Synchronous last resort for `process.on('exit')`, where nothing can be awaited. */
export function killAllNow(): void {
  for (const child of children) child.kill('SIGKILL')
  for (const dir of folders) rmSync(dir, { recursive: true, force: true })
}


/** Polls `url` until it answers 200; fails with the process's stderr if it exits or the deadline passes. */
export async function waitForHttp(url: string, started: Started, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (started.child.exitCode !== null) throw new Error(`process for ${url} exited with code ${started.child.exitCode}: ${started.stderrTail()}`)
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) })
      if (response.ok) return
    } catch {
      // @NOTE: connection refused until the server listens; keep polling until the deadline.
    }
    await Bun.sleep(100)
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms: ${started.stderrTail()}`)
}

/** A throwaway redis-server on a free loopback port, no persistence. */
export async function startRedis(): Promise<string> {
  const port = await freePort()
  const dir = tempFolder('parley-bench-redis-')
  const { child } = startProcess(['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir])
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      const socket = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } })
      socket.end()
      return `redis://127.0.0.1:${port}`
    } catch {
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`)
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`)
      await Bun.sleep(50)
    }
  }
}

/**
 * CPU seconds (user + system, all threads) a process has used so far, from /proc; null where
 * there is no /proc. Divided by requests served, this is far steadier than requests/s on a shared host.
 */
export function cpuSeconds(pid: number): number | null {
  try {
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return null
  }
}

const CLOCK_TICKS = (() => {
  const result = Bun.spawnSync(['getconf', 'CLK_TCK'])
  return Number(result.stdout.toString().trim()) || 100
})()

export interface Piped {
  child: Subprocess<'pipe', 'pipe', 'pipe'>
  stderrTail(): string
}

/** A child driven by JSON lines: commands on its stdin, replies and events on its stdout (see bench/lib/line-worker.ts). */
export function startPiped(cmd: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Piped {
  const child = spawn(cmd, { cwd: options.cwd, env: options.env, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' })
  track(child)
  let tail = ''
  void (async () => {
    const decoder = new TextDecoder()
    for await (const chunk of child.stderr) tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000)
  })()
  return { child, stderrTail: () => tail.trim() }
}

/** Resident memory of a process in MB (VmRSS from /proc), or null where there is no /proc. */
export function rssMegabytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) / 1024 : null
  } catch {
    return null
  }
}

/**
 * Runs a benchmark's main with the shared lifecycle: Ctrl-C, SIGTERM or an error stop every process
 * it started (and remove its temp folders) before exiting.
 */
export type Abort = (reason: string, code: number) => Promise<never>

export async function runBench(name: string, main: (abort: Abort) => Promise<void>): Promise<void> {
  let aborting = false
  const abort: Abort = async (reason, code) => {
    if (!aborting) {
      aborting = true
      console.error(`bench/${name}: ${reason}; stopping everything it started`)
      await cleanup()
    }
    process.exit(code)
  }
  process.on('SIGINT', () => void abort('interrupted', 130))
  process.on('SIGTERM', () => void abort('terminated', 143))
  process.on('exit', killAllNow)
  await main(abort).catch((error: unknown) => abort(error instanceof Error ? (error.stack ?? error.message) : String(error), 1))
}
