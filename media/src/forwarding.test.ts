import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Subprocess } from 'bun'
import { DEVICE, TestLink, eventually, feedFfmpeg, ffmpegRtpParameters, rtpReceiver, startMedia, type StartedMedia } from './test-kit'

let media: StartedMedia
let link: TestLink
const feeders: Subprocess[] = []

beforeAll(async () => {
  media = await startMedia()
  link = await TestLink.connect(media.url)
})

afterAll(async () => {
  for (const feeder of feeders) feeder.kill('SIGKILL')
  link?.close()
  await media?.stop()
})

/** Joins a peer with the room's own capabilities (what a plain-RTP participant can receive). */
async function join(roomId: string, peerId: string) {
  const { rtpCapabilities } = await link.link.request(roomId, peerId, 'getRouterRtpCapabilities', {})
  return link.link.request(roomId, peerId, 'join', { displayName: peerId, rtpCapabilities, device: DEVICE })
}

/** A send plain transport fed by ffmpeg, and its producer. */
async function produce(roomId: string, peerId: string, kind: 'audio' | 'video') {
  const transport = await link.link.request(roomId, peerId, 'createPlainTransport', { direction: 'send', comedia: true, rtcpMux: false })
  const { producerId } = await link.link.request(roomId, peerId, 'produce', {
    transportId: transport.transportId,
    kind,
    rtpParameters: ffmpegRtpParameters(kind),
    appData: { source: kind === 'audio' ? 'mic' : 'camera' },
  })
  feeders.push(feedFfmpeg(kind, transport))
  return producerId
}

/** A recv plain transport sending to a local UDP socket; resumes every consumer it is offered. */
async function receive(roomId: string, peerId: string) {
  const receiver = await rtpReceiver()
  const transport = await link.link.request(roomId, peerId, 'createPlainTransport', { direction: 'recv', comedia: false })
  await link.link.request(roomId, peerId, 'connectPlainTransport', { transportId: transport.transportId, ip: '127.0.0.1', port: receiver.port })
  return receiver
}

async function consumersFor(peerId: string, producerIds: string[]) {
  const offers = await Promise.all(producerIds.map((producerId) => link.waitFor('newConsumer', (frame) => frame.peerId === peerId && frame.notification.data.producerId === producerId)))
  return offers
}

describe('forwarding', () => {
  test('ffmpeg audio and video reach a peer that was waiting and a peer that joins later, over plain transports', async () => {
    const created = await link.link.request('room-fwd', undefined, 'createRoom', {})
    expect(created.roomId).toBe('room-fwd')
    expect(created.rtpCapabilities.codecs.map((codec) => codec.mimeType)).toContain('video/VP8')
    // createRoom is idempotent.
    expect((await link.link.request('room-fwd', undefined, 'createRoom', {})).roomId).toBe('room-fwd')

    await join('room-fwd', 'alice')
    await join('room-fwd', 'bob')
    const bobReceiver = await receive('room-fwd', 'bob')
    const audioId = await produce('room-fwd', 'alice', 'audio')
    const videoId = await produce('room-fwd', 'alice', 'video')
    await link.waitFor('peerJoined', (frame) => frame.notification.data.peerId === 'bob')

    const carol = await join('room-fwd', 'carol')
    expect(carol.peers.find((peer) => peer.peerId === 'alice')?.producers.map((producer) => producer.source).sort()).toEqual(['camera', 'mic'])
    const carolReceiver = await receive('room-fwd', 'carol')

    for (const [peerId, receiver] of [['bob', bobReceiver], ['carol', carolReceiver]] as const) {
      const offers = await consumersFor(peerId, [audioId, videoId])
      expect(offers.map((offer) => offer.kind).sort()).toEqual(['audio', 'video'])
      for (const offer of offers) {
        expect(offer.producerPeerId).toBe('alice')
        await link.link.request('room-fwd', peerId, 'resumeConsumer', { consumerId: offer.consumerId })
      }
      const [audioPt, videoPt] = ['audio', 'video'].map((kind) => offers.find((offer) => offer.kind === kind)!.rtpParameters.codecs[0]!.payloadType!)
      // Video starts at the producer's next keyframe (ffmpeg sends one every 10 frames); slow on a busy machine.
      await eventually(() => [receiver.count(audioPt), receiver.count(videoPt)], ([audio, video]) => audio! > 25 && video! > 25, 45_000)
    }

    const stats = await link.link.request('room-fwd', 'bob', 'getStats', {})
    const alice = stats.peers.find((peer) => peer.peerId === 'alice')!
    const bob = stats.peers.find((peer) => peer.peerId === 'bob')!
    expect(alice.producers.every((producer) => producer.packetCount > 0)).toBe(true)
    expect(bob.consumers).toHaveLength(2)
    expect(bob.consumers.every((consumer) => consumer.packetCount > 0 && !consumer.paused)).toBe(true)
    expect(bob.quality).toBe('720p')
    bobReceiver.close()
    carolReceiver.close()
  }, 60_000)

  test('a hidden tile pauses its consumer and a visible one resumes it', async () => {
    const stats = async () => (await link.link.request('room-fwd', 'bob', 'getStats', {})).peers.find((peer) => peer.peerId === 'bob')!.consumers
    const video = (await stats()).find((consumer) => consumer.kind === 'video')!
    await link.link.request('room-fwd', 'bob', 'setConsumerPreferences', { consumerId: video.consumerId, width: 320, height: 180, visible: false })
    expect((await stats()).find((consumer) => consumer.consumerId === video.consumerId)!.paused).toBe(true)
    await link.link.request('room-fwd', 'bob', 'setConsumerPreferences', { consumerId: video.consumerId, width: 1280, height: 720, visible: true })
    expect((await stats()).find((consumer) => consumer.consumerId === video.consumerId)!.paused).toBe(false)
    // A peer only tunes its own consumers.
    const refused = link.link.request('room-fwd', 'carol', 'setConsumerPreferences', { consumerId: video.consumerId, width: 1, height: 1, visible: false })
    await expect(refused).rejects.toMatchObject({ code: 'CONSUMER_NOT_FOUND' })
  })

  test('mute, unpublish, leave and close reach the others as notifications', async () => {
    const { peers } = await link.link.request('room-fwd', 'bob', 'getStats', {})
    const [audio, video] = ['audio', 'video'].map((kind) => peers.find((peer) => peer.peerId === 'alice')!.producers.find((producer) => producer.kind === kind)!)
    await link.link.request('room-fwd', 'alice', 'pauseProducer', { producerId: audio!.producerId })
    expect(await link.waitFor('producerPaused', (frame) => frame.notification.data.producerId === audio!.producerId)).toEqual({ peerId: 'alice', producerId: audio!.producerId, source: 'mic' })
    await link.link.request('room-fwd', 'alice', 'resumeProducer', { producerId: audio!.producerId })
    await link.waitFor('producerResumed', (frame) => frame.notification.data.producerId === audio!.producerId)

    await link.link.request('room-fwd', 'alice', 'closeProducer', { producerId: video!.producerId })
    const closed = await link.waitFor('consumerClosed', (frame) => frame.peerId === 'bob')
    expect(closed.reason).toBe('producer-closed')
    await expect(link.link.request('room-fwd', 'alice', 'closeProducer', { producerId: video!.producerId })).rejects.toMatchObject({ code: 'PRODUCER_NOT_FOUND' })

    await link.link.request('room-fwd', 'carol', 'leave', {})
    expect(await link.waitFor('peerLeft', (frame) => frame.notification.data.peerId === 'carol')).toEqual({ peerId: 'carol', reason: 'left' })
    await expect(link.link.request('room-fwd', 'carol', 'getStats', {})).rejects.toMatchObject({ code: 'PEER_NOT_JOINED' })

    await link.link.request('room-fwd', undefined, 'closeRoom', {})
    expect(await link.waitFor('roomClosed', (frame) => frame.roomId === 'room-fwd')).toEqual({ reason: 'closed', rejoin: false })
    await expect(link.link.request('room-fwd', 'bob', 'getStats', {})).rejects.toMatchObject({ code: 'ROOM_NOT_FOUND' })
  })
})
