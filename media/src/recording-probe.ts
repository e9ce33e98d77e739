// Test helpers reading a recording with ffprobe/ffmpeg: its streams, a tone's level in a time window,
// the brightness of a region of the picture at a moment.

export interface Probed {
  streams: Array<{ codec_name: string; codec_type: string; width?: number; height?: number }>
  format: { duration: string }
}

export async function probe(path: string): Promise<Probed> {
  const child = Bun.spawn(['ffprobe', '-v', 'error', '-show_streams', '-show_format', '-of', 'json', path], { stdout: 'pipe', stderr: 'pipe' })
  const output = await new Response(child.stdout).text()
  if ((await child.exited) !== 0) throw new Error(`ffprobe failed on ${path}: ${await new Response(child.stderr).text()}`)
  return JSON.parse(output) as Probed
}

/**
 * The mean level (dBFS) of the audio around `frequency` between `from` and `to` seconds: two narrow
 * band-passes in a row, then volumedetect. A tone far from `frequency` comes out 30+ dB lower.
 */
export async function toneLevel(path: string, frequency: number, window: { from: number; to: number }): Promise<number> {
  const band = `bandpass=f=${frequency}:width_type=h:w=60`
  const child = Bun.spawn(
    ['ffmpeg', '-hide_banner', '-nostats', '-ss', window.from.toFixed(3), '-t', (window.to - window.from).toFixed(3), '-i', path, '-vn', '-af', `${band},${band},volumedetect`, '-f', 'null', '-'],
    { stdout: 'ignore', stderr: 'pipe' },
  )
  const stderr = await new Response(child.stderr).text()
  await child.exited
  const mean = /mean_volume:\s*(-?[\d.]+|-inf) dB/.exec(stderr)?.[1]
  if (mean === undefined) throw new Error(`no volumedetect result for ${path}: ${stderr.slice(-400)}`)
  return mean === '-inf' ? -120 : Number(mean)
}

/** The mean brightness (0–255) of a region of the picture at `at` seconds. */
export async function videoLevel(path: string, region: { x: number; y: number; width: number; height: number }, at: number): Promise<number> {
  const child = Bun.spawn(
    ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-ss', at.toFixed(3), '-i', path, '-an', '-frames:v', '1', '-vf', `crop=${region.width}:${region.height}:${region.x}:${region.y},scale=1:1:flags=area,format=gray`, '-f', 'rawvideo', '-'],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  const bytes = new Uint8Array(await new Response(child.stdout).arrayBuffer())
  if ((await child.exited) !== 0 || bytes.length === 0) throw new Error(`no frame at ${at}s of ${path}: ${await new Response(child.stderr).text()}`)
  return bytes[0]!
}
