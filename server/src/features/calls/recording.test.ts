import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import type { Subprocess } from 'bun'
import { startServer, type Session, type TestServer } from '../../../test/harness'
import { seedConversation } from '../../../test/fixtures'
import { SocketPool } from '../../../test/socket'
import { waitFor } from '../../../test/wait'
import { DEVICE, SECRET, TestLink, eventually, feedFfmpeg, ffmpegRtpParameters, startMedia, type StartedMedia } from '../../../../media/src/test-kit'
import { probe as ffprobe, toneLevel, videoLevel } from '../../../../media/src/recording-probe'

// Recording through the API against the real media process; the producers are ffmpeg feeders that
// join the call's media room over their own channel link (plain transports are API-only requests).
const SLOW = 90_000
let media: StartedMedia
let feederLink: TestLink
let server: TestServer
let alice: Session
let bob: Session
let owner: Session
let outsider: Session
const sockets = new SocketPool(() => server)
const feeders: Subprocess[] = []
const scratch = mkdtempSync(join(tmpdir(), 'parley-recording-test-'))

beforeAll(async () => {
  const prefix = `test:${crypto.randomUUID()}:`
  media = await startMedia({ REDIS_URL: process.env.TEST_REDIS_URL!, REDIS_PREFIX: prefix, MEDIA_WORKERS: '1' })
  server = await startServer({ MEDIA_SECRET: SECRET, REDIS_PREFIX: prefix })
  ;[alice, bob, owner, outsider] = await Promise.all([server.register({ displayName: 'Alice Rec' }), server.register({ displayName: 'Bob Rec' }), server.register(), server.register()])
  await waitFor(() => server.ctx.services.calls.mediaAvailable || undefined, 'the link to the registered media process', 20_000)
  // After the API's link: media sends recordingStopped of a closed room over its first link (see docs/CALLS.md, Recording).
  feederLink = await TestLink.connect(media.url)
}, 60_000)
afterAll(async () => {
  for (const feeder of feeders) feeder.kill('SIGKILL')
  sockets.closeAll()
  feederLink?.close()
  await server?.stop()
  await media?.stop()
  rmSync(scratch, { recursive: true, force: true })
})

const connect = (who: Session) => sockets.connect(who)

/** A peer in the call's media room sending ffmpeg's tone or test pattern. */
async function produce(roomId: string, peerId: string, kind: 'audio' | 'video'): Promise<void> {
  const { rtpCapabilities } = await feederLink.link.request(roomId, peerId, 'getRouterRtpCapabilities', {})
  await feederLink.link.request(roomId, peerId, 'join', { displayName: peerId, rtpCapabilities, device: DEVICE })
  const transport = await feederLink.link.request(roomId, peerId, 'createPlainTransport', { direction: 'send', comedia: true, rtcpMux: false })
  await feederLink.link.request(roomId, peerId, 'produce', { transportId: transport.transportId, kind, rtpParameters: ffmpegRtpParameters(kind), appData: { source: kind === 'audio' ? 'mic' : 'camera' } })
  feeders.push(feedFfmpeg(kind, transport))
}

/** What the recording's segments (one per producer, next to the final path) hold so far. */
function segmentBytes(recordingPath: string): number[] {
  const dir = dirname(recordingPath)
  const base = basename(recordingPath).replace(/\.webm$/, '.seg')
  return readdirSync(dir).filter((name) => name.startsWith(base) && name.endsWith('.mkv')).map((name) => statSync(join(dir, name)).size)
}

const record = (who: Session, callId: string, body: unknown) => server.request('POST', `/calls/${callId}/recording`, { token: who.accessToken, body })

describe('call recording through the API', () => {
  test('who may record, and bad input, answer typed errors', async () => {
    const group = seedConversation(server, [alice, bob, owner], { roles: { [owner.user.id]: 'owner' } })
    const call = (await server.request('POST', `/conversations/${group}/calls`, { token: alice.accessToken, body: { kind: 'audio' } })).body
    expect((await record(bob, call.id, { on: true })).body.error.code).toBe('RECORDING_FORBIDDEN')
    expect((await record(bob, call.id, { on: true })).status).toBe(403)
    expect((await record(outsider, call.id, { on: true })).status).toBe(404)
    expect((await record(alice, call.id, { on: 'yes' })).status).toBe(422)
    expect((await record(alice, call.id, {})).status).toBe(422)
    expect((await record(alice, 'no-such-call', { on: true })).body.error.code).toBe('CALL_NOT_FOUND')
    // Nobody sends media yet: nothing to record.
    const empty = await record(owner, call.id, { on: true })
    expect(empty.status).toBe(409)
    expect(empty.body.error.code).toBe('RECORDING_FAILED')
    expect((await server.request('GET', `/calls/${call.id}`, { token: bob.accessToken })).body.recording).toBe(false)
    expect((await server.request('POST', `/calls/${call.id}/end`, { token: alice.accessToken })).status).toBe(200)
    const ended = await record(alice, call.id, { on: true })
    expect(ended.status).toBe(409)
    expect(ended.body.error.code).toBe('CALL_ENDED')
  }, SLOW)

  test('start, a late producer, stop: the WebM is stored, attached to a system message, and its transcription requested', async () => {
    const group = seedConversation(server, [alice, bob])
    const bobSocket = await connect(bob)
    const call = (await server.request('POST', `/conversations/${group}/calls`, { token: alice.accessToken, body: { kind: 'video' } })).body
    expect((await server.request('POST', `/calls/${call.id}/join`, { token: bob.accessToken })).status).toBe(200)
    await feederLink.link.request(call.roomId, undefined, 'createRoom', {})
    await produce(call.roomId, 'feeder-audio', 'audio')

    const started = await record(alice, call.id, { on: true })
    expect(started.status).toBe(200)
    expect(started.body.recording).toBe(true)
    const updated = await bobSocket.next((e) => e.type === 'call.updated' && e.call.id === call.id && e.call.recording === true, 15_000)
    expect(updated.call.recording).toBe(true)
    const notice = await bobSocket.next((e) => e.type === 'call.signal.notification' && e.notification.name === 'recordingStarted', 15_000)
    const path: string = notice.notification.data.path
    // Asking again while it runs changes nothing.
    expect((await record(alice, call.id, { on: true })).body.recording).toBe(true)

    // A producer that starts after recording began gets a segment of its own; the mix at stop has it.
    await produce(call.roomId, 'feeder-video', 'video')
    await eventually(() => segmentBytes(path), (sizes) => sizes.length === 2 && sizes.every((size) => size > 20_000), 45_000)

    const stopped = await record(alice, call.id, { on: false })
    expect(stopped.status).toBe(200)
    expect(stopped.body.recording).toBe(false)
    await bobSocket.next((e) => e.type === 'call.updated' && e.call.id === call.id && e.call.recording === false, 15_000)

    const announced = await bobSocket.next((e) => e.type === 'message.created' && e.message.conversationId === group && e.message.attachments?.length === 1, 45_000)
    expect(announced.message.type).toBe('system')
    expect(announced.message.content).toContain('recording')
    const fileId: string = announced.message.attachments[0]
    const file = await server.request('GET', `/files/${fileId}`, { token: bob.accessToken })
    expect(file.status).toBe(200)
    expect(file.body).toMatchObject({ ownerId: alice.user.id, kind: 'video', mime: 'video/webm' })
    expect((await server.request('GET', `/files/${fileId}`, { token: outsider.accessToken })).status).toBe(404)
    // The media process' copy moved into storage.
    expect(existsSync(path)).toBe(false)

    const signed = await server.request('GET', `/files/${fileId}/url`, { token: bob.accessToken })
    expect(signed.status).toBe(200)
    const download = await fetch(`${server.url}${signed.body.url}`)
    expect(download.status).toBe(200)
    const local = join(scratch, `${fileId}.webm`)
    await Bun.write(local, await download.arrayBuffer())
    const probe = await ffprobe(local)
    // The tone that was producing when recording started and the test pattern that started later.
    expect(probe.streams.map((stream) => `${stream.codec_type}/${stream.codec_name}`).sort()).toEqual(['audio/opus', 'video/vp8'])
    expect(Number(probe.format.duration)).toBeGreaterThan(1)
    // The test pattern fills the frame somewhere in the last seconds (a CPU-starved feeder's segment may end a little early).
    const lastSeconds = [1.5, 1, 0.5].map((back) => Number(probe.format.duration) - back)
    expect(Math.max(...(await Promise.all(lastSeconds.map((at) => videoLevel(local, { x: 0, y: 0, width: 640, height: 360 }, at)))))).toBeGreaterThan(40)

    // The transcription was requested for that message (it runs in-process: no worker consumes the queue here).
    const transcript = await eventually(
      () => server.request('GET', `/conversations/${group}/messages/${announced.message.id}/transcript`, { token: bob.accessToken }),
      (response) => response.status === 200,
      30_000,
    )
    expect(transcript.body).toMatchObject({ messageId: announced.message.id, fileId })
    await server.request('POST', `/calls/${call.id}/end`, { token: alice.accessToken })
  }, SLOW)

  test('ending a recorded call stores the recording too', async () => {
    const group = seedConversation(server, [alice, bob])
    const aliceSocket = await connect(alice)
    const call = (await server.request('POST', `/conversations/${group}/calls`, { token: alice.accessToken, body: { kind: 'audio' } })).body
    await feederLink.link.request(call.roomId, undefined, 'createRoom', {})
    await produce(call.roomId, 'feeder-tone', 'audio')
    expect((await record(alice, call.id, { on: true })).body.recording).toBe(true)
    const notice = await aliceSocket.next((e) => e.type === 'call.signal.notification' && e.notification.name === 'recordingStarted', 15_000)
    await eventually(() => segmentBytes(notice.notification.data.path), (sizes) => sizes.length === 1 && sizes[0]! > 10_000, 45_000)
    expect((await server.request('POST', `/calls/${call.id}/end`, { token: alice.accessToken })).status).toBe(200)
    const announced = await aliceSocket.next((e) => e.type === 'message.created' && e.message.conversationId === group && e.message.attachments?.length === 1, 45_000)
    const file = await server.request('GET', `/files/${announced.message.attachments[0]}`, { token: bob.accessToken })
    expect(file.body).toMatchObject({ ownerId: alice.user.id, kind: 'audio', mime: 'audio/webm' })
  }, SLOW)

  test('a call started with recording: true records from the first producer on, without anyone pressing Record', async () => {
    const group = seedConversation(server, [alice, bob])
    const aliceSocket = await connect(alice)
    const started = await server.request('POST', `/conversations/${group}/calls`, { token: alice.accessToken, body: { kind: 'audio', recording: true } })
    expect(started.status).toBe(201)
    expect(started.body.recording).toBe(true)
    const call = started.body
    // The media room exists and records already; the first producer appears afterwards.
    await expect(feederLink.link.request(call.roomId, undefined, 'startRecording', {})).rejects.toMatchObject({ code: 'RECORDING_ACTIVE' })
    expect((await server.request('GET', `/calls/${call.id}`, { token: bob.accessToken })).body.recording).toBe(true)
    await produce(call.roomId, 'feeder-first', 'audio')
    // The caller is a joined participant: media's room-wide recordingStarted reaches her socket.
    const notice = await aliceSocket.next((e) => e.type === 'call.signal.notification' && e.callId === call.id && e.notification.name === 'recordingStarted', 15_000)
    const path: string = notice.notification.data.path
    await eventually(() => segmentBytes(path), (sizes) => sizes.length === 1 && sizes[0]! > 16_000, 45_000)
    expect((await server.request('POST', `/calls/${call.id}/end`, { token: alice.accessToken })).status).toBe(200)
    const announced = await aliceSocket.next((e) => e.type === 'message.created' && e.message.conversationId === group && e.message.attachments?.length === 1, 60_000)
    const fileId: string = announced.message.attachments[0]
    const signed = await server.request('GET', `/files/${fileId}/url`, { token: alice.accessToken })
    const local = join(scratch, `${fileId}.webm`)
    await Bun.write(local, await (await fetch(`${server.url}${signed.body.url}`)).arrayBuffer())
    const probe = await ffprobe(local)
    expect(probe.streams.map((stream) => `${stream.codec_type}/${stream.codec_name}`)).toEqual(['audio/opus'])
    const duration = Number(probe.format.duration)
    expect(duration).toBeGreaterThan(1.5)
    // ffmpeg's 440 Hz tone is what the file holds.
    expect(await toneLevel(local, 440, { from: Math.max(0, duration - 2.5), to: duration - 0.3 })).toBeGreaterThan(-40)
  }, SLOW)
})
