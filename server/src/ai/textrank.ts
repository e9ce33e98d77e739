/** A piece of text with the id of the message it came from, so a summary can cite its sources. */
export interface SourceText {
  id: string
  text: string
}

export interface RankedSentence {
  sourceId: string
  text: string
  score: number
}

const DAMPING = 0.85
const ITERATIONS = 50
const STOP_WORDS = new Set('a an and are as at be but by for from has have i in is it its of on or so that the this to was we were will with you your our they them he she his her not no do does did can just'.split(' '))

export function splitSentences(text: string): string[] {
  return text
    .replace(/```[\s\S]*?```/g, ' ')
    .split(/(?<=[.!?。！？])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

function tokens(sentence: string): string[] {
  return (sentence.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => !STOP_WORDS.has(w))
}

/** TextRank's sentence similarity: shared words over the log lengths (Mihalcea & Tarau, 2004). */
function similarity(a: Set<string>, b: Set<string>): number {
  if (a.size < 2 && b.size < 2) return a.size === 1 && b.size === 1 && [...a][0] === [...b][0] ? 1 : 0
  let shared = 0
  for (const word of a) if (b.has(word)) shared++
  return shared === 0 ? 0 : shared / (Math.log(a.size + 1) + Math.log(b.size + 1))
}

/**
 * Extractive summary: sentences ranked by PageRank over their similarity graph, the top `count`
 * returned in their original order. Works offline in any language with word boundaries.
 */
export function textRank(sources: SourceText[], count: number): RankedSentence[] {
  const sentences = sources.flatMap((source) => splitSentences(source.text).map((text) => ({ sourceId: source.id, text, words: new Set(tokens(text)) })))
    .filter((s) => s.words.size > 0)
  const n = sentences.length
  if (n === 0) return []
  const weights = sentences.map((a, i) => sentences.map((b, j) => (i === j ? 0 : similarity(a.words, b.words))))
  const outSums = weights.map((row) => row.reduce((sum, w) => sum + w, 0))
  let scores = new Array<number>(n).fill(1 / n)
  for (let iteration = 0; iteration < ITERATIONS; iteration++) {
    const next = scores.map((_, i) => {
      let incoming = 0
      for (let j = 0; j < n; j++) if (weights[j]![i]! > 0) incoming += (weights[j]![i]! / outSums[j]!) * scores[j]!
      return (1 - DAMPING) / n + DAMPING * incoming
    })
    const delta = next.reduce((sum, value, i) => sum + Math.abs(value - scores[i]!), 0)
    scores = next
    if (delta < 1e-6) break
  }
  return sentences
    .map((s, index) => ({ index, sourceId: s.sourceId, text: s.text, score: scores[index]! }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, count)
    .sort((a, b) => a.index - b.index)
    .map(({ sourceId, text, score }) => ({ sourceId, text, score }))
}
