import { spawn, type Subprocess } from 'bun'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { freePort } from './redis'
import { waitFor } from './wait'

const ROOT = resolve(import.meta.dir, '../..')

export interface ApiProcess {
  url: string
  process: Subprocess<'ignore', 'pipe', 'pipe'>
  /** Everything written to stdout so far, one entry per line. */
  stdoutLines(): string[]
  stop(): Promise<void>
}

/** The environment a real deployment would give the API: only what is listed, nothing inherited from the test run. */
function baseEnv(dataDir: string, env: Record<string, string>): Record<string, string> {
  const inherited = Object.fromEntries(['PATH', 'HOME', 'TMPDIR'].flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])))
  return { ...inherited, DATA_DIR: dataDir, HOST: '127.0.0.1', ...env }
}

/** Runs `bun server/src/index.ts` until it exits on its own, for configurations that must not start. */
export async function runApiToExit(env: Record<string, string>): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-proc-'))
  try {
    const child = spawn(['bun', 'server/src/index.ts'], { cwd: ROOT, env: baseEnv(dataDir, env), stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
    const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
    return { exitCode, stdout, stderr }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** Starts the real server process on a free port and waits until /health answers. */
export async function spawnApi(env: Record<string, string> = {}): Promise<ApiProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-proc-'))
  const port = await freePort()
  const child = spawn(['bun', 'server/src/index.ts'], { cwd: ROOT, env: baseEnv(dataDir, { PORT: String(port), ...env }), stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  let stdout = ''
  const decoder = new TextDecoder()
  const pump = (async () => {
    for await (const chunk of child.stdout) stdout += decoder.decode(chunk, { stream: true })
  })()
  const url = `http://127.0.0.1:${port}`
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`api process exited with ${child.exitCode}: ${await new Response(child.stderr).text()}`)
    return (await fetch(`${url}/health`).then((r) => r.ok, () => false)) || undefined
  }, 'the api process to answer /health', 15_000)
  return {
    url,
    process: child,
    stdoutLines: () => stdout.split('\n').filter(Boolean),
    async stop() {
      if (child.exitCode === null) child.kill('SIGKILL')
      await child.exited
      await pump
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
