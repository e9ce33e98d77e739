/**
 * The `media` job on a 12-megapixel JPEG, as the worker runs it (MediaProcessor.process: read the
 * dimensions, write WebP thumbnails at 160, 320 and 640 px into storage, record them), against
 * baselines in the same run: one bare sharp resize of the same file to a 320 px WebP, and the three
 * thumbnails the way the job made them before (one decode of the original per size).
 *
 *   bun bench/thumbnails.ts [--write] [--runs 9]
 */
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import sharp from 'sharp'
import { loadConfig } from '../server/src/config'
import { openDatabase } from '../server/src/db/client'
import { files } from '../server/src/db/schema'
import { MediaProcessor } from '../server/src/features/files/media'
import { createStorage } from '../server/src/storage/storage'
import { seedUser } from './lib/chat-fixtures'
import { percentile, sortedCopy } from './lib/latency'
import { describeMachine, describeRevision, markdownTable, writeSection } from './lib/report'

const ROOT = resolve(import.meta.dir, '..')
const DOC = join(ROOT, 'docs/BENCHMARKS.md')
const WIDTH = 4000
const HEIGHT = 3000 // 12 megapixels

const { values: args } = parseArgs({ options: { write: { type: 'boolean', default: false }, runs: { type: 'string', default: '9' } } })
const runs = Number(args.runs)
if (!(runs >= 3 && runs <= 50)) {
  console.error('--runs must be 3–50')
  process.exit(2)
}

/** A camera-like 12 MP JPEG: a gradient and shapes under sensor noise (noise is what makes JPEGs big and slow). */
async function photo(path: string): Promise<void> {
  const svg = `<svg width="${WIDTH}" height="${HEIGHT}" xmlns="http://www.w3.org/2000/svg">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#8ab"/><stop offset="1" stop-color="#335"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/><circle cx="2000" cy="1300" r="700" fill="#d96"/><rect x="600" y="1900" width="2800" height="700" fill="#264"/>
  </svg>`
  const noise = await sharp({ create: { width: WIDTH, height: HEIGHT, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 0, sigma: 14 } } }).png().toBuffer()
  await sharp(Buffer.from(svg)).composite([{ input: noise, blend: 'overlay' }]).jpeg({ quality: 92 }).toFile(path)
}

const dir = await mkdtemp(join(tmpdir(), 'parley-bench-thumbs-'))
try {
  const loadAtStart = loadavg()[0]!
  const config = loadConfig({ DATA_DIR: dir, NODE_ENV: 'production', LOG_LEVEL: 'silent' })
  const db = openDatabase(config.databasePath)
  const storage = createStorage(config.files)
  const processor = new MediaProcessor(db, config.files, storage)
  const owner = seedUser(db.$client, 'bench-thumbs')
  const source = join(dir, 'photo.jpg')
  await photo(source)
  const bytes = (await stat(source)).size

  const job: number[] = []
  const baseline: number[] = []
  const perSize: number[] = []
  for (let run = 0; run <= runs; run++) {
    // Each run processes a fresh file row; the storage backend may move what it is given, so it gets a copy.
    const id = Bun.randomUUIDv7()
    const staged = join(dir, `${id}.jpg`)
    await copyFile(source, staged)
    await storage.putFile(`files/${id}/original`, staged, 'image/jpeg')
    db.insert(files).values({ id, ownerId: owner.userId, name: 'photo.jpg', mime: 'image/jpeg', kind: 'image', status: 'ready', size: bytes, storageKey: `files/${id}/original`, createdAt: new Date() }).run()

    const jobStarted = performance.now()
    const result = await processor.process(id)
    const jobMs = performance.now() - jobStarted
    if (!result.processed || Object.keys(result.meta.variants ?? {}).length < 3) throw new Error(`the media job did not make three thumbnails: ${JSON.stringify(result.meta)}`)

    const bareStarted = performance.now()
    await sharp(source).rotate().resize(320, 320, { fit: 'inside' }).webp().toBuffer()
    const bareMs = performance.now() - bareStarted

    const perSizeStarted = performance.now()
    for (const size of [160, 320, 640]) await sharp(source, { animated: false }).rotate().resize(size, size, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 }).toBuffer()
    const perSizeMs = performance.now() - perSizeStarted
    // The first run of each warms sharp's caches and thread pool; it is not counted.
    if (run === 0) continue
    job.push(jobMs)
    baseline.push(bareMs)
    perSize.push(perSizeMs)
    console.log(`run ${run}: media job ${jobMs.toFixed(0)} ms, bare resize ${bareMs.toFixed(0)} ms, one decode per size ${perSizeMs.toFixed(0)} ms`)
  }

  const sortedJob = sortedCopy(job)
  const sortedBare = sortedCopy(baseline)
  const sortedPerSize = sortedCopy(perSize)
  const rows = [
    { series: 'media job: dimensions + WebP 160/320/640 into storage (one decode)', p50: percentile(sortedJob, 50), p95: percentile(sortedJob, 95) },
    { series: 'baseline: one sharp resize to a 320 px WebP', p50: percentile(sortedBare, 50), p95: percentile(sortedBare, 95) },
    { series: 'before: the three WebPs with one decode of the original each (no storage)', p50: percentile(sortedPerSize, 50), p95: percentile(sortedPerSize, 95) },
  ]
  const machine = describeMachine('n/a')
  const table = markdownTable(rows, [
    { title: 'Series', align: 'left', cell: (r) => r.series },
    { title: 'p50 ms', align: 'right', cell: (r) => r.p50.toFixed(0) },
    { title: 'p95 ms', align: 'right', cell: (r) => r.p95.toFixed(0) },
  ])
  const ratio = rows[0]!.p50 / rows[1]!.p50
  const saved = rows[0]!.p50 / rows[2]!.p50
  const section = `
## Thumbnails: \`bench/thumbnails.ts\`

The \`media\` job on a ${WIDTH}×${HEIGHT} (12 MP, ${(bytes / 1024 / 1024).toFixed(1)} MB) camera-like JPEG, run in process through
\`MediaProcessor.process\` exactly as the worker calls it (local storage, a fresh file row each run), against one bare sharp
resize of the same file to a 320 px WebP and the three thumbnails made the old way (one decode per size), in the same run. ${runs} runs after one warm-up; ${machine.cpus} × ${machine.cpuModel},
Bun ${machine.bun}, ${describeRevision(ROOT)}; 1-minute load average at the start: ${loadAtStart.toFixed(1)}.

${table}

**p50 per 12 MP JPEG: ${rows[0]!.p50.toFixed(0)} ms**, ${ratio.toFixed(2)}× the bare resize and ${(saved * 100).toFixed(0)}% of the old way's
time (which also skipped storage). Decoding the JPEG dominates: the job now decodes it once, upright and shrunk to
640 px as raw pixels (JPEG shrink-on-load does most of that), and encodes all three WebPs from those pixels
(\`MediaProcessor\` \`#thumbnails\`); the dimensions come from the header only. The first run of each series warms
sharp and is not counted; the machine is shared, so compare rows within one run.
`
  console.log(section)
  console.log(JSON.stringify({ bench: 'thumbnails', runs, job, baseline }))
  if (args.write) writeSection(DOC, 'thumbnails', section)
  db.$client.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}
