import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from '../../server/src/logger'
import { mixArguments, probeDurationMs, runMix, type ProbedSegment } from './recording-mix'
import { probe, toneLevel, videoLevel } from './recording-probe'

// The mix on its own, with segments ffmpeg makes here (what the segment recorders would have written):
// the grid layout, a camera turned off and on again in one cell, audio placed at its offset.
const dir = mkdtempSync(join(tmpdir(), 'parley-mix-'))
const logger = createLogger('error', { process: 'test' })
const LEFT = { x: 0, y: 0, width: 640, height: 360 }
const RIGHT = { x: 640, y: 0, width: 640, height: 360 }

async function make(name: string, kind: 'audio' | 'video', seconds: number, frequency = 440): Promise<string> {
  const path = join(dir, `${name}.mkv`)
  const source = kind === 'audio' ? ['-f', 'lavfi', '-i', `sine=frequency=${frequency}:sample_rate=48000`, '-c:a', 'libopus', '-ac', '2'] : ['-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=15', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8']
  const child = Bun.spawn(['ffmpeg', '-hide_banner', '-loglevel', 'error', ...source, '-t', String(seconds), '-f', 'matroska', '-y', path], { stdout: 'ignore', stderr: 'pipe' })
  if ((await child.exited) !== 0) throw new Error(await new Response(child.stderr).text())
  return path
}

async function segment(name: string, kind: 'audio' | 'video', seconds: number, peerId: string, source: string, offsetMs: number, frequency?: number): Promise<ProbedSegment> {
  const path = await make(name, kind, seconds, frequency)
  return { path, kind, peerId, source, offsetMs, bytes: 1, durationMs: (await probeDurationMs(path))! }
}

let segments: Record<string, ProbedSegment>

beforeAll(async () => {
  segments = {
    voice: await segment('voice', 'audio', 2, 'ann', 'mic', 3000, 700),
    cameraOn: await segment('camera-on', 'video', 2, 'ann', 'camera', 0),
    cameraAgain: await segment('camera-again', 'video', 2, 'ann', 'camera', 4000),
    screen: await segment('screen', 'video', 3, 'ben', 'screen', 1000),
  }
}, 60_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the recording mix', () => {
  test('one cell per participant and source; a camera off and on again is black in between; audio at its offset', async () => {
    const output = join(dir, 'grid.webm')
    expect(await runMix(mixArguments(Object.values(segments), 6000, output), 6000, logger)).toBe(true)
    const probed = await probe(output)
    expect(probed.streams.find((stream) => stream.codec_type === 'video')).toMatchObject({ codec_name: 'vp8', width: 1280, height: 360 })
    expect(Number(probed.format.duration)).toBeGreaterThan(5.5)
    expect(Number(probed.format.duration)).toBeLessThan(6.5)
    // Ann's camera: on for 0–2 s, off 2–4 s, on again 4–6 s.
    expect(await videoLevel(output, LEFT, 1)).toBeGreaterThan(40)
    expect(await videoLevel(output, LEFT, 3)).toBeLessThan(20)
    expect(await videoLevel(output, LEFT, 5)).toBeGreaterThan(40)
    // Ben's screen: 1–4 s.
    expect(await videoLevel(output, RIGHT, 0.5)).toBeLessThan(20)
    expect(await videoLevel(output, RIGHT, 2.5)).toBeGreaterThan(40)
    expect(await videoLevel(output, RIGHT, 5)).toBeLessThan(20)
    // Ann's voice: 3–5 s only.
    expect(await toneLevel(output, 700, { from: 3.3, to: 4.7 })).toBeGreaterThan(-40)
    expect(await toneLevel(output, 700, { from: 0.5, to: 2.5 })).toBeLessThan(-70)
  }, 120_000)

  test('five cells make a 3×2 grid; audio alone makes an audio-only WebM', async () => {
    const peers = await Promise.all(['p1', 'p2', 'p3', 'p4', 'p5'].map((peerId) => segment(`cam-${peerId}`, 'video', 1, peerId, 'camera', 0)))
    const grid = join(dir, 'five.webm')
    expect(await runMix(mixArguments(peers, 1000, grid), 1000, logger)).toBe(true)
    expect((await probe(grid)).streams.map((stream) => [stream.codec_type, stream.width, stream.height])).toEqual([['video', 1278, 480]])

    const voice = join(dir, 'voice.webm')
    expect(await runMix(mixArguments([segments.voice!], 5000, voice), 5000, logger)).toBe(true)
    expect((await probe(voice)).streams.map((stream) => `${stream.codec_type}/${stream.codec_name}`)).toEqual(['audio/opus'])
  }, 120_000)

  test('a mix ffmpeg cannot read fails without throwing', async () => {
    const broken: ProbedSegment = { ...segments.voice!, path: join(dir, 'missing.mkv') }
    expect(await runMix(mixArguments([broken], 1000, join(dir, 'broken.webm')), 1000, logger)).toBe(false)
  })
})
