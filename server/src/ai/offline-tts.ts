import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runTool } from './process'

export type SpeechFormat = 'wav' | 'mp3'

export interface Speech {
  audio: Uint8Array
  contentType: string
  /** `festival` or the provider's model. */
  method: string
}

export const CONTENT_TYPES: Record<SpeechFormat, string> = { wav: 'audio/wav', mp3: 'audio/mpeg' }

/** Festival's HTS voice: pocketsphinx understands it, unlike espeak-ng's. */
const VOICE = '(voice_cmu_us_slt_arctic_hts)'

/** Offline text-to-speech with Festival (`text2wave`), converted by ffmpeg when another format is asked for. */
export async function synthesizeOffline(text: string, format: SpeechFormat = 'wav', signal?: AbortSignal): Promise<Speech> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-tts-'))
  try {
    const input = join(dir, 'text.txt')
    const wav = join(dir, 'speech.wav')
    await writeFile(input, text)
    await runTool(['text2wave', input, '-o', wav, '-eval', VOICE], { signal })
    let output = wav
    if (format !== 'wav') {
      output = join(dir, `speech.${format}`)
      await runTool(['ffmpeg', '-nostdin', '-y', '-loglevel', 'error', '-i', wav, output], { signal })
    }
    return { audio: new Uint8Array(await readFile(output)), contentType: CONTENT_TYPES[format], method: 'festival' }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
