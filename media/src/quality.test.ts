import { describe, expect, test } from 'bun:test'
import { DegradationLadder, layerForTile, type QualityStep } from './quality'

/** Feeds bitrates (bps) with a good score; answers the step after each sample. */
function walk(ladder: DegradationLadder, bitrates: Array<number | null>, score: number | null = 10): QualityStep[] {
  return bitrates.map((availableBitrate) => {
    ladder.update({ availableBitrate, score })
    return ladder.step
  })
}

describe('degradation ladder', () => {
  test('starts at 720p and stays there without an estimate', () => {
    expect(walk(new DegradationLadder(), [null, null, null])).toEqual(['720p', '720p', '720p'])
  })

  test('one dip is ignored; a sustained drop goes straight to the step the bandwidth allows', () => {
    const ladder = new DegradationLadder()
    expect(walk(ladder, [2_000_000, 300_000, 2_000_000])).toEqual(['720p', '720p', '720p'])
    expect(walk(ladder, [200_000, 200_000])).toEqual(['720p', '180p'])
    expect(walk(ladder, [50_000, 50_000])).toEqual(['180p', 'audio-only'])
  })

  test('recovery climbs one step at a time and only after sustained good samples', () => {
    const ladder = new DegradationLadder()
    walk(ladder, [50_000, 50_000])
    expect(ladder.step).toBe('audio-only')
    const steps = walk(ladder, Array(15).fill(5_000_000))
    expect(steps).toEqual([...Array(4).fill('audio-only'), ...Array(5).fill('180p'), ...Array(5).fill('360p'), '720p'])
  })

  test('bandwidth oscillating around a threshold never flaps', () => {
    const ladder = new DegradationLadder()
    // Around the 360p minimum (450 kbps) and below its climbing margin (585 kbps) to 720p.
    const samples = Array.from({ length: 60 }, (_, index) => (index % 3 === 0 ? 420_000 : 560_000))
    const steps = walk(ladder, samples)
    const changes = steps.filter((step, index) => index > 0 && step !== steps[index - 1]).length
    expect(changes).toBeLessThanOrEqual(1)
    // A receiver right at the edge of 360p is not lifted back to 720p.
    expect(steps.at(-1)).not.toBe('720p')
  })

  test('a poor consumer score steps down even with bandwidth, and blocks climbing', () => {
    const ladder = new DegradationLadder()
    expect(walk(ladder, [5_000_000, 5_000_000], 3)).toEqual(['720p', '360p'])
    expect(walk(ladder, Array(10).fill(5_000_000), 7).every((step) => step === '360p')).toBe(true)
  })
})

describe('tile size to simulcast layer', () => {
  test('small tiles take the lowest layer, large ones the highest', () => {
    expect(layerForTile(160, 90)).toBe(0)
    expect(layerForTile(320, 180)).toBe(0)
    expect(layerForTile(640, 360)).toBe(1)
    expect(layerForTile(400, 400)).toBe(1)
    expect(layerForTile(480, 480)).toBe(2)
    expect(layerForTile(1280, 720)).toBe(2)
    expect(layerForTile(0, 0)).toBe(0)
  })
})
