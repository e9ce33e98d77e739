import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'

export interface Machine {
  cpus: number
  cpuModel: string
  bun: string
  wrk: string
}

export function describeMachine(wrk: string): Machine {
  let cpuModel = 'unknown'
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown'
  } catch {
    // @NOTE: no /proc/cpuinfo (not Linux); the model is only informative.
  }
  return { cpus: availableParallelism(), cpuModel, bun: Bun.version, wrk }
}

/** The commit the server code was measured at, marked when server/ has uncommitted changes (read-only git). */
export function describeRevision(root: string): string {
  const git = (...args: string[]) => Bun.spawnSync(['git', '-C', root, ...args], { stderr: 'ignore' })
  const head = git('rev-parse', '--short', 'HEAD')
  if (head.exitCode !== 0) return 'unknown revision'
  const dirty = git('status', '--porcelain', '--', 'server', 'drizzle').stdout.toString().trim() !== ''
  return `${head.stdout.toString().trim()}${dirty ? ' with uncommitted server changes' : ''}`
}

export interface Column<Row> {
  title: string
  align?: 'left' | 'right'
  cell(row: Row): string
}

export function markdownTable<Row>(rows: Row[], columns: Column<Row>[]): string {
  const head = `| ${columns.map((c) => c.title).join(' | ')} |`
  const rule = `|${columns.map((c) => (c.align === 'right' ? '---:' : ':---')).join('|')}|`
  const body = rows.map((row) => `| ${columns.map((c) => c.cell(row)).join(' | ')} |`)
  return [head, rule, ...body].join('\n')
}

/**
 * Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` in a Markdown file, or
 * appends the marked section when it is not there yet; the rest of the document is left alone.
 */
export function writeSection(path: string, name: string, content: string): void {
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const block = `${start}\n${content.trim()}\n${end}`
  const doc = existsSync(path) ? readFileSync(path, 'utf8') : ''
  const from = doc.indexOf(start)
  const to = doc.indexOf(end)
  const next = from >= 0 && to > from ? doc.slice(0, from) + block + doc.slice(to + end.length) : `${doc.trimEnd()}${doc ? '\n\n' : ''}${block}\n`
  writeFileSync(path, next)
}

export const fmt = {
  rps: (n: number) => Math.round(n).toLocaleString('en-US'),
  micros: (n: number) => (n < 100 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US')),
  ms: (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n).toString()),
  // Login runs at a ten-thousandth of the ceiling; keep two significant digits there rather than print 0.0%.
  pct: (n: number) => `${n >= 0.01 ? (n * 100).toFixed(1) : (n * 100).toPrecision(2)}%`,
}
