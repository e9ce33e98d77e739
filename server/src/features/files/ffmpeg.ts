import { spawn } from 'bun'

export interface Probe {
  durationMs: number | null
  width: number | null
  height: number | null
  hasVideo: boolean
  hasAudio: boolean
}

/** Called with the share (0–1) of the input an encode has got through. */
export type Fraction = (done: number) => void | Promise<void>

/** Runs a tool to completion; a non-zero exit throws with the end of its stderr. */
async function run(cmd: string[]): Promise<string> {
  const child = spawn(cmd, { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' })
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  if (code !== 0) throw new Error(`${cmd[0]} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`)
  return stdout
}

/** An ffmpeg encode that reports how far it got (`-progress`), in steps of at least 5 %. */
async function encode(args: string[], durationMs: number | null, onFraction?: Fraction): Promise<void> {
  if (!onFraction || !durationMs) {
    await run(['ffmpeg', ...args])
    return
  }
  const child = spawn(['ffmpeg', '-progress', 'pipe:1', '-nostats', ...args], { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' })
  const stderr = new Response(child.stderr).text()
  const decoder = new TextDecoder()
  let buffer = ''
  let reported = 0
  for await (const chunk of child.stdout) {
    buffer += decoder.decode(chunk, { stream: true })
    const lines = buffer.split('\n')
    buffer = lines.pop() ?? ''
    for (const line of lines) {
      const match = /^out_time_us=(\d+)/.exec(line)
      if (!match) continue
      const done = Math.min(1, Number(match[1]) / 1000 / durationMs)
      if (done - reported >= 0.05) {
        reported = done
        await onFraction(done)
      }
    }
  }
  const code = await child.exited
  if (code !== 0) throw new Error(`ffmpeg exited with ${code}: ${(await stderr).trim().split('\n').slice(-3).join(' | ')}`)
}

export async function probe(path: string): Promise<Probe> {
  const out = JSON.parse(await run(['ffprobe', '-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path])) as {
    format?: { duration?: string }
    streams?: Array<{ codec_type?: string; width?: number; height?: number; duration?: string; disposition?: { attached_pic?: number } }>
  }
  const streams = out.streams ?? []
  // Cover art in an audio file is a "video" stream with attached_pic; it is not a video.
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic)
  const seconds = Number(out.format?.duration ?? video?.duration ?? NaN)
  return {
    durationMs: Number.isFinite(seconds) ? Math.round(seconds * 1000) : null,
    width: video?.width ?? null,
    height: video?.height ?? null,
    hasVideo: video !== undefined,
    hasAudio: streams.some((s) => s.codec_type === 'audio'),
  }
}

/** One frame as JPEG, a second in (or at the middle of shorter clips), at most 1280 px wide. */
export async function posterFrame(input: string, output: string, durationMs: number | null): Promise<void> {
  const at = Math.min(1, (durationMs ?? 0) / 2000)
  await run(['ffmpeg', '-v', 'error', '-y', '-ss', at.toFixed(3), '-i', input, '-frames:v', '1', '-vf', "scale='min(1280,iw)':-2", '-q:v', '3', output])
}

/** H.264/AAC MP4 at most 720 p, fast start: plays in every browser and seeks over Range requests. */
export async function videoRendition(input: string, output: string, hasAudio: boolean, durationMs: number | null = null, onFraction?: Fraction): Promise<void> {
  await encode([
    '-v', 'error', '-y', '-i', input,
    '-vf', "scale='min(1280,iw)':'min(720,ih)':force_original_aspect_ratio=decrease:force_divisible_by=2",
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '28', '-pix_fmt', 'yuv420p',
    ...(hasAudio ? ['-c:a', 'aac', '-b:a', '96k'] : ['-an']),
    '-movflags', '+faststart', '-f', 'mp4', output,
  ], durationMs, onFraction)
}

/** AAC in MP4 (m4a): the audio format every browser plays. */
export async function audioRendition(input: string, output: string, durationMs: number | null = null, onFraction?: Fraction): Promise<void> {
  await encode(['-v', 'error', '-y', '-i', input, '-vn', '-c:a', 'aac', '-b:a', '96k', '-movflags', '+faststart', '-f', 'mp4', output], durationMs, onFraction)
}

/**
 * Peak levels (0–1) of `count` equal slices of the audio, decoded to 8 kHz mono as it streams, so
 * memory does not grow with the length of the recording.
 */
export async function waveform(input: string, durationMs: number, count: number): Promise<number[]> {
  const rate = 8000
  const total = Math.max(1, Math.round((durationMs / 1000) * rate))
  const perBucket = Math.max(1, Math.ceil(total / count))
  const peaks = new Array<number>(count).fill(0)
  const child = spawn(['ffmpeg', '-v', 'error', '-i', input, '-vn', '-ac', '1', '-ar', String(rate), '-f', 's16le', '-'], { stdout: 'pipe', stderr: 'ignore', stdin: 'ignore' })
  let sample = 0
  let carry: number | null = null
  for await (const chunk of child.stdout) {
    let bytes = chunk as Uint8Array
    let i = 0
    if (carry !== null) {
      record((((bytes[0]! << 8) | carry) << 16) >> 16)
      carry = null
      i = 1
    }
    for (; i + 1 < bytes.length; i += 2) record((((bytes[i + 1]! << 8) | bytes[i]!) << 16) >> 16)
    if (i < bytes.length) carry = bytes[i]!
  }
  const code = await child.exited
  if (code !== 0) throw new Error(`ffmpeg exited with ${code} while reading the waveform`)
  const loudest = Math.max(...peaks)
  return peaks.map((peak) => (loudest > 0 ? Math.round((peak / loudest) * 1000) / 1000 : 0))

  function record(value: number) {
    const bucket = Math.min(count - 1, Math.floor(sample++ / perBucket))
    const level = Math.abs(value) / 32768
    if (level > peaks[bucket]!) peaks[bucket] = level
  }
}
