/**
 * Cost of the recording mix (media/src/recording-mix.ts): CPU and wall time to mix a call's segments into
 * one WebM, for 1, 2 and 4 participants each with a camera and a microphone, against a baseline in the
 * same run: one participant's camera and microphone transcoded with the same encoder settings, no mix.
 *
 *   bun bench/recording-mix.ts [--write] [--seconds 30] [--participants 1,2,4] [--runs 3]
 *
 * Segments are made first by ffmpeg (VP8 640×360 at 15 fps, Opus), like the segment recorders write;
 * CPU is the ffmpeg process' user + system time. The machine is shared: compare rows within one run.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { mixArguments, probeDurationMs, type ProbedSegment } from '../media/src/recording-mix'
import { describeMachine, describeRevision, markdownTable, writeSection } from './lib/report'

const ROOT = resolve(import.meta.dir, '..')
const DOC = join(ROOT, 'docs/BENCHMARKS.md')
const { values: args } = parseArgs({
  options: {
    write: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '30' },
    participants: { type: 'string', default: '1,2,4' },
    runs: { type: 'string', default: '3' },
  },
})
const seconds = Number(args.seconds)
const runs = Number(args.runs)
const levels = args.participants.split(',').map(Number)
const dir = mkdtempSync(join(tmpdir(), 'parley-bench-mix-'))

interface Measured {
  cpuSeconds: number
  wallSeconds: number
}

/** Runs ffmpeg and reports its CPU (user + system) and wall time; throws when it fails. */
async function measure(command: string[]): Promise<Measured> {
  const started = performance.now()
  const child = Bun.spawn(command, { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' })
  const stderr = await new Response(child.stderr).text()
  if ((await child.exited) !== 0) throw new Error(`ffmpeg failed: ${stderr.slice(-500)}`)
  const usage = child.resourceUsage()!
  return { cpuSeconds: Number(usage.cpuTime.user + usage.cpuTime.system) / 1e6, wallSeconds: (performance.now() - started) / 1000 }
}

async function makeSegment(name: string, kind: 'audio' | 'video', peerId: string, frequency: number): Promise<ProbedSegment> {
  const path = join(dir, `${name}.mkv`)
  const source = kind === 'audio'
    ? ['-f', 'lavfi', '-i', `sine=frequency=${frequency}:sample_rate=48000`, '-c:a', 'libopus', '-ac', '2', '-b:a', '64k']
    : ['-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=15', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '600k']
  await measure(['ffmpeg', '-hide_banner', '-loglevel', 'error', ...source, '-t', String(seconds), '-f', 'matroska', '-y', path])
  return { path, kind, peerId, source: kind === 'audio' ? 'mic' : 'camera', offsetMs: 0, bytes: 1, durationMs: (await probeDurationMs(path))! }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

try {
  const loadAtStart = loadavg()[0]!
  const peers = Math.max(...levels)
  const segments: ProbedSegment[] = []
  for (let index = 0; index < peers; index++) {
    segments.push(await makeSegment(`cam-${index}`, 'video', `peer-${index}`, 0), await makeSegment(`mic-${index}`, 'audio', `peer-${index}`, 300 + 100 * index))
  }
  const output = join(dir, 'out.webm')
  // The baseline: one camera and one microphone transcoded with the mix's encoder settings, no filters.
  const baselineCommand = ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-i', segments[0]!.path, '-i', segments[1]!.path, '-map', '0:v', '-map', '1:a', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1M', '-c:a', 'libopus', '-b:a', '64k', '-threads', '2', '-f', 'webm', '-y', output]
  const rows: Array<{ label: string; cpu: number; wall: number; ratio: number }> = []
  const baselineRuns: Measured[] = []
  for (let run = 0; run < runs; run++) baselineRuns.push(await measure(baselineCommand))
  const baseline = { cpu: median(baselineRuns.map((m) => m.cpuSeconds)), wall: median(baselineRuns.map((m) => m.wallSeconds)) }
  rows.push({ label: 'baseline: 1 camera + 1 mic transcoded, no mix', ...baseline, ratio: 1 })
  for (const count of levels) {
    const chosen = segments.filter((segment) => Number(segment.peerId.split('-')[1]) < count)
    const measured: Measured[] = []
    for (let run = 0; run < runs; run++) measured.push(await measure(mixArguments(chosen, seconds * 1000, output)))
    const cpu = median(measured.map((m) => m.cpuSeconds))
    const plural = count > 1 ? 's' : ''
    rows.push({ label: `mix: ${count} participant${plural} (${count} cell${plural} + ${count} voice${plural})`, cpu, wall: median(measured.map((m) => m.wallSeconds)), ratio: cpu / baseline.cpu })
  }
  const loadAtEnd = loadavg()[0]!
  const machine = describeMachine('')
  const table = markdownTable(rows, [
    { title: 'What', cell: (r) => r.label },
    { title: 'CPU s', align: 'right', cell: (r) => r.cpu.toFixed(2) },
    { title: 'CPU s per recorded minute', align: 'right', cell: (r) => ((r.cpu / seconds) * 60).toFixed(1) },
    { title: 'Wall s', align: 'right', cell: (r) => r.wall.toFixed(1) },
    { title: '× baseline CPU', align: 'right', cell: (r) => r.ratio.toFixed(2) },
  ])
  const section = `
## Recording mix: \`bench/recording-mix.ts\`

The one-pass ffmpeg mix that turns a call's recorded segments into one WebM (\`media/src/recording-mix.ts\`) on ${seconds} s
of segments per participant (VP8 640×360 at 15 fps and Opus, as the segment recorders copy them), against a baseline in
the same run: one camera and one microphone transcoded with the same encoder settings and no filters. Median of ${runs} runs;
CPU is ffmpeg's user + system time. ${machine.cpus} × ${machine.cpuModel}, Bun ${machine.bun}, ${describeRevision(ROOT)};
1-minute load average ${loadAtStart.toFixed(1)} at the start and ${loadAtEnd.toFixed(1)} at the end (a shared machine: wall times
stretch with the load, CPU seconds much less).

${table}

What it says: the mix costs about as much CPU as transcoding one participant's camera and microphone (0.9–1.5× the
baseline in the runs so far, 14–23 CPU seconds per recorded minute) and does not grow in proportion to the participants:
libvpx's realtime mode (\`-deadline realtime -cpu-used 8\`) adapts its effort as the canvas grows (640×360 for one cell,
1280×360 for two, 1280×720 for three or four). So a one-hour recording costs roughly 15–25 minutes of CPU once, after
the stop, on ffmpeg's 2 threads; a busy machine stretches the wall time. The same configuration varied by up to a third
between two invocations on this shared machine: compare rows within one run.
`
  console.log(section)
  console.log(JSON.stringify({ bench: 'recording-mix', seconds, runs, rows }))
  if (args.write) writeSection(DOC, 'bench:recording-mix', section)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
