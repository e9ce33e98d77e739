import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TranscriptWord } from '../db/schema'
import { runTool } from './process'

export interface Transcription {
  text: string
  words: TranscriptWord[]
  durationMs: number
  /** `pocketsphinx` or the provider's model. */
  method: string
}

/** Fillers and markers pocketsphinx prints beside real words. */
const NON_WORDS = /^(<s>|<\/s>|<sil>|\[.*\]|\+\+.*\+\+)$/

/**
 * Parses `pocketsphinx_continuous -time yes` output: per utterance a hypothesis line, then one
 * `word start end probability` line per segment; alternate pronunciations carry a `(2)` suffix.
 */
export function parsePocketsphinx(output: string): TranscriptWord[] {
  const words: TranscriptWord[] = []
  for (const line of output.split('\n')) {
    const match = /^(\S+) (\d+\.\d+) (\d+\.\d+) (-?\d+(?:\.\d+)?)$/.exec(line.trim())
    if (!match || NON_WORDS.test(match[1]!)) continue
    words.push({ word: match[1]!.replace(/\(\d+\)$/, ''), startMs: Math.round(Number(match[2]) * 1000), endMs: Math.round(Number(match[3]) * 1000) })
  }
  return words
}

/** Any audio ffmpeg reads → 16 kHz mono 16-bit WAV, the only input pocketsphinx's US-English model takes. */
export async function toSpeechWav(inputPath: string, outputPath: string, signal?: AbortSignal): Promise<void> {
  await runTool(['ffmpeg', '-nostdin', '-y', '-loglevel', 'error', '-i', inputPath, '-ar', '16000', '-ac', '1', '-sample_fmt', 's16', '-f', 'wav', outputPath], { signal })
}

/** Offline speech-to-text: ffmpeg conversion, then pocketsphinx with word timestamps. */
export async function transcribeOffline(inputPath: string, signal?: AbortSignal): Promise<Transcription> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-stt-'))
  try {
    const wav = join(dir, 'speech.wav')
    await toSpeechWav(inputPath, wav, signal)
    const { stdout } = await runTool(['pocketsphinx_continuous', '-infile', wav, '-logfn', '/dev/null', '-time', 'yes'], { signal })
    const words = parsePocketsphinx(stdout)
    // 16,000 samples of 2 bytes per second after a 44-byte header.
    const durationMs = Math.round((((await stat(wav)).size - 44) / 32_000) * 1000)
    return { text: words.map((w) => w.word).join(' '), words, durationMs, method: 'pocketsphinx' }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
