import type { Logger } from '../../server/src/logger'
import { errorFields } from '../../server/src/logger'
import type { NotificationData, ResponseData } from '../../server/src/contracts/signaling'
import { sourceOf, type Peer } from './peer'

/** How often each receiver's bandwidth estimate and scores feed its degradation ladder. */
export const QUALITY_SAMPLE_MS = 2000

type PeerStats = ResponseData<'getStats'>['peers'][number]

/** The recv transport's bandwidth estimate toward the peer (WebRTC only; plain transports have none). */
async function availableBitrate(peer: Peer): Promise<number | null> {
  const transport = peer.recvTransport
  if (!transport || transport.closed) return null
  const [stats] = (await transport.getStats()) as Array<{ availableOutgoingBitrate?: number }>
  return stats?.availableOutgoingBitrate ?? null
}

/** Samples every peer's ladder on a timer; answers the function that stops it. */
export function monitorQuality(peers: () => Peer[], onChange: (peer: Peer, change: NotificationData<'qualityChanged'>) => void, logger: Logger): () => void {
  let running = false
  const timer = setInterval(async () => {
    if (running) return
    running = true
    try {
      for (const peer of peers()) {
        // Plain-RTP receivers (AI participants, tools) send no receiver reports: no score, no estimate, no ladder.
        if (peer.closed || !peer.receivesOverWebRtc) continue
        const sample = { availableBitrate: await availableBitrate(peer), score: peer.quality.lowestScore() }
        const change = await peer.quality.sample(sample)
        if (change && !peer.closed) onChange(peer, { ...change, availableBitrate: sample.availableBitrate, score: sample.score })
      }
    } catch (error) {
      // @NOTE: a transport closing mid-sample; the next tick sees the new state.
      logger.debug('monitorQuality() [sample failed]', errorFields(error))
    } finally {
      running = false
    }
  }, QUALITY_SAMPLE_MS)
  return () => clearInterval(timer)
}

type RtpStat = { type: string; packetCount?: number; byteCount?: number; bitrate?: number; fractionLost?: number; roundTripTime?: number; score?: number }

function pick(stats: RtpStat[], type: string): RtpStat | undefined {
  return stats.find((stat) => stat.type === type)
}

/** Bitrate, loss, RTT and scores of one peer, for getStats. */
export async function peerStats(peer: Peer): Promise<PeerStats> {
  const transports = await Promise.all(peer.transports.map(async ({ transport }) => ((await transport.getStats().catch(() => [])) as Array<{ sendBitrate?: number; recvBitrate?: number }>)[0]))
  const producers = await Promise.all(peer.producers.map(async (producer) => ({ producer, stats: (await producer.getStats().catch(() => [])) as RtpStat[] })))
  const consumers = await Promise.all(peer.consumers.map(async (consumer) => ({ consumer, stats: (await consumer.getStats().catch(() => [])) as RtpStat[] })))
  const inbound = producers.flatMap(({ stats }) => stats.filter((stat) => stat.type === 'inbound-rtp'))
  const rtts = [...inbound, ...consumers.map(({ stats }) => pick(stats, 'outbound-rtp')).filter((stat): stat is RtpStat => !!stat)]
    .map((stat) => stat.roundTripTime)
    .filter((rtt): rtt is number => typeof rtt === 'number' && rtt > 0)
  const lowest = (scores: number[]) => (scores.length ? Math.min(...scores) : null)
  return {
    peerId: peer.id,
    sendBitrate: sum(transports.map((stat) => stat?.recvBitrate ?? 0)),
    recvBitrate: sum(transports.map((stat) => stat?.sendBitrate ?? 0)),
    packetLoss: inbound.length ? Math.max(...inbound.map((stat) => (stat.fractionLost ?? 0) / 256)) : 0,
    rttMs: rtts.length ? Math.max(...rtts) : null,
    producerScore: lowest(peer.producers.flatMap((producer) => producer.score.map((entry) => entry.score))),
    consumerScore: lowest(peer.consumers.map((consumer) => consumer.score.score)),
    quality: peer.quality.ladder.step,
    availableBitrate: await availableBitrate(peer).catch(() => null),
    consumers: consumers.map(({ consumer, stats }) => {
      const outbound = pick(stats, 'outbound-rtp')
      return {
        consumerId: consumer.id,
        kind: consumer.kind,
        packetCount: outbound?.packetCount ?? 0,
        byteCount: outbound?.byteCount ?? 0,
        score: outbound?.score ?? null,
        paused: consumer.paused,
        spatialLayer: consumer.currentLayers?.spatialLayer ?? null,
      }
    }),
    producers: producers.map(({ producer, stats }) => ({
      producerId: producer.id,
      kind: producer.kind,
      source: sourceOf(producer),
      packetCount: sum(stats.map((stat) => stat.packetCount ?? 0)),
      byteCount: sum(stats.map((stat) => stat.byteCount ?? 0)),
      score: lowest(stats.map((stat) => stat.score ?? 0)),
    })),
  }
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0)
}
