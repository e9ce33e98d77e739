import { AiCancelledError, AiEngineError } from './errors'

/**
 * Runs an offline engine (ffmpeg, pocketsphinx, text2wave) to completion; aborting kills it. The
 * error names the tool and its exit code, never the text or audio it was working on.
 */
export async function runTool(cmd: string[], options: { signal?: AbortSignal; stdin?: Uint8Array } = {}): Promise<{ stdout: string }> {
  if (options.signal?.aborted) throw new AiCancelledError('The request was cancelled')
  let child
  try {
    child = Bun.spawn(cmd, { stdin: options.stdin ?? 'ignore', stdout: 'pipe', stderr: 'pipe' })
  } catch {
    throw new AiEngineError(`${cmd[0]} is not installed on this server`)
  }
  const kill = () => child.kill('SIGKILL')
  options.signal?.addEventListener('abort', kill, { once: true })
  try {
    const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
    if (options.signal?.aborted) throw new AiCancelledError('The request was cancelled')
    if (code !== 0) throw new AiEngineError(`${cmd[0]} failed (exit ${code})`, { details: { tool: cmd[0], exitCode: code, stderrBytes: stderr.length } })
    return { stdout }
  } finally {
    options.signal?.removeEventListener('abort', kill)
  }
}
