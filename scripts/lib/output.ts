// Prefixed, optionally coloured output for the supervisor and the processes it runs.
const useColor = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb'
const PALETTE = [36, 35, 33, 32, 34, 31] // cyan, magenta, yellow, green, blue, red
let nextColor = 0

export function paint(text: string, code: number): string {
  return useColor ? `\x1b[${code}m${text}\x1b[0m` : text
}

export function bold(text: string): string {
  return useColor ? `\x1b[1m${text}\x1b[22m` : text
}

/** `[name] ` padded to `width`, in a colour of its own per name. */
export function makePrefix(name: string, width: number): string {
  const label = `[${name}]`.padEnd(width + 2)
  return paint(label, PALETTE[nextColor++ % PALETTE.length]!) + ' '
}

const supervisorPrefix = () => paint('[parley]', 90) + ' '

/** A supervisor line on stdout. */
export function log(message: string): void {
  process.stdout.write(supervisorPrefix() + message + '\n')
}

/** A supervisor line on stderr. */
export function logError(message: string): void {
  process.stderr.write(supervisorPrefix() + paint(message, 31) + '\n')
}

/** Copies a child's stream line by line, each line prefixed; a trailing partial line is flushed at the end. */
export async function pipeLines(stream: ReadableStream<Uint8Array>, prefix: string, target: NodeJS.WriteStream): Promise<void> {
  const decoder = new TextDecoder()
  let pending = ''
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true })
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    if (lines.length > 0) target.write(lines.map((line) => prefixLine(prefix, line.replace(/\r$/, ''))).join(''))
  }
  pending += decoder.decode()
  if (pending) target.write(prefixLine(prefix, pending))
}

function prefixLine(prefix: string, line: string): string {
  return (line ? prefix + line : prefix.trimEnd()) + '\n'
}
