import { readFileSync } from 'node:fs'
import { cpuSeconds } from './processes'

/** Busy CPU seconds of the whole machine so far (all cores, /proc/stat), null without /proc. */
export function machineBusySeconds(): number | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal: idle and iowait are the only not-busy ones.
    const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0)
    return (total - fields[3]! - (fields[4] ?? 0)) / CLOCK_TICKS
  } catch {
    return null
  }
}

const CLOCK_TICKS = (() => {
  const result = Bun.spawnSync(['getconf', 'CLK_TCK'])
  return Number(result.stdout.toString().trim()) || 100
})()

/** Packets the kernel dropped at these local UDP ports (socket buffer full), from /proc/net/udp. */
export function udpDrops(ports: readonly number[]): number {
  const wanted = new Set(ports)
  let drops = 0
  try {
    for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/)
      if (fields.length < 13) continue
      const port = Number.parseInt(fields[1]!.split(':')[1]!, 16)
      if (wanted.has(port)) drops += Number(fields[12])
    }
  } catch {
    // @NOTE: no /proc/net/udp (not Linux); drops read as 0 and the table says so in its note.
  }
  return drops
}

export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
  } catch {
    return 'unknown'
  }
}

/** CPU seconds of several processes at once; a process that is gone counts 0. */
export function cpuOf(pids: readonly number[]): number[] {
  return pids.map((pid) => cpuSeconds(pid) ?? 0)
}

export interface LoadSample {
  at: number
  machine: number
  groups: Record<string, number[]>
}

/** One reading of the machine and of named groups of processes; `rates` turns two into cores used. */
export function sampleLoad(groups: Record<string, readonly number[]>): LoadSample {
  return { at: performance.now(), machine: machineBusySeconds() ?? 0, groups: Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, cpuOf(pids)])) }
}

/** Cores used between two samples: per process of each group, and the machine as a whole. */
export function rates(before: LoadSample, after: LoadSample): { seconds: number; machine: number; groups: Record<string, number[]> } {
  const seconds = (after.at - before.at) / 1000
  const groups: Record<string, number[]> = {}
  for (const [name, values] of Object.entries(after.groups)) groups[name] = values.map((value, index) => (value - (before.groups[name]?.[index] ?? 0)) / seconds)
  return { seconds, machine: (after.machine - before.machine) / seconds, groups }
}
