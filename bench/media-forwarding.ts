/**
 * Forwarding cost of the media process: CPU per forwarded stream and how many consumers one
 * mediasoup worker sustains, and how that scales from 1 to 2 workers, in one invocation.
 *
 *   bun bench/media-forwarding.ts [--write] [--steps 1000,2000,3000,3500,4000,5000] [--window 5]
 *                                 [--settle 3] [--batch 10] [--workers 1,2]
 *
 * Each (workers, step) gets a fresh media process and one room: an Opus + VP8 producer pair fed by
 * ffmpeg over PlainTransports, and step/2 consumer peers on recv PlainTransports, set up in bounded
 * batches. With 2 workers the room is split in halves across both workers by pipeToRouter (the
 * product's path for big rooms), with the same feeders. Worker CPU comes from /proc, apart from the
 * feeders, the media process (Bun) and everything else on the machine. See sustained() for the bar.
 */
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { SetupError, startRig, type Rig } from './lib/forwarding-rig'
import { loadAverage, rates, sampleLoad, udpDrops } from './lib/proc-load'
import { cleanup, runBench } from './lib/processes'
import { describeMachine, describeRevision, markdownTable, writeSection } from './lib/report'
import { startRtpDrain } from './lib/rtp-drain'

const ROOT = resolve(import.meta.dir, '..')
const DOC = join(ROOT, 'docs/BENCHMARKS.md')
/** Counted consumer peers per step at most (two streams each); the rest go to the drain. */
const SAMPLE_PEERS = 100

const { values: args } = parseArgs({
  options: {
    write: { type: 'boolean', default: false },
    steps: { type: 'string', default: '1000,2000,3000,3500,4000,5000' },
    window: { type: 'string', default: '5' },
    settle: { type: 'string', default: '3' },
    batch: { type: 'string', default: '10' },
    workers: { type: 'string', default: '1,2' },
  },
})
const steps = args.steps.split(',').map(Number)
const workerCounts = args.workers.split(',').map(Number)
const windowSeconds = Number(args.window)
const settleSeconds = Number(args.settle)
const batch = Number(args.batch)
if (steps.some((step) => !(step >= 2 && step <= 8000 && step % 2 === 0)) || !(windowSeconds >= 2 && windowSeconds <= 60) || !(settleSeconds >= 0 && settleSeconds <= 60) || !(batch >= 1 && batch <= 200) || workerCounts.some((count) => !(count >= 1 && count <= 2))) {
  console.error('--steps: even consumer counts 2–8000; --window: 2–60 s; --settle: 0–60 s; --batch: 1–200 peers; --workers: 1 and/or 2')
  process.exit(2)
}

interface Window {
  seconds: number
  workerCores: number[]
  mediaCores: number
  feederCores: number
  /** This process: counting the sampled consumers' packets, signaling. */
  benchCores: number
  /** Busy cores of the whole machine minus everything this benchmark runs: the other engineers' load. */
  othersCores: number
  /** Packets/s of the best-served counted consumer, per kind. */
  referencePps: Record<'audio' | 'video', number>
  /** The best-served consumer's packets / what the feeders sent (their rate measured before the others joined). */
  keptUp: number
  /** Counted consumers' packets / the best-served one's, on average and the worst one. */
  delivered: number
  worst: number
  /** Share of the feeders' packets the kernel dropped at the worker's input sockets. */
  inputLoss: number
  /** Packets the kernel dropped at this process' counting sockets: the counting fell behind, not media. */
  sinkDrops: number
  forwardedPps: number
}

interface Row {
  workers: number
  consumers: number
  perWorker: number[]
  setupSeconds: number
  window: Window | null
  /** The first window missed the bar and a second one, right after, met it (a noisy neighbour). */
  secondWindow: boolean
  /** The first attempt at this step missed; this is the second, on a fresh media process. */
  retried?: boolean
  sustained: boolean
  failure?: string
}

/**
 * Sustained: over the window the best-served counted consumer got 95–110 % of what the feeders send (a
 * worker that falls behind its input delays everything; more than 110 % is a backlog caught up), the counted consumers got on average ≥ 99 % of
 * the packets the best-served one got and none under 95 %, the kernel dropped ≤ 1 % of the feeders' packets at the
 * worker, and setting the step up raised no timeout.
 */
function sustained(window: Window): boolean {
  return window.referencePps.audio > 0 && window.referencePps.video > 0 && window.keptUp >= 0.95 && window.keptUp <= 1.1 && window.delivered >= 0.99 && window.worst >= 0.95 && window.inputLoss <= 0.01
}

async function measure(rig: Rig, consumers: number): Promise<Window> {
  const snapshot = () => {
    const merged = new Map<number, number>()
    for (const sink of rig.sinks) for (const [ssrc, count] of sink.bySsrc()) merged.set(ssrc, count)
    return merged
  }
  const groups = { workers: rig.workerPids, media: [rig.mediaPid], feeders: rig.feederPids, bench: [process.pid] }
  const sinkPorts = rig.sinks.map((sink) => sink.port)
  const before = { packets: snapshot(), drops: udpDrops(rig.producerPorts), sinkDrops: udpDrops(sinkPorts), load: sampleLoad(groups) }
  await Bun.sleep(windowSeconds * 1000)
  const after = { packets: snapshot(), drops: udpDrops(rig.producerPorts), sinkDrops: udpDrops(sinkPorts), load: sampleLoad(groups) }
  const used = rates(before.load, after.load)
  const sum = (values: number[] = []) => values.reduce((total, value) => total + value, 0)
  const ours = sum(used.groups.workers) + sum(used.groups.media) + sum(used.groups.feeders) + sum(used.groups.bench)
  const byKind = { audio: [] as number[], video: [] as number[] }
  for (const [ssrc, kind] of rig.sampled) byKind[kind].push((after.packets.get(ssrc) ?? 0) - (before.packets.get(ssrc) ?? 0))
  const best = { audio: Math.max(0, ...byKind.audio), video: Math.max(0, ...byKind.video) }
  const counted = [...byKind.audio.map((packets) => packets / best.audio), ...byKind.video.map((packets) => packets / best.video)].map((share) => (Number.isFinite(share) ? share : 0))
  const inputPackets = best.audio + best.video
  const dropped = after.drops - before.drops
  return {
    seconds: used.seconds,
    workerCores: used.groups.workers ?? [],
    mediaCores: sum(used.groups.media),
    feederCores: sum(used.groups.feeders),
    benchCores: sum(used.groups.bench),
    othersCores: Math.max(0, used.machine - ours),
    referencePps: { audio: best.audio / used.seconds, video: best.video / used.seconds },
    keptUp: inputPackets / ((rig.feederPps.audio + rig.feederPps.video) * used.seconds),
    delivered: counted.length ? sum(counted) / counted.length : 0,
    worst: counted.length ? Math.min(...counted) : 0,
    inputLoss: inputPackets + dropped > 0 ? dropped / (inputPackets + dropped) : 1,
    sinkDrops: after.sinkDrops - before.sinkDrops,
    forwardedPps: ((consumers / 2) * inputPackets * (counted.length ? sum(counted) / counted.length : 0)) / used.seconds,
  }
}

async function runStep(workers: number, consumers: number, drainPorts: number[]): Promise<Row> {
  const peers = consumers / 2
  const row: Row = { workers, consumers, perWorker: [], setupSeconds: 0, window: null, secondWindow: false, sustained: false }
  let rig: Rig
  try {
    rig = await startRig({ root: ROOT, workers, peers, batch, sampleEvery: Math.max(1, Math.ceil(peers / SAMPLE_PEERS)), drainPorts, requestTimeoutMs: 20_000, calibrateSeconds: 4 })
  } catch (error) {
    if (!(error instanceof SetupError)) throw error
    row.failure = `setup stopped at ${error.consumers} consumers: ${error.message}`
    return row
  }
  try {
    row.setupSeconds = rig.setupSeconds
    row.perWorker = await rig.consumersPerWorker()
    await Bun.sleep(settleSeconds * 1000)
    row.window = await measure(rig, consumers)
    if (!sustained(row.window)) {
      const second = await measure(rig, consumers)
      if (sustained(second)) Object.assign(row, { window: second, secondWindow: true })
    }
    row.sustained = sustained(row.window)
  } finally {
    await rig.close()
  }
  return row
}

const pct = (share: number, digits = 1) => `${(share * 100).toFixed(digits)} %`

function logRow(row: Row): void {
  const window = row.window
  if (!window) return console.log(`workers=${row.workers} consumers=${row.consumers} saturated: ${row.failure}`)
  console.log(
    `workers=${row.workers} consumers=${row.consumers} (${row.perWorker.join('+')}) setup=${row.setupSeconds.toFixed(1)}s worker=${window.workerCores.map((cores) => pct(cores, 0)).join('+')} media=${pct(window.mediaCores, 0)} feeders=${pct(window.feederCores, 0)} bench=${pct(window.benchCores, 0)} others=${window.othersCores.toFixed(2)} cores delivered=${pct(window.delivered)} worst=${pct(window.worst)} inputLoss=${pct(window.inputLoss, 2)} sinkDrops=${window.sinkDrops} best=${window.referencePps.audio.toFixed(0)}/${window.referencePps.video.toFixed(0)} pps keptUp=${pct(window.keptUp)} ${row.sustained ? 'sustained' : 'NOT sustained'}${row.secondWindow ? ' (2nd window)' : ''}${row.retried ? ' (2nd attempt)' : ''}`,
  )
}

function perStream(row: Row): number {
  return row.window ? row.window.workerCores.reduce((total, cores) => total + cores, 0) / row.consumers : 0
}

await runBench('media-forwarding', async () => {
  const loadBefore = loadAverage()
  const drainPorts = await startRtpDrain(8)
  const rows: Row[] = []
  // Step by step, the configurations back to back, so a neighbour's load drifting over the run
  // weighs on both alike; a configuration that saturates sits out the larger steps.
  const saturated = new Set<number>()
  for (const consumers of steps) {
    for (const workers of workerCounts) {
      if (saturated.has(workers)) continue
      let row = await runStep(workers, consumers, drainPorts)
      logRow(row)
      // A miss must repeat on a fresh process to count: one neighbour's burst is not saturation.
      if (!row.sustained) {
        row = { ...(await runStep(workers, consumers, drainPorts)), retried: true }
        logRow(row)
      }
      rows.push(row)
      if (!row.sustained) saturated.add(workers)
    }
  }
  rows.sort((a, b) => a.workers - b.workers || a.consumers - b.consumers)
  const loadAfter = loadAverage()
  const best = (workers: number) => Math.max(0, ...rows.filter((row) => row.workers === workers && row.sustained).map((row) => row.consumers))
  const toppedOut = (workers: number) => rows.some((row) => row.workers === workers && !row.sustained)
  const common = [...new Set(rows.filter((row) => row.workers === 1 && row.sustained).map((row) => row.consumers))].filter((consumers) => rows.some((row) => row.workers === 2 && row.sustained && row.consumers === consumers))
  const at = common.at(-1)
  const costRatio = at ? perStream(rows.find((row) => row.workers === 2 && row.consumers === at)!) / perStream(rows.find((row) => row.workers === 1 && row.consumers === at)!) : null
  const perCore = (workers: number) => {
    const row = rows.find((candidate) => candidate.workers === workers && candidate.sustained && candidate.consumers === best(workers))
    const cores = row?.window?.workerCores.reduce((total, value) => total + value, 0) ?? 0
    return cores > 0 ? Math.round(row!.consumers / cores).toLocaleString('en-US') : 'n/a'
  }
  const others = rows.flatMap((row) => (row.window ? [row.window.othersCores] : []))
  const machine = describeMachine('—')
  const table = markdownTable(rows, [
    { title: 'Workers', align: 'right', cell: (row) => String(row.workers) },
    { title: 'Consumers (per worker)', align: 'right', cell: (row) => `${row.consumers}${row.perWorker.length > 1 ? ` (${row.perWorker.join(' + ')})` : ''}` },
    { title: 'Setup', align: 'right', cell: (row) => (row.window ? `${row.setupSeconds.toFixed(1)} s` : '—') },
    { title: 'Worker CPU (% of a core)', align: 'right', cell: (row) => row.window?.workerCores.map((cores) => (cores * 100).toFixed(0)).join(' + ') ?? '—' },
    { title: 'Worker CPU per stream', align: 'right', cell: (row) => (row.window ? `${(perStream(row) * 100).toFixed(3)} %` : '—') },
    { title: 'µs per forwarded packet', align: 'right', cell: (row) => (row.window ? ((row.window.workerCores.reduce((total, cores) => total + cores, 0) * 1e6) / row.window.forwardedPps).toFixed(1) : '—') },
    { title: 'Delivered (mean / worst)', align: 'right', cell: (row) => (row.window ? `${pct(row.window.delivered)} / ${pct(row.window.worst)}` : '—') },
    { title: 'Best consumer / feeders', align: 'right', cell: (row) => (row.window ? pct(row.window.keptUp) : '—') },
    { title: 'Input dropped', align: 'right', cell: (row) => (row.window ? pct(row.window.inputLoss, 2) : '—') },
    { title: 'Feeders / media (Bun) / bench / others, cores', align: 'right', cell: (row) => (row.window ? [row.window.feederCores, row.window.mediaCores, row.window.benchCores, row.window.othersCores].map((cores) => cores.toFixed(2)).join(' / ') : '—') },
    { title: 'Sustained', cell: (row) => (row.failure ? `no, saturated (twice): ${row.failure.slice(0, 160)}` : row.sustained ? `yes${row.retried ? ' (2nd attempt)' : ''}${row.secondWindow ? ' (2nd window)' : ''}` : 'no, saturated (twice)') },
  ])
  const describe = (workers: number) => `${best(workers) || 'none'}${toppedOut(workers) ? '' : ` (every step up to ${steps.at(-1)} held: a lower bound)`}`
  const ratio = best(1) && best(2) ? `${(best(2) / best(1)).toFixed(2)}×` : 'n/a'
  const section = [
    '## Media forwarding (`bench/media-forwarding.ts`)',
    '',
    `${new Date().toISOString().slice(0, 10)}, ${describeRevision(ROOT)}, ${machine.cpus} × ${machine.cpuModel}, Bun ${machine.bun}, mediasoup 3.8.4; steps ${steps.join(', ')} consumers, batches of ${batch} peers, ${settleSeconds} s settle, ${windowSeconds} s windows. Load average ${loadBefore} before the run and ${loadAfter} after; the other engineers' processes used ${others.length ? `${Math.min(...others).toFixed(2)}–${Math.max(...others).toFixed(2)}` : '?'} of the ${machine.cpus} cores during the windows (last column).`,
    '',
    'Each row is a fresh media process with one room: one producer peer (Opus 64 kbps + VP8 320×180 15 fps 300 kbps, fed by two ffmpeg processes over comedia PlainTransports) and consumers/2 peers each consuming both, on recv PlainTransports. With 2 workers the same room is split in halves by `MEDIA_MAX_PEERS_PER_ROUTER`, the second router on the other worker gets the producers by `pipeToRouter` — the product\'s path for big rooms, with the same two feeders as with 1 worker (two rooms, one per worker, would double the feeders or halve each room). Up to 100 peers per step send to counting sockets; the rest to sockets that are never read, so the benchmark\'s own process stays light. Worker CPU is read from /proc for the mediasoup worker processes only: the feeders, the media process (Bun) and the others are shown apart and are not in the per-stream figure.',
    '',
    '**Sustained** = over the window the best-served counted consumer received 95–110 % of the packets the feeders send (their rate is measured on the first consumer before the others join; a worker that falls behind delays every consumer alike, which the relative figures alone would miss, and more than 110 % is a backlog being caught up), the counted consumers received on average ≥ 99 % of the packets the best-served one did and none < 95 %, the kernel dropped ≤ 1 % of the feeders\' packets at the worker\'s input sockets (/proc/net/udp), and setting the step up met no request timeout (20 s on the channel). The steps run in order, 1 worker and 2 workers back to back at each, so load drifting over the run weighs on both; a step that misses (after a second window right away) is tried once more on a fresh process, and when it misses again it is "saturated" and ends that configuration\'s ladder, the run goes on.',
    '',
    'Why the first version of this benchmark aborted with a channel timeout: it grew one media process step after step, one peer at a time with every resume fired unbounded, and counted all streams in its own Bun process (about 50,000 packets/s of JS callbacks on the same two cores). Reproduced with a bare mediasoup worker and no media process: at about 1,800 consumers, with the other engineers\' load on the machine, the worker ran at all the CPU it could get (more system than user time: sending UDP), fell behind its input, and a `transport.consume` waited behind that backlog past mediasoup\'s 15 s channel timeout (`Channel request timeout`, logged by media as `consume() [failed]`). That is the saturation symptom, not a separate bug in media/src. Now consumers are set up in batches whose resumes are awaited, each step starts from a fresh process, only a sample is counted, and a timeout marks the step saturated. The Setup column is a saturation warning too: it grows much faster than the consumers once the worker is short of CPU.',
    '',
    table,
    '',
    `- Largest sustained step: ${describe(1)} consumers on 1 worker, ${describe(2)} on 2 workers (mediasoup's guide: about 500 per worker). 2 workers / 1 worker: ${ratio}.`,
    `- Consumers per core of worker CPU at the largest sustained step (what the workers could carry with a free core each, a projection): ${[1, 2].filter((workers) => best(workers)).map((workers) => `${workers} worker${workers > 1 ? 's' : ''}: ${perCore(workers)}`).join(', ') || 'n/a'}. On these 2 cores 2 workers cannot each get one: the feeders, this process and the other engineers' work take the rest, so the 2-worker ceiling here is the machine's, not mediasoup's.`,
    `- Worker CPU per forwarded stream, 2 workers / 1 worker${at ? ` at ${at} consumers` : ''}: ${costRatio ? `${costRatio.toFixed(2)}×` : 'n/a'} (the pipe adds a consumer and a producer per stream on the way to the second worker).`,
  ].join('\n')
  console.log(`\n${section}\n`)
  if (args.write) writeSection(DOC, 'bench:media-forwarding', section)
  await cleanup()
})
