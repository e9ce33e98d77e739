import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import { startServer, type Session, type TestServer } from '../../../test/harness'
import { seedConversation } from '../../../test/fixtures'
import { SocketPool, TestSocket } from '../../../test/socket'
import { waitFor } from '../../../test/wait'
import { signal as signalRequest } from './call-kit'
import { mintMediaToken } from '../../../../media/src/auth'
import { listMediaServers } from '../../../../media/src/registry'
import { SECRET, eventually, startMedia, type StartedMedia } from '../../../../media/src/test-kit'

// Two real media processes registered in Redis under one prefix, one API instance: calls are placed on
// the least-loaded process and each call's signaling goes over a link to the process hosting its room.
const prefix = `test:${crypto.randomUUID()}:`
let medias: StartedMedia[] = []
let redis: Redis
let server: TestServer
let people: Session[]
const sockets = new SocketPool(() => server)

beforeAll(async () => {
  // A short registration TTL refreshes the reported load every second.
  const env = { REDIS_URL: process.env.TEST_REDIS_URL!, REDIS_PREFIX: prefix, MEDIA_WORKERS: '1', MEDIA_REGISTRATION_TTL_SECONDS: '3' }
  medias = await Promise.all([startMedia(env), startMedia(env)])
  redis = new Redis(process.env.TEST_REDIS_URL!)
  await eventually(() => listMediaServers(redis, prefix), (servers) => servers.length === 2, 20_000)
  server = await startServer({ MEDIA_SECRET: SECRET, REDIS_PREFIX: prefix })
  people = await Promise.all([1, 2, 3, 4].map((n) => server.register({ displayName: `Placed ${n}` })))
  await waitFor(() => server.ctx.services.calls.mediaAvailable || undefined, 'a link to a registered media process', 20_000)
}, 60_000)
afterAll(async () => {
  sockets.closeAll()
  redis?.disconnect()
  await server?.stop()
  await Promise.all(medias.map((media) => media.stop()))
})

const connect = (who: Session) => sockets.connect(who)

const signal = (socket: TestSocket, callId: string, name: string, data: unknown = {}) => signalRequest(socket, callId, { name, data })

/** The rooms a media process hosts, from its /status. */
async function roomsOn(media: StartedMedia): Promise<string[]> {
  const response = await fetch(`${media.httpUrl}/status`, { headers: { authorization: `Bearer ${mintMediaToken(SECRET)}` } })
  const status = (await response.json()) as { rooms: Array<{ roomId: string }> }
  return status.rooms.map((room) => room.roomId)
}

/** Two people join `callId`'s media room; the first sees the second arrive (a notification over the room's link). */
async function joinBoth(first: Session, second: Session, callId: string): Promise<void> {
  const [a, b] = [await connect(first), await connect(second)]
  expect((await server.request('POST', `/calls/${callId}/join`, { token: second.accessToken })).status).toBe(200)
  const caps = await signal(a, callId, 'getRouterRtpCapabilities')
  expect(caps.ok).toBe(true)
  const device = { name: 'bun-test' }
  expect((await signal(a, callId, 'join', { displayName: 'x', rtpCapabilities: caps.data.rtpCapabilities, device })).ok).toBe(true)
  expect((await signal(b, callId, 'join', { displayName: 'x', rtpCapabilities: caps.data.rtpCapabilities, device })).data.peers).toEqual([expect.objectContaining({ peerId: first.user.id })])
  await a.next((e) => e.type === 'call.signal.notification' && e.callId === callId && e.notification.name === 'peerJoined' && e.notification.data.peerId === second.user.id, 15_000)
}

describe('a media link per media process', () => {
  test('two calls land on the two media processes; signaling and notifications of each go through its own process', async () => {
    const [ann, ben, cat, dan] = people as [Session, Session, Session, Session]
    const first = (await server.request('POST', `/conversations/${seedConversation(server, [ann, ben])}/calls`, { token: ann.accessToken, body: { kind: 'audio' } })).body
    await joinBoth(ann, ben, first.id)
    const host = (await Promise.all(medias.map(roomsOn))).findIndex((rooms) => rooms.includes(first.roomId))
    expect(host).toBeGreaterThanOrEqual(0)
    // The second call is placed once the first process reports its peers.
    await eventually(() => listMediaServers(redis, prefix), (servers) => servers.some((s) => s.load.peers >= 2), 20_000)

    const second = (await server.request('POST', `/conversations/${seedConversation(server, [cat, dan])}/calls`, { token: cat.accessToken, body: { kind: 'audio' } })).body
    await joinBoth(cat, dan, second.id)
    expect(await roomsOn(medias[1 - host]!)).toContain(second.roomId)
    expect(await roomsOn(medias[host]!)).not.toContain(second.roomId)
    expect(await redis.get(`${prefix}media:rooms:${first.roomId}`)).toBe(medias[host]!.url)
    expect(await redis.get(`${prefix}media:rooms:${second.roomId}`)).toBe(medias[1 - host]!.url)

    // Ending each call closes its room on its own process and drops the placement.
    for (const [call, starter, media] of [[first, ann, medias[host]!], [second, cat, medias[1 - host]!]] as const) {
      expect((await server.request('POST', `/calls/${call.id}/end`, { token: starter.accessToken })).status).toBe(200)
      await eventually(() => roomsOn(media), (rooms) => !rooms.includes(call.roomId), 15_000)
      await eventually(() => redis.get(`${prefix}media:rooms:${call.roomId}`), (placed) => placed === null, 15_000)
    }
  }, 90_000)

  test('a room placed on a process that is gone is placed again on a live one', async () => {
    const [ann, ben] = people as [Session, Session]
    const call = (await server.request('POST', `/conversations/${seedConversation(server, [ann, ben])}/calls`, { token: ann.accessToken, body: { kind: 'audio' } })).body
    await redis.set(`${prefix}media:rooms:${call.roomId}`, 'ws://127.0.0.1:9/gone')
    await joinBoth(ann, ben, call.id)
    const placed = await redis.get(`${prefix}media:rooms:${call.roomId}`)
    expect(medias.map((media) => media.url)).toContain(placed!)
    expect((await server.request('POST', `/calls/${call.id}/end`, { token: ann.accessToken })).status).toBe(200)
  }, 60_000)
})
