import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, statSync } from 'node:fs'
import type { Subprocess } from 'bun'
import { DEVICE, TestLink, eventually, feedFfmpeg, ffmpegRtpParameters, startMedia, type StartedMedia } from './test-kit'
import { probe, toneLevel, videoLevel } from './recording-probe'

/** ffmpeg needs a VP8 keyframe before it writes anything, and the mix transcodes: on a loaded machine that takes a while. */
const SLOW = 240_000
/** The early speaker's tone and the late joiner's: a band-pass around each tells them apart in the mix. */
const EARLY_HZ = 440
const LATE_HZ = 1500
let media: StartedMedia
let link: TestLink
/** Another API instance, connected first: what the room sends must not drift to it. */
let bystander: TestLink
const feeders: Subprocess[] = []

/** A peer in `roomId` sending ffmpeg's tone and/or test pattern over plain transports. */
async function speaker(roomId: string, peerId: string, kinds: Array<'audio' | 'video'>, frequency = EARLY_HZ): Promise<void> {
  const { rtpCapabilities } = await link.link.request(roomId, peerId, 'getRouterRtpCapabilities', {})
  await link.link.request(roomId, peerId, 'join', { displayName: peerId, rtpCapabilities, device: DEVICE })
  for (const kind of kinds) {
    const transport = await link.link.request(roomId, peerId, 'createPlainTransport', { direction: 'send', comedia: true, rtcpMux: false })
    await link.link.request(roomId, peerId, 'produce', { transportId: transport.transportId, kind, rtpParameters: ffmpegRtpParameters(kind), appData: { source: kind === 'audio' ? 'mic' : 'camera' } })
    feeders.push(feedFfmpeg(kind, transport, frequency))
  }
}

/** Bytes written so far by the segments of one recording, per segment file. */
function segmentSizes(recordingPath: string): number[] {
  const dir = recordingPath.slice(0, recordingPath.lastIndexOf('/'))
  const base = recordingPath.slice(dir.length + 1).replace(/\.webm$/, '.seg')
  return readdirSync(dir).filter((name) => name.startsWith(base) && name.endsWith('.mkv')).sort().map((name) => statSync(`${dir}/${name}`).size)
}

beforeAll(async () => {
  media = await startMedia({ MEDIA_WORKERS: '1' })
  bystander = await TestLink.connect(media.url)
  link = await TestLink.connect(media.url)
  // Set up here because bun test kills processes a test leaves running.
  await link.link.request('rec', undefined, 'createRoom', {})
  await speaker('rec', 'speaker', ['audio', 'video'])
})

afterAll(async () => {
  for (const feeder of feeders) feeder.kill('SIGKILL')
  link?.close()
  bystander?.close()
  await media?.stop()
})

describe('recording', () => {
  test('refused with nothing to record, and stop before start is refused', async () => {
    await link.link.request('empty', undefined, 'createRoom', {})
    await expect(link.link.request('empty', undefined, 'startRecording', {})).rejects.toMatchObject({ code: 'RECORDING_FAILED' })
    await expect(link.link.request('empty', undefined, 'stopRecording', {})).rejects.toMatchObject({ code: 'RECORDING_NOT_ACTIVE' })
    await expect(link.link.request('empty', undefined, 'startRecording', { waitForMedia: 'yes' } as never)).rejects.toMatchObject({ code: 'INVALID_REQUEST' })
  })

  test('a producer that starts after the recording is in the mixed WebM: its tone in the late window only, its video in a second grid cell', async () => {
    const started = await link.link.request('rec', undefined, 'startRecording', {})
    expect(started.path.startsWith(`${media.dataDir}/recordings/rec-`)).toBe(true)
    expect(await link.waitFor('recordingStarted', (frame) => frame.roomId === 'rec')).toEqual(started)
    await expect(link.link.request('rec', undefined, 'startRecording', {})).rejects.toMatchObject({ code: 'RECORDING_ACTIVE' })

    // Opus at 64 kb/s writes about 8 KB a second: 40 KB of the early tone is several seconds before the late joiner.
    await eventually(() => segmentSizes(started.path), (sizes) => sizes.length === 2 && sizes.every((size) => size > 40_000), 60_000)
    await speaker('rec', 'late', ['audio', 'video'], LATE_HZ)
    await eventually(() => segmentSizes(started.path), (sizes) => sizes.length === 4 && sizes[2]! > 40_000 && sizes[3]! > 40_000, 60_000)

    const stopped = await link.link.request('rec', undefined, 'stopRecording', {})
    expect(stopped.recordingId).toBe(started.recordingId)
    expect(stopped.bytes).toBeGreaterThan(160_000)
    const notified = await link.waitFor('recordingStopped', (frame) => frame.roomId === 'rec', 180_000)
    expect(notified).toMatchObject({ recordingId: started.recordingId, path: started.path, reason: 'stopped' })
    expect(notified.bytes).toBe(statSync(started.path).size)
    // The segments are gone once mixed.
    expect(segmentSizes(started.path)).toEqual([])

    const probed = await probe(started.path)
    expect(probed.streams.map((stream) => `${stream.codec_type}/${stream.codec_name}`).sort()).toEqual(['audio/opus', 'video/vp8'])
    const duration = Number(probed.format.duration)
    expect(duration).toBeGreaterThan(6)
    // Two video cells side by side: the early speaker's, then the late joiner's.
    expect(probed.streams.find((stream) => stream.codec_type === 'video')).toMatchObject({ width: 1280, height: 360 })

    // The early window (first second) has the early tone and not the late one; the last seconds have both.
    const early = { from: 0.3, to: 1.3 }
    const late = { from: duration - 3, to: duration - 0.5 }
    expect(await toneLevel(started.path, EARLY_HZ, early)).toBeGreaterThan(-40)
    expect(await toneLevel(started.path, EARLY_HZ, late)).toBeGreaterThan(-40)
    const lateToneEarly = await toneLevel(started.path, LATE_HZ, early)
    const lateToneLate = await toneLevel(started.path, LATE_HZ, late)
    expect(lateToneLate).toBeGreaterThan(-40)
    expect(lateToneLate - lateToneEarly).toBeGreaterThan(20)
    // The late joiner's cell (right half) is black early and shows the test pattern late; the early cell shows it too.
    // (Sampled over the last seconds: a CPU-starved feeder stamps fewer frames than wall time, so its segment can end early.)
    const right = { x: 640, y: 0, width: 640, height: 360 }
    const left = { x: 0, y: 0, width: 640, height: 360 }
    const lastSeconds = [duration - 3, duration - 2, duration - 1]
    expect(await videoLevel(started.path, right, 0.8)).toBeLessThan(20)
    expect(Math.max(...(await Promise.all(lastSeconds.map((at) => videoLevel(started.path, right, at)))))).toBeGreaterThan(40)
    expect(Math.max(...(await Promise.all(lastSeconds.map((at) => videoLevel(started.path, left, at)))))).toBeGreaterThan(40)
  }, SLOW)

  test('a producer paused when its segment starts is placed where it first sends, not where it appeared', async () => {
    await link.link.request('paused', undefined, 'createRoom', {})
    await speaker('paused', 'talker', ['audio'])
    const started = await link.link.request('paused', undefined, 'startRecording', {})
    // The listener joins and produces paused (a microphone muted at join); its segment starts at once, silent.
    const { rtpCapabilities } = await link.link.request('paused', 'listener', 'getRouterRtpCapabilities', {})
    await link.link.request('paused', 'listener', 'join', { displayName: 'listener', rtpCapabilities, device: DEVICE })
    const transport = await link.link.request('paused', 'listener', 'createPlainTransport', { direction: 'send', comedia: true, rtcpMux: false })
    const { producerId } = await link.link.request('paused', 'listener', 'produce', { transportId: transport.transportId, kind: 'audio', rtpParameters: ffmpegRtpParameters('audio'), appData: { source: 'mic' } })
    await link.link.request('paused', 'listener', 'pauseProducer', { producerId })
    feeders.push(feedFfmpeg('audio', transport, LATE_HZ))
    // ffmpeg writes the listener's segment file only once packets come: until then only the talker's grows.
    await eventually(() => segmentSizes(started.path), (sizes) => sizes[0]! > 40_000, 60_000)
    await link.link.request('paused', 'listener', 'resumeProducer', { producerId })
    await eventually(() => segmentSizes(started.path), (sizes) => sizes.length === 2 && sizes[1]! > 24_000, 60_000)
    await link.link.request('paused', undefined, 'stopRecording', {})
    await link.waitFor('recordingStopped', (frame) => frame.roomId === 'paused', 180_000)
    const duration = Number((await probe(started.path)).format.duration)
    // The listener unmuted after the talker's 40 KB (about five seconds): silent at 1–3 s, heard at the end.
    const before = await toneLevel(started.path, LATE_HZ, { from: 1, to: 3 })
    const after = await toneLevel(started.path, LATE_HZ, { from: duration - 3, to: duration - 0.5 })
    expect(after).toBeGreaterThan(-40)
    expect(after - before).toBeGreaterThan(20)
  }, SLOW)

  test('waitForMedia starts a recording before anyone sends; the first producer is recorded', async () => {
    await link.link.request('armed', undefined, 'createRoom', {})
    const started = await link.link.request('armed', undefined, 'startRecording', { waitForMedia: true })
    await speaker('armed', 'first', ['audio'])
    await eventually(() => segmentSizes(started.path), (sizes) => sizes.length === 1 && sizes[0]! > 16_000, 60_000)
    await link.link.request('armed', undefined, 'stopRecording', {})
    const notified = await link.waitFor('recordingStopped', (frame) => frame.roomId === 'armed', 180_000)
    expect(notified.reason).toBe('stopped')
    const probed = await probe(started.path)
    expect(probed.streams.map((stream) => `${stream.codec_type}/${stream.codec_name}`)).toEqual(['audio/opus'])
    expect(Number(probed.format.duration)).toBeGreaterThan(1)
    expect(await toneLevel(started.path, EARLY_HZ, { from: Math.max(0, Number(probed.format.duration) - 2.5), to: Number(probed.format.duration) - 0.3 })).toBeGreaterThan(-40)
  }, SLOW)

  test('a recording nobody ever sent to ends as failed, with no file', async () => {
    await link.link.request('silent', undefined, 'createRoom', {})
    const started = await link.link.request('silent', undefined, 'startRecording', { waitForMedia: true })
    const stopped = await link.link.request('silent', undefined, 'stopRecording', {})
    expect(stopped.bytes).toBe(0)
    const notified = await link.waitFor('recordingStopped', (frame) => frame.roomId === 'silent', 30_000)
    expect(notified).toMatchObject({ reason: 'failed', bytes: 0 })
    expect(existsSync(started.path)).toBe(false)
  })

  test('closing a recorded room finalizes the file and says so to the API link that owns the room, not another one', async () => {
    const started = await link.link.request('rec', undefined, 'startRecording', {})
    await eventually(() => segmentSizes(started.path), (sizes) => sizes.length === 4 && sizes.every((size) => size > 20_000), 60_000)
    await link.link.request('rec', undefined, 'closeRoom', {})
    const notified = await link.waitFor('recordingStopped', (frame) => frame.notification.data.recordingId === started.recordingId, 180_000)
    expect(notified.reason).toBe('room-closed')
    expect(notified.bytes).toBeGreaterThan(20_000)
    expect(bystander.notifications.some((frame) => frame.notification.name === 'recordingStopped')).toBe(false)
    const probed = await probe(started.path)
    expect(probed.streams).toHaveLength(2)
    expect(Number(probed.format.duration)).toBeGreaterThan(0.5)
  }, SLOW)
})
