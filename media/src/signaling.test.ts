import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHmac } from 'node:crypto'
import { mintMediaToken } from './auth'
import { MediaLink } from './link'
import { DEVICE, SECRET, TestLink, ffmpegRtpParameters, startMedia, type StartedMedia } from './test-kit'

let media: StartedMedia
let link: TestLink

beforeAll(async () => {
  media = await startMedia({ TURN_URLS: 'turn:turn.example.org:3478', TURN_SECRET: 'coturn-static-secret', TURN_TTL_SECONDS: '600', STUN_URLS: 'stun:stun.example.org:3478' })
  link = await TestLink.connect(media.url)
  await link.link.request('room-err', undefined, 'createRoom', {})
})

afterAll(async () => {
  link?.close()
  await media?.stop()
})

/** Opens a raw socket with a valid token and sends one text frame; answers the first reply. */
async function rawExchange(frame: string): Promise<Record<string, unknown>> {
  const ws = new WebSocket(`${media.url}/?token=${encodeURIComponent(mintMediaToken(SECRET))}`)
  await new Promise((resolve, reject) => {
    ws.onopen = resolve
    ws.onerror = reject
  })
  const reply = new Promise<Record<string, unknown>>((resolve) => (ws.onmessage = (event) => resolve(JSON.parse(String(event.data)))))
  ws.send(frame)
  const answer = await reply
  ws.close()
  return answer
}

async function joined(peerId: string) {
  const { rtpCapabilities } = await link.link.request('room-err', peerId, 'getRouterRtpCapabilities', {})
  await link.link.request('room-err', peerId, 'join', { displayName: peerId, rtpCapabilities, device: DEVICE })
}

describe('the internal channel refuses strangers', () => {
  test('a wrong secret, an expired token and no token are refused before the upgrade', async () => {
    await expect(MediaLink.connect({ url: media.url, secret: 'not-the-media-secret-at-all' })).rejects.toMatchObject({ code: 'MEDIA_UNAVAILABLE' })
    const expired = mintMediaToken(SECRET, Date.now() - 3600_000)
    for (const headers of [{}, { authorization: `Bearer ${expired}` }, { authorization: 'Bearer 123.abc' }] as Array<Record<string, string>>) {
      const response = await fetch(`${media.httpUrl}/status`, { headers })
      expect(response.status).toBe(401)
      expect((await response.json()).error.code).toBe('UNAUTHORIZED')
    }
    const ok = await fetch(`${media.httpUrl}/status`, { headers: { authorization: `Bearer ${mintMediaToken(SECRET)}` } })
    expect(ok.status).toBe(200)
    expect((await ok.json()).workers).toHaveLength(2)
  })
})

describe('malformed frames get typed errors and the process keeps serving', () => {
  test('not JSON, a bad envelope, an unknown request and invalid data', async () => {
    expect(await rawExchange('{not json')).toMatchObject({ id: -1, ok: false, error: { code: 'INVALID_REQUEST' } })
    expect(await rawExchange(JSON.stringify({ id: 7, roomId: '', request: {} }))).toMatchObject({ id: 7, ok: false, error: { code: 'INVALID_REQUEST' } })
    expect(await rawExchange(JSON.stringify({ id: 8, roomId: 'room-err', request: { name: 'consume', data: {} } }))).toMatchObject({ id: 8, ok: false, error: { code: 'UNKNOWN_REQUEST' } })
    expect(await rawExchange(JSON.stringify({ id: 9, roomId: 'room-err', request: { name: '__proto__', data: {} } }))).toMatchObject({ id: 9, ok: false, error: { code: 'UNKNOWN_REQUEST' } })
    const invalid = await rawExchange(JSON.stringify({ id: 10, roomId: 'room-err', peerId: 'p', request: { name: 'join', data: { displayName: 5 } } }))
    expect(invalid).toMatchObject({ id: 10, ok: false, error: { code: 'INVALID_REQUEST' } })
    expect((invalid.error as { details: Array<{ field: string }> }).details.map((detail) => detail.field)).toContain('displayName')
    const extra = await rawExchange(JSON.stringify({ id: 11, roomId: 'room-err', peerId: 'p', request: { name: 'leave', data: { sneaky: true } } }))
    expect(extra).toMatchObject({ id: 11, ok: false, error: { code: 'INVALID_REQUEST' } })
    expect((await link.link.request('room-err', 'p', 'getRouterRtpCapabilities', {})).rtpCapabilities.codecs.length).toBeGreaterThan(0)
  })

  test('an unknown room', async () => {
    await expect(link.link.request('no-such-room', 'p', 'getRouterRtpCapabilities', {})).rejects.toMatchObject({ code: 'ROOM_NOT_FOUND' })
  })
})

describe('out-of-order and wrong requests', () => {
  test('transports, produce and consumer requests before join', async () => {
    await expect(link.link.request('room-err', 'early', 'createWebRtcTransport', { direction: 'send' })).rejects.toMatchObject({ code: 'PEER_NOT_JOINED' })
    await expect(link.link.request('room-err', 'early', 'resumeConsumer', { consumerId: 'c1' })).rejects.toMatchObject({ code: 'PEER_NOT_JOINED' })
    await expect(link.link.request('room-err', 'early', 'produce', { transportId: 't', kind: 'audio', rtpParameters: ffmpegRtpParameters('audio'), appData: { source: 'mic' } })).rejects.toMatchObject({ code: 'PEER_NOT_JOINED' })
    await expect(link.link.request('room-err', undefined, 'leave', {})).rejects.toMatchObject({ code: 'PEER_NOT_JOINED' })
  })

  test('capabilities that share no codec with the room', async () => {
    const rtpCapabilities = { codecs: [{ kind: 'video' as const, mimeType: 'video/H265', clockRate: 90000 }] }
    await expect(link.link.request('room-err', 'odd', 'join', { displayName: 'odd', rtpCapabilities, device: DEVICE })).rejects.toMatchObject({ code: 'UNSUPPORTED_MEDIA' })
  })

  test('unknown transport, producer and consumer ids', async () => {
    await joined('dave')
    await expect(link.link.request('room-err', 'dave', 'connectTransport', { transportId: 'nope', dtlsParameters: { fingerprints: [{ algorithm: 'sha-256', value: 'AA' }] } })).rejects.toMatchObject({ code: 'TRANSPORT_NOT_FOUND' })
    await expect(link.link.request('room-err', 'dave', 'produce', { transportId: 'nope', kind: 'audio', rtpParameters: ffmpegRtpParameters('audio'), appData: { source: 'mic' } })).rejects.toMatchObject({ code: 'TRANSPORT_NOT_FOUND' })
    await expect(link.link.request('room-err', 'dave', 'pauseProducer', { producerId: 'nope' })).rejects.toMatchObject({ code: 'PRODUCER_NOT_FOUND' })
    await expect(link.link.request('room-err', 'dave', 'resumeConsumer', { consumerId: 'nope' })).rejects.toMatchObject({ code: 'CONSUMER_NOT_FOUND' })
  })

  test("another peer's transport is unknown to you", async () => {
    await joined('erin')
    const erins = await link.link.request('room-err', 'erin', 'createWebRtcTransport', { direction: 'send' })
    await expect(link.link.request('room-err', 'dave', 'restartIce', { transportId: erins.transportId })).rejects.toMatchObject({ code: 'TRANSPORT_NOT_FOUND' })
  })

  test('wrong DTLS parameters, produce on a recv transport, rtpParameters the room cannot take', async () => {
    const send = await link.link.request('room-err', 'dave', 'createWebRtcTransport', { direction: 'send' })
    await expect(link.link.request('room-err', 'dave', 'connectTransport', { transportId: send.transportId, dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-999', value: 'zz' }] } })).rejects.toMatchObject({ code: 'DTLS_FAILED' })
    const recv = await link.link.request('room-err', 'dave', 'createWebRtcTransport', { direction: 'recv' })
    await expect(link.link.request('room-err', 'dave', 'produce', { transportId: recv.transportId, kind: 'audio', rtpParameters: ffmpegRtpParameters('audio'), appData: { source: 'mic' } })).rejects.toMatchObject({ code: 'WRONG_DIRECTION' })
    const h265 = { codecs: [{ mimeType: 'video/H265', payloadType: 102, clockRate: 90000 }], encodings: [{ ssrc: 5 }] }
    await expect(link.link.request('room-err', 'dave', 'produce', { transportId: send.transportId, kind: 'video', rtpParameters: h265, appData: { source: 'camera' } })).rejects.toMatchObject({ code: 'UNSUPPORTED_MEDIA' })
    await expect(link.link.request('room-err', 'dave', 'produce', { transportId: send.transportId, kind: 'video', rtpParameters: ffmpegRtpParameters('video'), appData: { source: 'mic' } })).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
    // The same transport still connects with proper parameters after the refusal.
    const fingerprint = Array.from({ length: 32 }, (_, index) => (index * 7).toString(16).padStart(2, '0').toUpperCase()).join(':')
    await link.link.request('room-err', 'dave', 'connectTransport', { transportId: send.transportId, dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: fingerprint }] } })
  })
})

describe('rejoining', () => {
  test('a second join with the same peerId replaces the first peer and its transports', async () => {
    await joined('frank')
    const old = await link.link.request('room-err', 'frank', 'createWebRtcTransport', { direction: 'send' })
    await joined('frank')
    expect(await link.waitFor('peerLeft', (frame) => frame.notification.data.peerId === 'frank')).toEqual({ peerId: 'frank', reason: 'replaced' })
    await expect(link.link.request('room-err', 'frank', 'restartIce', { transportId: old.transportId })).rejects.toMatchObject({ code: 'TRANSPORT_NOT_FOUND' })
    const { peers } = await link.link.request('room-err', 'frank', 'getStats', {})
    expect(peers.filter((peer) => peer.peerId === 'frank')).toHaveLength(1)
  })
})

describe('WebRTC transports', () => {
  test('carry ICE candidates, DTLS fingerprints, STUN and per-peer TURN credentials', async () => {
    const before = Math.floor(Date.now() / 1000)
    const transport = await link.link.request('room-err', 'dave', 'createWebRtcTransport', { direction: 'recv' })
    expect(transport.iceCandidates.length).toBeGreaterThan(0)
    expect(transport.dtlsParameters.fingerprints.length).toBeGreaterThan(0)
    expect(transport.iceServers[0]).toEqual({ urls: ['stun:stun.example.org:3478'] })
    const turn = transport.iceServers[1]!
    expect(turn.urls).toEqual(['turn:turn.example.org:3478'])
    const [expiry, peer] = turn.username!.split(':')
    expect(peer).toBe('dave')
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600)
    expect(turn.credential).toBe(createHmac('sha1', 'coturn-static-secret').update(turn.username!).digest('base64'))
    const restarted = await link.link.request('room-err', 'dave', 'restartIce', { transportId: transport.transportId })
    expect(restarted.iceParameters.usernameFragment).toBeString()
  })
})
