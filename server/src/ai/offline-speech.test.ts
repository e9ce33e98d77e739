import { afterAll, beforeAll, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../config'
import { openDatabase, type Db } from '../db/client'
import { aiUsage } from '../db/schema'
import { createLogger } from '../logger'
import { AiProvider } from './provider'
import { parsePocketsphinx } from './offline-stt'
import { textRank } from './textrank'
import { UsageLedger } from './usage'

const SENTENCE = 'hello world this is a test of the interview system'
let dataDir: string
let db: Db
let ai: AiProvider

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'parley-speech-test-'))
  db = openDatabase(join(dataDir, 'parley.db'))
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir })
  ai = new AiProvider(config.ai, new UsageLedger(db, config.ai), createLogger('silent'))
})
afterAll(() => {
  db.$client.close()
  rmSync(dataDir, { recursive: true, force: true })
})

test('offline round trip: Festival (HTS voice) speaks, pocketsphinx hears most words, with timestamps', async () => {
  const speech = await ai.speak(SENTENCE, { feature: 'Test', userId: null })
  expect(speech.method).toBe('festival')
  expect(new TextDecoder().decode(speech.audio.slice(0, 4))).toBe('RIFF')
  const path = join(dataDir, 'sentence.wav')
  await Bun.write(path, speech.audio)

  const heard = await ai.transcribe(path, { feature: 'Test', userId: null })
  expect(heard.method).toBe('pocketsphinx')
  const expected = SENTENCE.split(' ')
  const got = heard.text.split(' ')
  const matched = expected.filter((word) => got.includes(word)).length
  // One word may come back wrong ("this as a test"): most, not all.
  expect(matched).toBeGreaterThanOrEqual(expected.length - 2)
  expect(heard.words.length).toBeGreaterThanOrEqual(expected.length - 2)
  for (const [i, word] of heard.words.entries()) {
    expect(word.endMs).toBeGreaterThan(word.startMs)
    if (i > 0) expect(word.startMs).toBeGreaterThanOrEqual(heard.words[i - 1]!.endMs)
  }
  expect(heard.durationMs).toBeGreaterThan(1500)
  expect(db.select().from(aiUsage).all().map((r) => r.model).sort()).toEqual(['festival', 'pocketsphinx'])
})

test('mp3 output goes through ffmpeg; a file that is not audio is a 503 AI_ENGINE_FAILED, not a crash', async () => {
  const mp3 = await ai.speak('short', { feature: 'Test', userId: null, format: 'mp3' })
  expect(mp3.contentType).toBe('audio/mpeg')
  expect(mp3.audio.length).toBeGreaterThan(500)
  const junk = join(dataDir, 'junk.wav')
  await Bun.write(junk, 'this is not audio at all')
  const error = await ai.transcribe(junk, { feature: 'Test', userId: null }).catch((e) => e)
  expect(error.code).toBe('AI_ENGINE_FAILED')
  expect(error.status).toBe(503)
})

test('pocketsphinx output parsing drops markers and alternate-pronunciation suffixes', () => {
  const output = 'hello world\n<s> 0.090 0.150 1.000000\nhello(2) 0.160 0.420 0.775591\n<sil> 0.43 0.5 1.0\n[NOISE] 0.5 0.6 1.0\nworld 0.600 0.710 0.993620\n</s> 2.890 2.990 1.000000\n'
  expect(parsePocketsphinx(output)).toEqual([{ word: 'hello', startMs: 160, endMs: 420 }, { word: 'world', startMs: 600, endMs: 710 }])
})

test('TextRank picks the central sentences, in their original order, citing their messages', () => {
  const ranked = textRank([
    { id: 'm1', text: 'The release of version two is planned for Friday.' },
    { id: 'm2', text: 'Lunch was great today.' },
    { id: 'm3', text: 'Version two release needs the migration tested before Friday.' },
    { id: 'm4', text: 'Who tests the migration for the version two release?' },
    { id: 'm5', text: 'My cat sleeps a lot.' },
  ], 2)
  expect(ranked).toHaveLength(2)
  expect(ranked.map((s) => s.sourceId)).not.toContain('m2')
  expect(ranked.map((s) => s.sourceId)).not.toContain('m5')
  expect(ranked.map((s) => s.sourceId)).toEqual([...ranked.map((s) => s.sourceId)].sort())
})
