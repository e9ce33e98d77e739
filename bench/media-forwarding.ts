/**
 * Forwarding cost of the media process: CPU per forwarded stream and how many consumers one
 * mediasoup worker sustains, with 1 and 2 workers.
 *
 *   bun bench/media-forwarding.ts [--write] [--levels 200,400,800,1600] [--window 5] [--workers 1,2]
 *
 * One room per worker; in each an ffmpeg-fed producer pair (Opus tone + VP8 test pattern, 320×180 at 15 fps, 300 kbps)
 * over comedia PlainTransports; consumer peers each get a recv PlainTransport sending to UDP sockets
 * in this process, counted per consumer (SSRC). At each level: worker CPU (from /proc) over the window,
 * forwarded packets/s, and what every consumer got against the best-served consumer of its producer.
 * "Sustained" = ≥ 99 % of the packets arrived and no worker was above 90 % of a core.
 */
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import type { RequestData } from '../server/src/contracts/signaling'
import { mintMediaToken } from '../media/src/auth'
import { MediaLink } from '../media/src/link'
import { ffmpegCommand, ffmpegRtpParameters, rtpReceiver } from '../media/src/test-kit'
import { cleanup, cpuSeconds, freePort, runBench, startProcess, stopProcess, tempFolder, waitForHttp } from './lib/processes'
import { describeMachine, describeRevision, markdownTable, writeSection } from './lib/report'

const ROOT = resolve(import.meta.dir, '..')
const DOC = join(ROOT, 'docs/BENCHMARKS.md')
const SECRET = 'bench-media-secret-0123456789'
const SINKS = 8

const { values: args } = parseArgs({
  options: {
    write: { type: 'boolean', default: false },
    levels: { type: 'string', default: '200,400,800,1600' },
    window: { type: 'string', default: '5' },
    workers: { type: 'string', default: '1,2' },
  },
})
const levels = args.levels.split(',').map(Number)
const windowSeconds = Number(args.window)
if (levels.some((level) => !(level >= 2 && level <= 4000)) || !(windowSeconds >= 2 && windowSeconds <= 60)) {
  console.error('--levels: consumers 2–4000 per level; --window: 2–60 s')
  process.exit(2)
}

interface Row {
  workers: number
  consumers: number
  cpuPercent: number[]
  /** The Bun process driving the workers (signaling, events from the workers). */
  mediaCpuPercent: number
  perStreamPercent: number
  packetsPerSecond: number
  microsPerPacket: number
  /** Packets that reached this process / what the best-served consumer of the same producer got, times consumers. */
  delivered: number
  sustained: boolean
  /** Set when media stopped answering while this level was being set up. */
  failure?: string
}

type Sink = Awaited<ReturnType<typeof rtpReceiver>>

async function measure(workers: number): Promise<Row[]> {
  const port = await freePort()
  const media = startProcess([process.execPath, join(ROOT, 'media/src/index.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', MEDIA_PORT: String(port), MEDIA_SECRET: SECRET, MEDIA_WORKERS: String(workers), MEDIA_MAX_PEERS_PER_ROUTER: '10000', DATA_DIR: tempFolder('parley-bench-media-'), LOG_LEVEL: 'warn' },
  })
  await waitForHttp(`http://127.0.0.1:${port}/health`, media)
  const link = await MediaLink.connect({ url: `ws://127.0.0.1:${port}`, secret: SECRET, requestTimeoutMs: 30_000 })
  const sinks: Sink[] = await Promise.all(Array.from({ length: SINKS }, () => rtpReceiver()))
  const rooms = Array.from({ length: workers }, (_, index) => `bench-${index}`)
  const rtpCapabilities = (await link.request(rooms[0]!, undefined, 'createRoom', {})).rtpCapabilities
  for (const room of rooms) {
    await link.request(room, undefined, 'createRoom', {})
    await link.request(room, 'producer', 'join', { displayName: 'producer', rtpCapabilities, device: { name: 'bench' } })
    for (const kind of ['audio', 'video'] as const) {
      const transport = await link.request(room, 'producer', 'createPlainTransport', { direction: 'send', comedia: true, rtcpMux: false })
      await link.request(room, 'producer', 'produce', { transportId: transport.transportId, kind, rtpParameters: ffmpegRtpParameters(kind), appData: { source: kind === 'audio' ? 'mic' : 'camera' } })
      startProcess(ffmpegCommand(kind, transport))
    }
  }
  /** Each consumer's outgoing SSRC → the producer it forwards, from the newConsumer offers. */
  const producerOfSsrc = new Map<number, string>()
  link.on('notification', (frame) => {
    if (frame.notification.name !== 'newConsumer' || !frame.peerId) return
    const offer = frame.notification.data
    const ssrc = (offer.rtpParameters.encodings?.[0] as { ssrc?: number } | undefined)?.ssrc
    if (ssrc) producerOfSsrc.set(ssrc, offer.producerId)
    void link.request(frame.roomId, frame.peerId, 'resumeConsumer', { consumerId: offer.consumerId })
  })
  const status = async () => (await (await fetch(`http://127.0.0.1:${port}/status`, { headers: { authorization: `Bearer ${mintMediaToken(SECRET)}` } })).json()) as { workers: Array<{ pid: number }> }
  const pids = (await status()).workers.map((worker) => worker.pid)

  const rows: Row[] = []
  let peers = 0
  try {
    await ramp()
  } catch (error) {
    // A level media cannot set up (requests time out) ends this worker count's ramp; the table says so.
    const reason = error instanceof Error ? error.message : String(error)
    console.error(`workers=${workers}: ramp stopped at ${peers * 2} consumers: ${reason}; media said: ${media.stderrTail().slice(-600)}`)
    rows.push({ workers, consumers: peers * 2, cpuPercent: [], mediaCpuPercent: 0, perStreamPercent: 0, packetsPerSecond: 0, microsPerPacket: 0, delivered: 0, sustained: false, failure: reason })
  }
  link.close()
  for (const sink of sinks) sink.close()
  await stopProcess(media.child, 10_000)
  return rows

  async function ramp(): Promise<void> {
  for (const level of levels) {
    // Each consumer peer takes the audio and the video: two consumers per peer.
    while (peers * 2 < level) {
      const room = rooms[peers % rooms.length]!
      const peerId = `c${peers}`
      await link.request(room, peerId, 'join', { displayName: peerId, rtpCapabilities: rtpCapabilities as RequestData<'join'>['rtpCapabilities'], device: { name: 'bench' } })
      const transport = await link.request(room, peerId, 'createPlainTransport', { direction: 'recv', comedia: false })
      await link.request(room, peerId, 'connectPlainTransport', { transportId: transport.transportId, ip: '127.0.0.1', port: sinks[peers % SINKS]!.port })
      peers++
    }
    await Bun.sleep(2000)
    // Counted where the packets land, in one instant per snapshot: every consumer of a producer should
    // get the same packets, so the best-served one is the reference for the others. (media's own
    // getStats is no use here: over hundreds of consumers it takes seconds and skews the counters.)
    const snapshot = () => {
      const merged = new Map<number, number>()
      for (const sink of sinks) for (const [ssrc, count] of sink.bySsrc()) merged.set(ssrc, count)
      return merged
    }
    const before = snapshot()
    const cpu0 = pids.map((pid) => cpuSeconds(pid) ?? 0)
    const mediaCpu0 = cpuSeconds(media.child.pid) ?? 0
    const started = performance.now()
    await Bun.sleep(windowSeconds * 1000)
    const after = snapshot()
    const elapsed = (performance.now() - started) / 1000
    const cpu = pids.map((pid, index) => ((cpuSeconds(pid) ?? 0) - cpu0[index]!) / elapsed)
    const mediaCpu = ((cpuSeconds(media.child.pid) ?? 0) - mediaCpu0) / elapsed
    const got = [...producerOfSsrc].map(([ssrc, producerId]) => ({ producerId, packets: (after.get(ssrc) ?? 0) - (before.get(ssrc) ?? 0) }))
    let expected = 0
    let received = 0
    for (const producerId of new Set(producerOfSsrc.values())) {
      const ofProducer = got.filter((entry) => entry.producerId === producerId)
      expected += Math.max(0, ...ofProducer.map((entry) => entry.packets)) * ofProducer.length
      received += ofProducer.reduce((total, entry) => total + entry.packets, 0)
    }
    const total = cpu.reduce((sum, value) => sum + value, 0)
    const row: Row = {
      workers,
      consumers: producerOfSsrc.size,
      cpuPercent: cpu.map((value) => value * 100),
      mediaCpuPercent: mediaCpu * 100,
      perStreamPercent: (total * 100) / producerOfSsrc.size,
      packetsPerSecond: received / elapsed,
      microsPerPacket: (total * 1e6) / (received / elapsed),
      delivered: expected ? received / expected : 0,
      sustained: false,
    }
    row.sustained = row.delivered >= 0.99 && cpu.every((value) => value < 0.9)
    rows.push(row)
    console.log(`workers=${workers} consumers=${row.consumers} cpu=${cpu.map((value) => `${(value * 100).toFixed(0)}%`).join('+')} media=${(mediaCpu * 100).toFixed(0)}% pps=${Math.round(row.packetsPerSecond)} delivered=${(row.delivered * 100).toFixed(1)}%`)
  }
  }
}

await runBench('media-forwarding', async () => {
  const rows: Row[] = []
  for (const workers of args.workers.split(',').map(Number)) rows.push(...(await measure(workers)))
  const best = (workers: number) => Math.max(0, ...rows.filter((row) => row.workers === workers && row.sustained).map((row) => row.consumers))
  const machine = describeMachine('—')
  const table = markdownTable(rows, [
    { title: 'Workers', align: 'right', cell: (row) => String(row.workers) },
    { title: 'Consumers', align: 'right', cell: (row) => String(row.consumers) },
    { title: 'Worker CPU (% of a core)', align: 'right', cell: (row) => row.cpuPercent.map((value) => value.toFixed(0)).join(' + ') || '—' },
    { title: 'media process CPU (Bun)', align: 'right', cell: (row) => (row.failure ? '—' : `${row.mediaCpuPercent.toFixed(0)}`) },
    { title: 'CPU per forwarded stream', align: 'right', cell: (row) => (row.failure ? '—' : `${row.perStreamPercent.toFixed(3)} %`) },
    { title: 'Forwarded packets/s', align: 'right', cell: (row) => (row.failure ? '—' : Math.round(row.packetsPerSecond).toLocaleString('en-US')) },
    { title: 'Worker CPU µs/packet', align: 'right', cell: (row) => (row.failure ? '—' : row.microsPerPacket.toFixed(1)) },
    { title: 'Packets delivered', align: 'right', cell: (row) => (row.failure ? '—' : `${(row.delivered * 100).toFixed(1)} %`) },
    { title: 'Sustained', cell: (row) => (row.failure ? `no: setting up this level failed (${row.failure})` : row.sustained ? 'yes' : 'no') },
  ])
  const section = [
    '## Media forwarding (`bench/media-forwarding.ts`)',
    '',
    `${new Date().toISOString().slice(0, 10)}, ${describeRevision(ROOT)}, ${machine.cpus} × ${machine.cpuModel}, Bun ${machine.bun}; ${windowSeconds} s windows. One room per worker, an Opus (64 kbps) + VP8 (320×180, 15 fps, 300 kbps) producer pair fed by ffmpeg, consumers on PlainTransports to local UDP sockets.`,
    '',
    table,
    '',
    `- Largest sustained level measured: ${best(1)} consumers on 1 worker, ${best(2)} on 2 workers (mediasoup's guide: about 500 per worker).`,
  ].join('\n')
  console.log(`\n${section}\n`)
  if (args.write) writeSection(DOC, 'bench:media-forwarding', section)
  await cleanup()
})
