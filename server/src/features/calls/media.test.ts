import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startServer, type Session, type TestServer } from '../../../test/harness'
import { seedConversation } from '../../../test/fixtures'
import { SocketPool, TestSocket } from '../../../test/socket'
import { waitFor } from '../../../test/wait'
import { signal as signalRequest } from './call-kit'
import { SECRET, startMedia, type StartedMedia } from '../../../../media/src/test-kit'

// The relay against the real media process (`bun media/src/index.ts`, real mediasoup workers), found
// through its Redis registration: the API gets MEDIA_SECRET and the shared REDIS_PREFIX, no MEDIA_URL.
let media: StartedMedia
let server: TestServer
let alice: Session
let bob: Session
let carol: Session
const sockets = new SocketPool(() => server)

beforeAll(async () => {
  const prefix = `test:${crypto.randomUUID()}:`
  media = await startMedia({ REDIS_URL: process.env.TEST_REDIS_URL!, REDIS_PREFIX: prefix, MEDIA_WORKERS: '1' })
  server = await startServer({ MEDIA_SECRET: SECRET, REDIS_PREFIX: prefix })
  ;[alice, bob, carol] = await Promise.all([server.register({ displayName: 'Alice Media' }), server.register({ displayName: 'Bob Media' }), server.register()])
  await waitFor(() => server.ctx.services.calls.mediaAvailable || undefined, 'the link to the registered media process', 20_000)
}, 60_000)
afterAll(async () => {
  sockets.closeAll()
  await server?.stop()
  await media?.stop()
})

const connect = (who: Session) => sockets.connect(who)

const signal = (socket: TestSocket, callId: string, name: string, data: unknown = {}) => signalRequest(socket, callId, { name, data })

describe('relay to the real media process', () => {
  test('two users join one room, see each other, get transports; media errors and leaves come through typed', async () => {
    const group = seedConversation(server, [alice, bob, carol])
    const [a, b, c] = await Promise.all([connect(alice), connect(bob), connect(carol)])
    const start = await server.request('POST', `/conversations/${group}/calls`, { token: alice.accessToken, body: { kind: 'video' } })
    expect(start.status).toBe(201)
    const call = start.body
    expect((await server.request('POST', `/calls/${call.id}/join`, { token: bob.accessToken })).status).toBe(200)

    const caps = await signal(a, call.id, 'getRouterRtpCapabilities')
    expect(caps.ok).toBe(true)
    expect(caps.data.rtpCapabilities.codecs.map((codec: any) => codec.mimeType)).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8']))
    const rtpCapabilities = caps.data.rtpCapabilities
    const aliceJoin = await signal(a, call.id, 'join', { displayName: 'spoofed', rtpCapabilities, device: { name: 'bun-test' } })
    expect(aliceJoin).toMatchObject({ ok: true, data: { peers: [], activeSpeakerPeerId: null } })
    const bobJoin = await signal(b, call.id, 'join', { displayName: 'spoofed', rtpCapabilities, device: { name: 'bun-test' } })
    expect(bobJoin.data.peers).toEqual([expect.objectContaining({ peerId: alice.user.id, displayName: 'Alice Media' })])
    const joined = await a.next((e) => e.type === 'call.signal.notification' && e.notification.name === 'peerJoined' && e.notification.data.peerId === bob.user.id, 15_000)
    expect(joined).toMatchObject({ callId: call.id, notification: { data: { peerId: bob.user.id, displayName: 'Bob Media' } } })

    const transport = await signal(a, call.id, 'createWebRtcTransport', { direction: 'send' })
    expect(transport.ok).toBe(true)
    expect(transport.data.iceCandidates.length).toBeGreaterThan(0)
    const wrong = await signal(a, call.id, 'connectTransport', { transportId: 'not-a-transport', dtlsParameters: { role: 'client', fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] } })
    expect(wrong).toMatchObject({ ok: false, error: { code: 'TRANSPORT_NOT_FOUND' } })
    expect((await signal(c, call.id, 'getRouterRtpCapabilities')).error.code).toBe('NOT_IN_CALL')
    expect((await signal(a, call.id, 'createWebRtcTransport', { direction: 'sideways' })).error.code).toBe('INVALID_REQUEST')

    // Leaving over REST takes the peer out of the media room too; the others see it.
    expect((await server.request('POST', `/calls/${call.id}/leave`, { token: bob.accessToken })).status).toBe(200)
    const left = await a.next((e) => e.type === 'call.signal.notification' && e.notification.name === 'peerLeft', 15_000)
    expect(left.notification.data).toEqual({ peerId: bob.user.id, reason: 'left' })
    const ended = await server.request('POST', `/calls/${call.id}/end`, { token: alice.accessToken })
    expect(ended.body.active).toBe(false)
    expect((await signal(a, call.id, 'getStats')).error.code).toBe('CALL_ENDED')
  }, 60_000)
})
