import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, statSync } from 'node:fs'
import type { Subprocess } from 'bun'
import { DEVICE, TestLink, eventually, feedFfmpeg, ffmpegRtpParameters, startMedia, type StartedMedia } from './test-kit'

/** ffmpeg needs a VP8 keyframe before it writes anything; on a loaded machine that can take a while. */
const SLOW = 60_000
let media: StartedMedia
let link: TestLink
/** Another API instance, connected first: what the room sends must not drift to it. */
let bystander: TestLink
const feeders: Subprocess[] = []

beforeAll(async () => {
  media = await startMedia({ MEDIA_WORKERS: '1' })
  bystander = await TestLink.connect(media.url)
  link = await TestLink.connect(media.url)
  // A speaker with a tone and a test pattern; set up here because bun test kills processes a test leaves running.
  await link.link.request('rec', undefined, 'createRoom', {})
  const { rtpCapabilities } = await link.link.request('rec', 'speaker', 'getRouterRtpCapabilities', {})
  await link.link.request('rec', 'speaker', 'join', { displayName: 'speaker', rtpCapabilities, device: DEVICE })
  for (const kind of ['audio', 'video'] as const) {
    const transport = await link.link.request('rec', 'speaker', 'createPlainTransport', { direction: 'send', comedia: true, rtcpMux: false })
    await link.link.request('rec', 'speaker', 'produce', { transportId: transport.transportId, kind, rtpParameters: ffmpegRtpParameters(kind), appData: { source: kind === 'audio' ? 'mic' : 'camera' } })
    feeders.push(feedFfmpeg(kind, transport))
  }
})

afterAll(async () => {
  for (const feeder of feeders) feeder.kill('SIGKILL')
  link?.close()
  bystander?.close()
  await media?.stop()
})

async function ffprobe(path: string): Promise<{ streams: Array<{ codec_name: string; codec_type: string }>; format: { duration: string } }> {
  const probe = Bun.spawn(['ffprobe', '-v', 'error', '-show_streams', '-show_format', '-of', 'json', path], { stdout: 'pipe', stderr: 'pipe' })
  const output = await new Response(probe.stdout).text()
  expect(await probe.exited).toBe(0)
  return JSON.parse(output)
}

describe('recording', () => {
  test('refused with nothing to record, and stop before start is refused', async () => {
    await link.link.request('empty', undefined, 'createRoom', {})
    await expect(link.link.request('empty', undefined, 'startRecording', {})).rejects.toMatchObject({ code: 'RECORDING_FAILED' })
    await expect(link.link.request('empty', undefined, 'stopRecording', {})).rejects.toMatchObject({ code: 'RECORDING_NOT_ACTIVE' })
  })

  test('start and stop write a playable WebM with the Opus and VP8 tracks under DATA_DIR/recordings', async () => {
    const started = await link.link.request('rec', undefined, 'startRecording', {})
    expect(started.path.startsWith(`${media.dataDir}/recordings/rec-`)).toBe(true)
    expect(await link.waitFor('recordingStarted', (frame) => frame.roomId === 'rec')).toEqual(started)
    await expect(link.link.request('rec', undefined, 'startRecording', {})).rejects.toMatchObject({ code: 'RECORDING_ACTIVE' })

    // WebM clusters land about every second: wait for 100 KB rather than for a time.
    await eventually(() => (existsSync(started.path) ? statSync(started.path).size : 0), (size) => size > 100_000, 45_000)
    const stopped = await link.link.request('rec', undefined, 'stopRecording', {})
    expect(stopped.recordingId).toBe(started.recordingId)
    expect(stopped.bytes).toBe(statSync(started.path).size)
    const notified = await link.waitFor('recordingStopped', (frame) => frame.roomId === 'rec')
    expect(notified).toMatchObject({ recordingId: started.recordingId, path: started.path, reason: 'stopped' })
    expect(existsSync(started.path.replace(/\.webm$/, '.sdp'))).toBe(false)

    const probe = await ffprobe(started.path)
    expect(probe.streams.map((stream) => `${stream.codec_type}/${stream.codec_name}`).sort()).toEqual(['audio/opus', 'video/vp8'])
    expect(Number(probe.format.duration)).toBeGreaterThan(1)
    // The file decodes end to end.
    const decode = Bun.spawn(['ffmpeg', '-v', 'error', '-i', started.path, '-f', 'null', '-'], { stdout: 'ignore', stderr: 'pipe' })
    expect(await decode.exited).toBe(0)
  }, SLOW)

  test('closing a recorded room finalizes the file and says so to the API link that owns the room, not another one', async () => {
    const started = await link.link.request('rec', undefined, 'startRecording', {})
    await eventually(() => (existsSync(started.path) ? statSync(started.path).size : 0), (size) => size > 50_000, 45_000)
    await link.link.request('rec', undefined, 'closeRoom', {})
    const notified = await link.waitFor('recordingStopped', (frame) => frame.notification.data.recordingId === started.recordingId)
    expect(notified.reason).toBe('room-closed')
    expect(notified.bytes).toBeGreaterThan(50_000)
    const probe = await ffprobe(started.path)
    expect(probe.streams).toHaveLength(2)
    expect(Number(probe.format.duration)).toBeGreaterThan(0.5)
  }, SLOW)
})
