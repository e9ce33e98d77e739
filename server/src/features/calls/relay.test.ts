import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { expectErrorShape, startServer, type Session } from '../../../test/harness'
import { seedConversation } from '../../../test/fixtures'
import { waitFor } from '../../../test/wait'
import { signal, startCallKit, type CallKit } from './call-kit'
import { startFakeMedia } from './fake-media'

// The relay against a stand-in media channel that checks the API's token and validates every frame with the contract.
let kit: CallKit
let alice: Session
let bob: Session
let carol: Session

beforeAll(async () => {
  kit = await startCallKit({ MEDIA_REQUEST_TIMEOUT_MS: '300' })
  ;[alice, bob, carol] = await Promise.all([kit.server.register({ displayName: 'Alice Real' }), kit.server.register(), kit.server.register()])
})
afterAll(() => kit.stop())

const rtpCapabilities = { codecs: [{ mimeType: 'audio/opus', kind: 'audio', clockRate: 48000, channels: 2 }] }
const joinRequest = { name: 'join', data: { displayName: 'Not My Name', rtpCapabilities, device: { name: 'chromium' } } }

async function callWith(caller: Session, members: Session[]) {
  const conversationId = seedConversation(kit.server, [caller, ...members])
  return kit.start(caller, conversationId)
}

describe('who may signal', () => {
  test('before joining: NOT_IN_CALL; unknown or invisible calls: CALL_NOT_FOUND; an ended call: CALL_ENDED', async () => {
    const call = await callWith(alice, [bob])
    const b = await kit.connect(bob)
    const early = await signal(b, call.id, { name: 'getRouterRtpCapabilities', data: {} })
    expect(early).toMatchObject({ ok: false, callId: call.id, error: { code: 'NOT_IN_CALL' } })
    const unknown = await signal(b, '0190aaaa-0000-7000-8000-000000000000', { name: 'getRouterRtpCapabilities', data: {} })
    expect(unknown.error.code).toBe('CALL_NOT_FOUND')
    const c = await kit.connect(carol)
    expect((await signal(c, call.id, { name: 'getRouterRtpCapabilities', data: {} })).error.code).toBe('CALL_NOT_FOUND')
    await kit.act(alice, call.id, 'end')
    const a = await kit.connect(alice)
    expect((await signal(a, call.id, { name: 'getRouterRtpCapabilities', data: {} })).error.code).toBe('CALL_ENDED')
    // Nothing was relayed as a peer (ending the call may send the room-level closeRoom).
    expect(kit.media.received.some((r) => r.roomId === call.id && r.peerId)).toBe(false)
  })

  test('malformed frames and requests get typed errors and never reach media', async () => {
    const call = await callWith(alice, [])
    const a = await kit.connect(alice)
    // Only this call's room: the previous test's ended call may still be closing its room on media.
    const reachedMedia = () => kit.media.received.filter((r) => r.roomId === call.roomId).length
    const before = reachedMedia()
    const frame = await a.command({ type: 'call.signal', callId: call.id, request: { name: 'join' } })
    expect(frame).toMatchObject({ type: 'error', code: 'INVALID_FRAME' })
    expect(frame.details.some((d: any) => d.field === 'requestId')).toBe(true)
    expect((await signal(a, call.id, { name: 'teleport', data: {} })).error.code).toBe('UNKNOWN_REQUEST')
    const invalid = await signal(a, call.id, { name: 'join', data: { displayName: '', device: {} } })
    expect(invalid.error.code).toBe('INVALID_REQUEST')
    expect(invalid.error.details.length).toBeGreaterThan(0)
    const apiOnly = await signal(a, call.id, { name: 'createRoom', data: {} })
    expect(apiOnly.error.code).toBe('FORBIDDEN')
    expect(reachedMedia()).toBe(before)
    await a.settle()
    expect(a.closed).toBeNull()
  })
})

describe('relaying', () => {
  test('the first request creates the room; join goes as the user with the account name; answers carry the media data', async () => {
    const call = await callWith(alice, [bob])
    const a = await kit.connect(alice)
    const joined = await signal(a, call.id, joinRequest)
    expect(joined).toMatchObject({ ok: true, ref: joined.requestId, data: { peers: [], activeSpeakerPeerId: null } })
    const mine = kit.media.received.filter((r) => r.roomId === call.roomId)
    expect(mine.map((r) => [r.request.name, r.peerId ?? null])).toEqual([['createRoom', null], ['join', alice.user.id]])
    expect((mine[1]!.request.data as any).displayName).toBe('Alice Real')
    // A media refusal comes back with its code.
    const refused = await signal(a, call.id, { name: 'connectTransport', data: { transportId: 'nope', dtlsParameters: { fingerprints: [{ algorithm: 'sha-256', value: 'AB:CD' }] } } })
    expect(refused).toMatchObject({ ok: false, error: { code: 'TRANSPORT_NOT_FOUND' } })
  })

  test('media notifications reach the addressed peer only; room-wide ones every joined socket', async () => {
    const call = await callWith(alice, [bob])
    await kit.act(bob, call.id, 'join')
    const [a, b] = await Promise.all([kit.connect(alice), kit.connect(bob)])
    await signal(a, call.id, joinRequest)
    await signal(b, call.id, joinRequest)
    const quality = { name: 'qualityChanged', data: { step: '360p', previous: '720p', availableBitrate: 400000, score: 7 } }
    kit.media.notify({ roomId: call.roomId, peerId: bob.user.id, notification: quality as any })
    const toBob = await b.next((e) => e.type === 'call.signal.notification')
    expect(toBob).toEqual({ type: 'call.signal.notification', callId: call.id, notification: quality })
    const speaker = { name: 'activeSpeaker', data: { peerId: alice.user.id, volume: -20 } }
    kit.media.notify({ roomId: call.roomId, peerId: null, notification: speaker as any })
    await a.next((e) => e.type === 'call.signal.notification' && e.notification.name === 'activeSpeaker')
    await b.next((e) => e.type === 'call.signal.notification' && e.notification.name === 'activeSpeaker')
    await a.settle()
    expect(a.events.some((e) => e.type === 'call.signal.notification' && e.notification.name === 'qualityChanged')).toBe(false)
  })

  test('a peer media timed out leaves the call; the last one leaving ends it and closes the room', async () => {
    const call = await callWith(alice, [bob])
    await kit.act(bob, call.id, 'join')
    const [a, b] = await Promise.all([kit.connect(alice), kit.connect(bob)])
    await signal(b, call.id, joinRequest)
    kit.media.notify({ roomId: call.roomId, peerId: null, notification: { name: 'peerLeft', data: { peerId: bob.user.id, reason: 'timeout' } } })
    const update = await a.next((e) => e.type === 'call.updated' && e.call.id === call.id && e.call.participants.some((p: any) => p.userId === bob.user.id && p.state === 'left'))
    expect(update.call.active).toBe(true)
    await kit.act(alice, call.id, 'leave')
    await waitFor(() => kit.media.received.find((r) => r.roomId === call.roomId && r.request.name === 'closeRoom'), 'closeRoom')
  })

  test('a media server that does not answer in time gives TIMEOUT', async () => {
    const call = await callWith(alice, [])
    const a = await kit.connect(alice)
    await signal(a, call.id, joinRequest)
    kit.media.silent.add('getStats')
    const slow = await signal(a, call.id, { name: 'getStats', data: {} })
    expect(slow).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } })
  })
})

describe('without media', () => {
  test('a wrong secret is refused by media; calls answer 503 MEDIA_UNAVAILABLE while chat keeps working', async () => {
    const media = await startFakeMedia()
    const server = await startServer({ MEDIA_URL: media.url, MEDIA_SECRET: 'a-different-secret-0123456789' })
    try {
      const [x, y] = [await server.register(), await server.register()]
      const dm = seedConversation(server, [x, y], { kind: 'dm' })
      await waitFor(() => (media.refused > 0 ? true : undefined), 'a refused upgrade')
      const start = await server.request('POST', `/conversations/${dm}/calls`, { token: x.accessToken, body: { kind: 'audio' } })
      expect(start.status).toBe(503)
      expectErrorShape(start.body, 'MEDIA_UNAVAILABLE')
      expect(start.body.error.message).toMatch(/media server/)
      const chat = await server.request('POST', `/conversations/${dm}/messages`, { token: x.accessToken, body: { content: 'still here' } })
      expect(chat.status).toBe(201)
    } finally {
      await server.stop()
      await media.stop()
    }
  })

  test('losing the link fails signaling with MEDIA_UNAVAILABLE, and the API reconnects', async () => {
    const call = await callWith(alice, [])
    const a = await kit.connect(alice)
    await signal(a, call.id, joinRequest)
    kit.media.down = true
    kit.media.dropConnections()
    await waitFor(() => (kit.server.ctx.services.calls.mediaAvailable ? undefined : true), 'the link to drop')
    const down = await signal(a, call.id, { name: 'getRouterRtpCapabilities', data: {} })
    expect(down.error.code).toBe('MEDIA_UNAVAILABLE')
    const start = await kit.server.request('POST', `/conversations/${seedConversation(kit.server, [alice, bob])}/calls`, { token: alice.accessToken, body: { kind: 'audio' } })
    expect(start.status).toBe(503)
    expectErrorShape(start.body, 'MEDIA_UNAVAILABLE')
    kit.media.down = false
    await waitFor(() => kit.server.ctx.services.calls.mediaAvailable || undefined, 'the link to come back')
    // The new link has no room yet: a rejoin creates it again.
    const rejoined = await signal(a, call.id, joinRequest)
    expect(rejoined.ok).toBe(true)
  })
})
