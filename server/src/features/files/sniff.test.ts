import { describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SNIFF_BYTES, sniff } from './sniff'

const dir = mkdtempSync(join(tmpdir(), 'parley-sniff-'))

async function encode(name: string, args: string[]): Promise<Uint8Array> {
  const path = join(dir, name)
  const run = Bun.spawnSync(['ffmpeg', '-loglevel', 'error', '-y', ...args, path])
  if (run.exitCode !== 0) throw new Error(`ffmpeg: ${run.stderr.toString()}`)
  return new Uint8Array(await Bun.file(path).arrayBuffer()).slice(0, SNIFF_BYTES)
}

describe('sniffing Matroska/WebM', () => {
  test('a voice note (audio-only WebM, as MediaRecorder makes) is audio; WebM and Matroska with video stay video', async () => {
    try {
      expect(sniff(await encode('voice.webm', ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'libopus']))).toEqual({ mime: 'audio/webm', kind: 'audio', ext: 'weba' })
      expect(sniff(await encode('clip.webm', ['-f', 'lavfi', '-i', 'testsrc=duration=1:size=64x64:rate=10', '-f', 'lavfi', '-i', 'sine=duration=1', '-c:v', 'libvpx', '-c:a', 'libopus']))).toEqual({ mime: 'video/webm', kind: 'video', ext: 'webm' })
      expect(sniff(await encode('song.mka', ['-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'libvorbis']))).toEqual({ mime: 'audio/x-matroska', kind: 'audio', ext: 'mka' })
      expect(sniff(await encode('film.mkv', ['-f', 'lavfi', '-i', 'testsrc=duration=1:size=64x64:rate=10', '-c:v', 'libvpx-vp9']))).toEqual({ mime: 'video/x-matroska', kind: 'video', ext: 'mkv' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
