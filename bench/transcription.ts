/**
 * Offline speech-to-text real-time factor: about 60 s of Festival HTS speech transcribed by the
 * offline engine (ffmpeg → 16 kHz WAV → pocketsphinx with word timestamps), as the transcription
 * job runs it.
 *
 *   bun bench/transcription.ts [--write] [--runs 3]
 *
 * The real-time factor is wall time over audio duration (target < 1.0). The same run also times
 * the ffmpeg conversion alone, so the share of the engine itself is visible, and reports the word
 * error rate against the text that was spoken. See docs/BENCHMARKS.md.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { synthesizeOffline } from '../server/src/ai/offline-tts'
import { toSpeechWav, transcribeOffline } from '../server/src/ai/offline-stt'
import { describeMachine, describeRevision, markdownTable, writeSection } from './lib/report'

const ROOT = resolve(import.meta.dir, '..')
const DOC = join(ROOT, 'docs/BENCHMARKS.md')
const TARGET_RTF = 1.0

// About 60 seconds at Festival's HTS speaking rate; plain words pocketsphinx's US-English model knows.
const SCRIPT = [
  'good morning everyone and thank you for joining the weekly planning meeting',
  'today we will review the release schedule and the open issues from last week',
  'the team finished the new search feature and the tests are passing on every machine',
  'we still need to check the performance of the history page with one million messages',
  'the design group would like more time to work on the mobile layout before we ship it',
  'please send your questions to the project channel so that everyone can read the answers',
  'next week we will start the interview system and the training program for new people',
  'the customer asked for a simple way to export their data and we agreed to build it',
  'thank you all for the hard work and let us meet again at the same time next monday',
  'remember that the office will be closed on friday for the public holiday',
  'if you need help with the new tools please ask in the support channel at any time',
  'the budget for the next quarter will be shared with the team leads by the end of the month',
  'we hope to hire two more people for the support team before the summer starts',
  'finally the new coffee machine in the kitchen is working again so please enjoy it',
].join('. ')

const { values: args } = parseArgs({ options: { write: { type: 'boolean', default: false }, runs: { type: 'string', default: '3' } } })
const runs = Number(args.runs)
if (!(runs >= 1 && runs <= 20)) {
  console.error('--runs must be 1–20')
  process.exit(2)
}

/** Word error rate: word-level edit distance over the reference length. */
function wordErrorRate(reference: string[], hypothesis: string[]): number {
  let previous = Array.from({ length: hypothesis.length + 1 }, (_, j) => j)
  for (let i = 1; i <= reference.length; i++) {
    const current = [i]
    for (let j = 1; j <= hypothesis.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (reference[i - 1] === hypothesis[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[hypothesis.length]! / reference.length
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

const dir = await mkdtemp(join(tmpdir(), 'parley-bench-stt-'))
try {
  const synthStarted = performance.now()
  const speech = await synthesizeOffline(SCRIPT)
  const synthSeconds = (performance.now() - synthStarted) / 1000
  const input = join(dir, 'speech.wav')
  await Bun.write(input, speech.audio)
  const converted = join(dir, 'speech-16k.wav')
  await toSpeechWav(input, converted)
  const audioSeconds = ((await stat(converted)).size - 44) / 32_000
  console.log(`synthesized ${audioSeconds.toFixed(1)} s of speech in ${synthSeconds.toFixed(1)} s`)

  const reference = SCRIPT.replace(/\./g, '').split(/\s+/)
  const rows: Array<{ run: number; convertSeconds: number; totalSeconds: number; rtf: number; wer: number; words: number }> = []
  for (let run = 1; run <= runs; run++) {
    const convertStarted = performance.now()
    await toSpeechWav(input, join(dir, `convert-${run}.wav`))
    const convertSeconds = (performance.now() - convertStarted) / 1000
    const started = performance.now()
    const result = await transcribeOffline(input)
    const totalSeconds = (performance.now() - started) / 1000
    rows.push({ run, convertSeconds, totalSeconds, rtf: totalSeconds / audioSeconds, wer: wordErrorRate(reference, result.text.split(' ')), words: result.words.length })
    console.log(`run ${run}: ${totalSeconds.toFixed(2)} s, RTF ${(totalSeconds / audioSeconds).toFixed(3)}`)
  }

  const rtf = median(rows.map((r) => r.rtf))
  const machine = describeMachine('n/a')
  const table = markdownTable(rows, [
    { title: 'Run', align: 'right', cell: (r) => String(r.run) },
    { title: 'ffmpeg alone (s)', align: 'right', cell: (r) => r.convertSeconds.toFixed(2) },
    { title: 'Whole transcription (s)', align: 'right', cell: (r) => r.totalSeconds.toFixed(2) },
    { title: 'Real-time factor', align: 'right', cell: (r) => r.rtf.toFixed(3) },
    { title: 'Word error rate', align: 'right', cell: (r) => `${(r.wer * 100).toFixed(1)}%` },
    { title: 'Words with timestamps', align: 'right', cell: (r) => String(r.words) },
  ])
  const section = `
## Transcription: \`bench/transcription.ts\`

Offline speech-to-text as the \`transcription\` job runs it without a provider: ffmpeg converts to
16 kHz mono WAV, \`pocketsphinx_continuous -time yes\` transcribes with word timestamps. Input:
${audioSeconds.toFixed(1)} s of Festival HTS speech (\`voice_cmu_us_slt_arctic_hts\`, ${reference.length} words,
synthesized in ${synthSeconds.toFixed(1)} s). Real-time factor = wall time / audio duration; target < ${TARGET_RTF.toFixed(1)}.
Measured on ${machine.cpus} × ${machine.cpuModel}, Bun ${machine.bun}, ${describeRevision(ROOT)}.

${table}

**Median real-time factor: ${rtf.toFixed(3)}** (${rtf < TARGET_RTF ? 'meets' : 'misses'} the < ${TARGET_RTF.toFixed(1)} target):
one pocketsphinx process transcribes ${(1 / rtf).toFixed(1)}× faster than the audio plays. It is
single-threaded, so each core (and \`WORKER_CONCURRENCY_TRANSCRIPTION\`) adds about as much again.
The machine is shared and noisy: the spread between runs is load from other processes, not the engine.
`
  console.log(section)
  console.log(JSON.stringify({ bench: 'transcription', audioSeconds, rtf, wer: median(rows.map((r) => r.wer)) }))
  if (args.write) writeSection(DOC, 'transcription', section)
} finally {
  await rm(dir, { recursive: true, force: true })
}
