import type { Logger } from '../../server/src/logger'
import type { SegmentResult } from './recording-segment'

/** The mixed video: one cell per participant's camera or screen, at most a 3×3 grid. */
const MAX_CELLS = 9
const FPS = 15
/** The mix transcodes: on two busy cores it runs at about real time, so the limit grows with the call. */
const MIX_TIMEOUT_MIN_MS = 10 * 60_000
const MIX_TIMEOUT_PER_RECORDED_MS = 4

export interface ProbedSegment extends SegmentResult {
  durationMs: number
}

interface Cell {
  key: string
  segments: Array<ProbedSegment & { input: number }>
}

/** The segment's duration as ffprobe reads it; null when the file holds no decodable stream. */
export async function probeDurationMs(path: string): Promise<number | null> {
  const probe = Bun.spawn(['ffprobe', '-v', 'error', '-show_entries', 'format=duration', '-of', 'default=nw=1:nk=1', path], { stdout: 'pipe', stderr: 'ignore' })
  const output = (await new Response(probe.stdout).text()).trim()
  if ((await probe.exited) !== 0) return null
  const seconds = Number(output)
  return Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : null
}

/**
 * The ffmpeg arguments mixing segments into one WebM of `totalMs`: every audio segment delayed by its
 * offset and summed (amix, no normalization, so a lone speaker keeps their level); every video segment
 * in the cell of its participant and source (camera, screen), black before, between and after its
 * segments, the cells side by side in a grid (xstack). Transcodes to VP8 + Opus.
 */
export function mixArguments(segments: ProbedSegment[], totalMs: number, output: string): string[] {
  const inputs: string[] = []
  const filters: string[] = []
  const audio = segments.filter((segment) => segment.kind === 'audio')
  const cells = videoCells(segments.filter((segment) => segment.kind === 'video'))
  let input = 0
  const audioLabels: string[] = []
  for (const segment of audio) {
    inputs.push('-i', segment.path)
    const label = `a${input}`
    // async=1 fills the gaps a paused producer left with silence; adelay places the segment on the call's clock.
    filters.push(`[${input}:a]aresample=48000:async=1:first_pts=0,aformat=channel_layouts=stereo,adelay=${segment.offsetMs}|${segment.offsetMs}[${label}]`)
    audioLabels.push(`[${label}]`)
    input++
  }
  const total = seconds(totalMs)
  const layout = gridLayout(cells.length)
  const cellLabels: string[] = []
  for (const [index, cell] of cells.entries()) {
    const parts: string[] = []
    let cursorMs = 0
    for (const [position, segment] of cell.segments.entries()) {
      inputs.push('-i', segment.path)
      segment.input = input++
      const next = cell.segments[position + 1]
      // A segment that overlaps the next one (a camera replaced quickly) is cut where the next starts.
      const lengthMs = Math.max(40, Math.min(segment.durationMs, (next?.offsetMs ?? Infinity) - segment.offsetMs))
      const gapMs = Math.max(0, segment.offsetMs - cursorMs)
      const tailMs = next ? 0 : Math.max(0, totalMs - (cursorMs + gapMs + lengthMs))
      const label = `v${index}p${position}`
      filters.push(
        `[${segment.input}:v]setpts=PTS-STARTPTS,fps=${FPS},scale=${layout.cellWidth}:${layout.cellHeight}:force_original_aspect_ratio=decrease,` +
          `pad=${layout.cellWidth}:${layout.cellHeight}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=yuv420p,trim=duration=${seconds(lengthMs)},setpts=PTS-STARTPTS,` +
          `tpad=start_duration=${seconds(gapMs)}:start_mode=add:stop_duration=${seconds(tailMs)}:stop_mode=add:color=black[${label}]`,
      )
      parts.push(`[${label}]`)
      cursorMs += gapMs + lengthMs
    }
    const cellLabel = `c${index}`
    filters.push(parts.length === 1 ? `${parts[0]}null[${cellLabel}]` : `${parts.join('')}concat=n=${parts.length}:v=1:a=0[${cellLabel}]`)
    cellLabels.push(`[${cellLabel}]`)
  }
  const maps: string[] = []
  if (audioLabels.length) {
    filters.push(`${audioLabels.join('')}amix=inputs=${audioLabels.length}:duration=longest:normalize=0,atrim=duration=${total}[aout]`)
    maps.push('-map', '[aout]', '-c:a', 'libopus', '-b:a', '64k')
  }
  if (cellLabels.length) {
    const stack = cellLabels.length === 1 ? `${cellLabels[0]}null[vout]` : `${cellLabels.join('')}xstack=inputs=${cellLabels.length}:layout=${layout.positions.join('|')}:fill=black[vout]`
    filters.push(stack)
    maps.push('-map', '[vout]', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1M', '-g', String(FPS * 4))
  }
  return ['ffmpeg', '-hide_banner', '-loglevel', 'error', ...inputs, '-filter_complex', filters.join(';'), ...maps, '-threads', '2', '-f', 'webm', '-y', output]
}

/** Runs the mix of a recording `totalMs` long; false when ffmpeg failed or overran its time (logged). */
export async function runMix(args: string[], totalMs: number, logger: Logger): Promise<boolean> {
  const ffmpeg = Bun.spawn(args, { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' })
  const timer = setTimeout(() => ffmpeg.kill('SIGKILL'), Math.max(MIX_TIMEOUT_MIN_MS, totalMs * MIX_TIMEOUT_PER_RECORDED_MS))
  const stderr = await new Response(ffmpeg.stderr).text().catch(() => '')
  const exitCode = await ffmpeg.exited
  clearTimeout(timer)
  if (exitCode !== 0) logger.warn('runMix() [ffmpeg failed]', { exitCode, stderr: stderr.slice(-800) })
  return exitCode === 0
}

/** Video segments grouped by participant and source, in order of first appearance; at most MAX_CELLS. */
function videoCells(segments: ProbedSegment[]): Cell[] {
  const cells = new Map<string, Cell>()
  for (const segment of [...segments].sort((a, b) => a.offsetMs - b.offsetMs)) {
    const key = `${segment.peerId}:${segment.source}`
    const cell = cells.get(key) ?? { key, segments: [] }
    cell.segments.push({ ...segment, input: -1 })
    cells.set(key, cell)
  }
  return [...cells.values()].slice(0, MAX_CELLS)
}

/** 1 cell: 640×360; 2: side by side; 3–4: 2×2 of 640×360; 5–9: 3×3 of 426×240. */
function gridLayout(count: number): { cellWidth: number; cellHeight: number; positions: string[] } {
  const columns = count <= 1 ? 1 : count <= 4 ? 2 : 3
  const [cellWidth, cellHeight] = columns === 3 ? [426, 240] : [640, 360]
  const positions = Array.from({ length: count }, (_, index) => `${(index % columns) * cellWidth}_${Math.floor(index / columns) * cellHeight}`)
  return { cellWidth, cellHeight, positions }
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3)
}
