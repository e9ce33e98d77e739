import { runProcess } from './processes'

export interface WrkOptions {
  url: string
  threads: number
  connections: number
  durationSeconds: number
  headers?: Record<string, string>
  /** A wrk Lua script, e.g. one that sets method and body for a POST. */
  scriptPath?: string
  timeoutSeconds?: number
}

export interface WrkResult {
  requestsPerSecond: number
  requests: number
  p50Ms: number
  p99Ms: number
  /** Responses outside 2xx/3xx; any of them make the run's figures meaningless. */
  non2xx: number
  socketErrors: number
}

/** Finds wrk; installs Debian's package when running as root, otherwise says how to get it. */
export async function ensureWrk(): Promise<string> {
  if (Bun.which('wrk')) return Bun.which('wrk')!
  if (process.getuid?.() !== 0) throw new Error('wrk is not installed: run `sudo apt-get install -y wrk` (Debian package) and try again')
  console.error('wrk not found; installing the Debian package (apt-get install -y wrk)…')
  let install = await runProcess(['apt-get', 'install', '-y', 'wrk'], 180_000)
  if (install.code !== 0) {
    await runProcess(['apt-get', 'update'], 180_000)
    install = await runProcess(['apt-get', 'install', '-y', 'wrk'], 180_000)
  }
  const path = Bun.which('wrk')
  if (!path) throw new Error(`could not install wrk: ${install.stderr.trim().slice(-500)}`)
  return path
}

export async function wrkVersion(): Promise<string> {
  // @NOTE: wrk prints its version in the usage text and exits non-zero; the first line is all we want.
  const { stdout, stderr } = await runProcess(['wrk', '--version'], 5000)
  return (stdout || stderr).split('\n')[0]!.replace(/ Copyright.*$/, '').trim()
}

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const args = ['wrk', `-t${options.threads}`, `-c${options.connections}`, `-d${options.durationSeconds}s`, `--timeout`, `${options.timeoutSeconds ?? 5}s`, '--latency']
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`)
  if (options.scriptPath) args.push('-s', options.scriptPath)
  args.push(options.url)
  const { code, stdout, stderr } = await runProcess(args, (options.durationSeconds + 15) * 1000)
  if (code !== 0) throw new Error(`wrk failed (exit ${code}) for ${options.url}: ${(stderr || stdout).trim().slice(-500)}`)
  return parseWrk(stdout)
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

function durationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text)
  if (!match) throw new Error(`unexpected wrk duration "${text}"`)
  return Number(match[1]) * UNIT_MS[match[2]!]!
}

export function parseWrk(output: string): WrkResult {
  const percentile = (p: string) => {
    const match = new RegExp(`^\\s*${p}%\\s+(\\S+)`, 'm').exec(output)
    if (!match) throw new Error(`wrk output has no ${p}% latency line:\n${output}`)
    return durationMs(match[1]!)
  }
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output)
  const total = /^\s*(\d+) requests in/m.exec(output)
  if (!rps || !total) throw new Error(`could not read requests/s from wrk output:\n${output}`)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output)
  return {
    requestsPerSecond: Number(rps[1]),
    requests: Number(total[1]),
    p50Ms: percentile('50'),
    p99Ms: percentile('99'),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  }
}
