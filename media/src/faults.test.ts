import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Subprocess } from 'bun'
import { mintMediaToken } from './auth'
import { DEVICE, SECRET, TestLink, eventually, feedFfmpeg, ffmpegRtpParameters, rtpReceiver, startMedia, type StartedMedia } from './test-kit'

let media: StartedMedia
let link: TestLink
const feeders: Subprocess[] = []

interface Status {
  workers: Array<{ pid: number | null; rooms: number; peers: number; consumers: number }>
  rooms: Array<{ roomId: string; workerPid: number; peers: number }>
}

async function status(of = media): Promise<Status> {
  const response = await fetch(`${of.httpUrl}/status`, { headers: { authorization: `Bearer ${mintMediaToken(SECRET)}` } })
  return (await response.json()) as Status
}

beforeAll(async () => {
  media = await startMedia({ MEDIA_WORKERS: '2', MEDIA_PEER_TIMEOUT_MS: '1500' })
  link = await TestLink.connect(media.url)
})

afterAll(async () => {
  for (const feeder of feeders) feeder.kill('SIGKILL')
  link?.close()
  await media?.stop()
})

async function join(roomId: string, peerId: string, on = link) {
  const { rtpCapabilities } = await on.link.request(roomId, peerId, 'getRouterRtpCapabilities', {})
  await on.link.request(roomId, peerId, 'join', { displayName: peerId, rtpCapabilities, device: DEVICE })
}

/** A sender with an ffmpeg audio producer and a receiver counting the forwarded packets. */
async function call(roomId: string, on = link) {
  const link = on
  await link.link.request(roomId, undefined, 'createRoom', {})
  await join(roomId, `${roomId}-sender`, on)
  await join(roomId, `${roomId}-receiver`, on)
  const send = await link.link.request(roomId, `${roomId}-sender`, 'createPlainTransport', { direction: 'send', comedia: true, rtcpMux: false })
  const { producerId } = await link.link.request(roomId, `${roomId}-sender`, 'produce', { transportId: send.transportId, kind: 'audio', rtpParameters: ffmpegRtpParameters('audio'), appData: { source: 'mic' } })
  feeders.push(feedFfmpeg('audio', send))
  const receiver = await rtpReceiver()
  const recv = await link.link.request(roomId, `${roomId}-receiver`, 'createPlainTransport', { direction: 'recv', comedia: false })
  await link.link.request(roomId, `${roomId}-receiver`, 'connectPlainTransport', { transportId: recv.transportId, ip: '127.0.0.1', port: receiver.port })
  const offer = await link.waitFor('newConsumer', (frame) => frame.peerId === `${roomId}-receiver` && frame.notification.data.producerId === producerId)
  await link.link.request(roomId, `${roomId}-receiver`, 'resumeConsumer', { consumerId: offer.consumerId })
  return receiver
}

describe('a room bigger than one router', () => {
  test('spreads over both workers and pipes the producer to the consumer’s router', async () => {
    // One peer per router: the second peer of a room lands on the other worker.
    const small = await startMedia({ MEDIA_WORKERS: '2', MEDIA_MAX_PEERS_PER_ROUTER: '1' })
    const smallLink = await TestLink.connect(small.url)
    try {
      const receiver = await call('spread', smallLink)
      await eventually(() => receiver.count(), (count) => count > 25)
      const { workers } = await status(small)
      expect(workers.map((worker) => worker.peers)).toEqual([1, 1])
      expect(workers.every((worker) => worker.rooms === 1)).toBe(true)
      receiver.close()
      await smallLink.link.request('spread', undefined, 'closeRoom', {})
      await eventually(() => status(small), (current) => current.workers.every((worker) => worker.peers === 0 && worker.rooms === 0))
    } finally {
      smallLink.close()
      await small.stop()
    }
  }, 60_000)
})

describe('a mediasoup worker dies mid-call', () => {
  test('its rooms tell peers to rejoin, a new worker takes its place, the other rooms keep forwarding', async () => {
    await link.link.request('doomed', undefined, 'createRoom', {})
    await join('doomed', 'victim')
    const survivor = await call('survivor')
    const before = await status()
    const doomedPid = before.rooms.find((room) => room.roomId === 'doomed')!.workerPid
    const survivorPid = before.rooms.find((room) => room.roomId === 'survivor')!.workerPid
    expect(survivorPid).not.toBe(doomedPid)

    process.kill(doomedPid, 'SIGKILL')
    expect(await link.waitFor('roomClosed', (frame) => frame.roomId === 'doomed')).toEqual({ reason: 'worker-died', rejoin: true })
    const after = await eventually(status, (current) => current.workers.every((worker) => worker.pid !== null) && !current.workers.some((worker) => worker.pid === doomedPid))
    expect(after.workers.map((worker) => worker.pid)).toContain(survivorPid)
    await expect(link.link.request('doomed', 'victim', 'getStats', {})).rejects.toMatchObject({ code: 'ROOM_NOT_FOUND' })

    // The survivor's packets keep coming, and the dead room can be created again and joined.
    const counted = survivor.count()
    await eventually(() => survivor.count(), (count) => count > counted + 25)
    await link.link.request('doomed', undefined, 'createRoom', {})
    await join('doomed', 'victim')
    survivor.close()
  }, 60_000)
})

describe('peers that go away', () => {
  test('a peer whose transports never connect is closed after MEDIA_PEER_TIMEOUT_MS', async () => {
    await link.link.request('idle', undefined, 'createRoom', {})
    await join('idle', 'ghost')
    await link.link.request('idle', 'ghost', 'createWebRtcTransport', { direction: 'send' })
    expect(await link.waitFor('peerLeft', (frame) => frame.roomId === 'idle' && frame.notification.data.peerId === 'ghost')).toEqual({ peerId: 'ghost', reason: 'timeout' })
    await expect(link.link.request('idle', 'ghost', 'getStats', {})).rejects.toMatchObject({ code: 'PEER_NOT_JOINED' })
  })

  test('a peer whose API link disappears is closed unless another link adopts it in time', async () => {
    const other = await TestLink.connect(media.url)
    await link.link.request('orphans', undefined, 'createRoom', {})
    await join('orphans', 'kept', other)
    await join('orphans', 'lost', other)
    // Plain transports count as connected, so only the link loss can close these peers.
    for (const peerId of ['kept', 'lost']) await other.link.request('orphans', peerId, 'createPlainTransport', { direction: 'recv', comedia: true })
    other.close()
    await link.link.request('orphans', 'kept', 'getStats', {})
    expect(await link.waitFor('peerLeft', (frame) => frame.roomId === 'orphans' && frame.notification.data.peerId === 'lost')).toEqual({ peerId: 'lost', reason: 'link-lost' })
    const { peers } = await link.link.request('orphans', 'kept', 'getStats', {})
    expect(peers.map((peer) => peer.peerId)).toEqual(['kept'])
  })
})
