/**
 * Image processing as the `images` job runs it: background removal seconds per 1-megapixel image
 * (@imgly/background-removal-node, offline ONNX model, CPU) and sharp enhancement into three social
 * formats.
 *
 *   bun bench/images.ts [--write] [--runs 3]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { enhance, removeBackground } from '../server/src/features/images/processing'
import { describeMachine, describeRevision, markdownTable, writeSection } from './lib/report'

const ROOT = resolve(import.meta.dir, '..')
const DOC = join(ROOT, 'docs/BENCHMARKS.md')
const WIDTH = 1200
const HEIGHT = 834 // 1.0 megapixel

const { values: args } = parseArgs({ options: { write: { type: 'boolean', default: false }, runs: { type: 'string', default: '3' } } })
const runs = Number(args.runs)
if (!(runs >= 1 && runs <= 20)) {
  console.error('--runs must be 1–20')
  process.exit(2)
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** A subject (a figure of overlapping shapes) on a textured, gradient background, with sensor-like noise. */
async function photoLike(path: string): Promise<void> {
  const svg = `<svg width="${WIDTH}" height="${HEIGHT}" xmlns="http://www.w3.org/2000/svg">
    <defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#9bc"/><stop offset="1" stop-color="#446"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#bg)"/>
    <ellipse cx="600" cy="260" rx="110" ry="130" fill="#e0b090"/>
    <rect x="450" y="380" width="300" height="420" rx="80" fill="#a33"/>
  </svg>`
  const noise = await sharp({ create: { width: WIDTH, height: HEIGHT, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 0, sigma: 12 } } }).png().toBuffer()
  await sharp(Buffer.from(svg)).composite([{ input: noise, blend: 'overlay' }]).jpeg({ quality: 90 }).toFile(path)
}

const loadAtStart = loadavg()[0]!
const dir = await mkdtemp(join(tmpdir(), 'parley-bench-images-'))
try {
  const input = join(dir, 'photo.jpg')
  await photoLike(input)
  const firstStarted = performance.now()
  await removeBackground(input)
  const firstSeconds = (performance.now() - firstStarted) / 1000
  console.log(`first background removal (loads the model): ${firstSeconds.toFixed(2)} s`)

  const rows: Array<{ run: number; removal: number; enhance: number }> = []
  for (let run = 1; run <= runs; run++) {
    const removalStarted = performance.now()
    const cutout = await removeBackground(input)
    const removal = (performance.now() - removalStarted) / 1000
    await writeFile(join(dir, `cutout-${run}.png`), cutout.bytes)
    const enhanceStarted = performance.now()
    for (const format of ['square', 'story', 'landscape'] as const) await enhance(input, { normalize: true, denoise: 3, sharpen: true }, format)
    const enhanced = (performance.now() - enhanceStarted) / 1000
    rows.push({ run, removal, enhance: enhanced })
    console.log(`run ${run}: removal ${removal.toFixed(2)} s, enhance ×3 ${(enhanced * 1000).toFixed(0)} ms`)
  }

  const machine = describeMachine('n/a')
  const table = markdownTable(rows, [
    { title: 'Run', align: 'right', cell: (r) => String(r.run) },
    { title: 'Background removal (s / MP)', align: 'right', cell: (r) => r.removal.toFixed(2) },
    { title: 'Enhance → square + story + landscape (ms)', align: 'right', cell: (r) => (r.enhance * 1000).toFixed(0) },
  ])
  const section = `
## Images: \`bench/images.ts\`

What one \`images\` job spends per input: background removal with \`@imgly/background-removal-node\`
(\`medium\` model, offline, CPU) on a ${WIDTH}×${HEIGHT} (1.0 MP) JPEG, and enhancement with sharp (auto-level,
median 3, sharpen) into 1080×1080, 1080×1920 and 1200×630 JPEGs. The first removal in a process also
loads the model: ${firstSeconds.toFixed(2)} s. Measured on ${machine.cpus} × ${machine.cpuModel}, Bun ${machine.bun}, ${describeRevision(ROOT)};
1-minute load average at the start: ${loadAtStart.toFixed(1)}.

${table}

**Median background removal: ${median(rows.map((r) => r.removal)).toFixed(2)} s per megapixel**; enhancement into three
formats ${(median(rows.map((r) => r.enhance)) * 1000).toFixed(0)} ms. Inference runs on a background thread of the worker process
(so job locks keep renewing); the \`images\` queue runs one job per worker process by default
(\`WORKER_CONCURRENCY_IMAGES\`). With a load average above the core count, the figures measure the
shared host as much as the code: rerun on an idle machine for a baseline.
`
  console.log(section)
  console.log(JSON.stringify({ bench: 'images', firstSeconds, rows }))
  if (args.write) writeSection(DOC, 'images', section)
} finally {
  await rm(dir, { recursive: true, force: true })
}
