import { ValidationError } from '../../errors'

/** A free-text term: a bare word or a quoted phrase; either matches as a substring (trigram index). */
export interface SearchTerm {
  text: string
  phrase: boolean
}

export interface SearchFilters {
  /** Conversation ids or names (`in:abc`, `in:#general`); any of them. */
  in: Array<{ id?: string; name: string }>
  /** Usernames, lowercased, without the `@`; any of them. */
  from: string[]
  hasFile: boolean
  /** Epoch ms: created strictly before the start of that UTC day. */
  before?: number
  /** Epoch ms: created on or after the start of the UTC day after the given one. */
  after?: number
  isThread: boolean
}

export interface ParsedQuery {
  terms: SearchTerm[]
  filters: SearchFilters
  /** True when at least one filter narrows the search, so an empty text is allowed. */
  filtered: boolean
}

/** Shorter terms cannot use the trigram index and are matched with LIKE on readable messages instead. */
export const TRIGRAM_MIN = 3
export const MAX_TERMS = 16
const DAY_MS = 86_400_000
const FILTER = /^(in|from|has|before|after|is):(.*)$/i

const invalid = (message: string, token: string) => new ValidationError(message, { code: 'QUERY_INVALID', details: { token } })

/**
 * Splits `q` into free text and filters. Quoted text is never a filter; an unknown `key:value` is
 * plain text (URLs, times), a known key with a bad value is a 422 rather than a silent no-op.
 */
export function parseQuery(raw: string): ParsedQuery {
  // Control characters (NUL in particular) break FTS5 string parsing and never help a search.
  const q = raw.replace(/[\u0000-\u001f\u007f]/g, ' ')
  const terms: SearchTerm[] = []
  const filters: SearchFilters = { in: [], from: [], hasFile: false, isThread: false }
  let filtered = false
  let i = 0
  while (i < q.length) {
    if (/\s/.test(q[i]!)) {
      i++
      continue
    }
    if (q[i] === '"') {
      const close = q.indexOf('"', i + 1)
      const end = close === -1 ? q.length : close
      const text = q.slice(i + 1, end).trim()
      i = end + 1
      while (q[i] === '*') i++ // A prefix marker after a phrase: trigrams already match prefixes.
      if (text) terms.push({ text, phrase: true })
      continue
    }
    let end = i
    while (end < q.length && !/\s/.test(q[end]!)) end++
    const token = q.slice(i, end)
    i = end
    const filter = FILTER.exec(token)
    if (filter) {
      applyFilter(filters, filter[1]!.toLowerCase(), filter[2]!, token)
      filtered = true
      continue
    }
    // `deplo*`: trigram matching is substring matching, which already covers word prefixes.
    const text = token.replace(/\*+$/, '')
    if (text) terms.push({ text, phrase: false })
  }
  if (terms.length > MAX_TERMS) throw new ValidationError(`A search may have at most ${MAX_TERMS} terms`, { code: 'QUERY_TOO_COMPLEX' })
  return { terms, filters, filtered }
}

function applyFilter(filters: SearchFilters, key: string, value: string, token: string): void {
  if (!value) throw invalid(`The ${key}: filter needs a value`, token)
  switch (key) {
    case 'in':
      filters.in.push(value.startsWith('#') ? { name: value.slice(1) } : { id: value, name: value })
      return
    case 'from':
      filters.from.push(value.replace(/^@/, '').toLowerCase())
      return
    case 'has':
      if (value.toLowerCase() !== 'file') throw invalid('Only has:file is supported', token)
      filters.hasFile = true
      return
    case 'is':
      if (value.toLowerCase() !== 'thread') throw invalid('Only is:thread is supported', token)
      filters.isThread = true
      return
    case 'before':
      filters.before = Math.min(filters.before ?? Infinity, utcDay(value, token))
      return
    case 'after':
      filters.after = Math.max(filters.after ?? -Infinity, utcDay(value, token) + DAY_MS)
      return
    default:
      throw invalid(`Unknown filter ${key}:`, token)
  }
}

function utcDay(value: string, token: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (!match) throw invalid('Dates are written YYYY-MM-DD', token)
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const time = Date.UTC(year, month - 1, day)
  const date = new Date(time)
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) throw invalid('Not a calendar date', token)
  return time
}

const isPhrase = (term: SearchTerm) => /\s/.test(term.text)

/** One FTS5 string: `"` doubled inside, so user text can never be FTS5 syntax. */
export const ftsString = (word: string) => `"${word.replace(/"/g, '""')}"`

/**
 * One FTS5 string per word, implicitly ANDed. A phrase is matched word by word here (a trigram
 * phrase query checks positions for every candidate, which is slow for common words) and the exact
 * phrase is then checked with LIKE. Since that LIKE implies every word of the phrase, `narrow` may
 * keep just one of them (the rarest): bm25 then never has to count every row holding a common word.
 */
export function ftsMatch(terms: SearchTerm[], narrow?: (words: string[]) => string): string | null {
  const words = ftsWords(terms, narrow)
  return words.length ? words.map(ftsString).join(' ') : null
}

/** The distinct words ftsMatch puts in the MATCH. */
export function ftsWords(terms: SearchTerm[], narrow?: (words: string[]) => string): string[] {
  const words = terms.flatMap((term) => {
    const indexed = term.text.split(/\s+/).filter((word) => [...word].length >= TRIGRAM_MIN)
    return narrow && isPhrase(term) && indexed.length > 1 ? [narrow(indexed)] : indexed
  })
  return [...new Set(words)]
}

/** LIKE patterns for the terms too short for trigrams; `\` escapes the wildcards. */
export function likePatterns(terms: SearchTerm[]): string[] {
  return terms.filter((term) => [...term.text].length < TRIGRAM_MIN || isPhrase(term)).map((term) => `%${term.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!)

const SNIPPET_LENGTH = 200
const SNIPPET_LEAD = 60

/**
 * An HTML-safe excerpt: the text around the first hit, hits wrapped in `<mark>`, everything else
 * escaped, so a client can render it as HTML as is.
 */
export function snippet(content: string, terms: SearchTerm[]): string {
  const pattern = terms.length
    ? new RegExp([...new Set(terms.map((t) => t.text))].sort((a, b) => b.length - a.length).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'giu')
    : null
  const first = pattern ? content.search(pattern) : -1
  let start = 0
  let end = content.length
  if (content.length > SNIPPET_LENGTH) {
    start = Math.max(0, Math.min(first - SNIPPET_LEAD, content.length - SNIPPET_LENGTH))
    end = start + SNIPPET_LENGTH
    // Never cut a surrogate pair in half.
    if (/[\udc00-\udfff]/.test(content[start] ?? '')) start++
    if (/[\ud800-\udbff]/.test(content[end - 1] ?? '')) end--
  }
  const window = content.slice(start, end)
  let html = ''
  let last = 0
  if (pattern) {
    for (const match of window.matchAll(pattern)) {
      if (!match[0]) continue
      html += `${escapeHtml(window.slice(last, match.index))}<mark>${escapeHtml(match[0])}</mark>`
      last = match.index + match[0].length
    }
  }
  html += escapeHtml(window.slice(last))
  return `${start > 0 ? '…' : ''}${html}${end < content.length ? '…' : ''}`
}
