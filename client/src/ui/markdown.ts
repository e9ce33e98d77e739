/**
 * Chat markdown to HTML, safe by construction: every character of the input is escaped first and
 * only the tags built here are emitted (no raw HTML passes through, no attribute comes from the
 * input except an escaped, scheme-checked href). Supports fenced and inline code, bold, italic,
 * strikethrough, links, bare URLs, block quotes, lists and @mentions.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!)
}

const SAFE_SCHEMES = /^(https?:|mailto:)/i

/** An href we are willing to emit, or null (javascript:, data:, vbscript: and friends are refused). */
export function safeHref(raw: string): string | null {
  const url = raw.trim()
  // Browsers ignore control characters and whitespace inside schemes ("java\tscript:"), so we refuse them.
  if (/[\u0000-\u001f\u007f\s]/.test(url)) return null
  if (!SAFE_SCHEMES.test(url)) return null
  return url
}

function link(href: string, label: string): string {
  return `<a href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer nofollow">${label}</a>`
}

// Placeholders keep already-rendered pieces (code, links) away from later inline rules.
function inline(text: string, mentionName: (username: string) => string | null): string {
  const stash: string[] = []
  const keep = (html: string) => `\u0000${stash.push(html) - 1}\u0000`
  let out = text
    .replace(/`([^`\n]+)`/g, (_, code: string) => keep(`<code>${escapeHtml(code)}</code>`))
    .replace(/\[([^\]\n]{1,200})\]\(([^)\s]{1,2000})\)/g, (whole, label: string, href: string) => {
      const safe = safeHref(href)
      return safe ? keep(link(safe, escapeHtml(label))) : keep(escapeHtml(whole))
    })
    .replace(/\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g, (url: string) => {
      const safe = safeHref(url)
      return safe ? keep(link(safe, escapeHtml(url))) : keep(escapeHtml(url))
    })
  out = escapeHtml(out)
    .replace(/\*\*([^*\n]+)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\w*])\*([^*\n]+)\*(?!\w)/g, '$1<em>$2</em>')
    .replace(/(^|[^\w])_([^_\n]+)_(?!\w)/g, '$1<em>$2</em>')
    .replace(/~~([^~\n]+)~~/g, '<del>$1</del>')
    .replace(/(^|[^\w@])@(channel|here|[a-z0-9_.-]{2,32})\b/gi, (whole, before: string, name: string) => {
      const special = name === 'channel' || name === 'here'
      const label = special ? name : mentionName(name.toLowerCase())
      if (!special && !label) return whole
      return `${before}<span class="mention" data-mention="${escapeHtml(name)}">@${escapeHtml(name)}</span>`
    })
    .replace(/\n/g, '<br>')
  return out.replace(/\u0000(\d+)\u0000/g, (_, index: string) => stash[Number(index)]!)
}

export interface RenderOptions {
  /** Resolves `@username` to a display name; unknown names stay plain text. */
  mentionName?: (username: string) => string | null
}

export function renderMarkdown(source: string, options: RenderOptions = {}): string {
  const mentionName = options.mentionName ?? (() => null)
  const blocks: string[] = []
  const parts = source.split(/^```([\w+-]{0,20})[^\n]*\n([\s\S]*?)^```[ \t]*$/m)
  for (let i = 0; i < parts.length; i += 3) {
    blocks.push(paragraphs(parts[i]!, mentionName))
    if (i + 2 < parts.length) {
      const language = parts[i + 1]!
      const code = parts[i + 2]!.replace(/\n$/, '')
      blocks.push(`<pre><code${language ? ` class="language-${escapeHtml(language)}" data-language="${escapeHtml(language)}"` : ''}>${escapeHtml(code)}</code></pre>`)
    }
  }
  return blocks.join('')
}

function paragraphs(text: string, mentionName: (username: string) => string | null): string {
  const out: string[] = []
  const lines = text.split('\n')
  let buffer: string[] = []
  const flush = () => {
    const joined = buffer.join('\n').trim()
    if (joined) out.push(`<p>${inline(joined, mentionName)}</p>`)
    buffer = []
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (/^>\s?/.test(line)) {
      flush()
      const quoted: string[] = []
      while (i < lines.length && /^>\s?/.test(lines[i]!)) quoted.push(lines[i++]!.replace(/^>\s?/, ''))
      i--
      out.push(`<blockquote>${inline(quoted.join('\n'), mentionName)}</blockquote>`)
    } else if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
      flush()
      const ordered = /^\s*\d+\./.test(line)
      const items: string[] = []
      while (i < lines.length && /^\s*([-*]|\d+\.)\s+/.test(lines[i]!)) items.push(`<li>${inline(lines[i++]!.replace(/^\s*([-*]|\d+\.)\s+/, ''), mentionName)}</li>`)
      i--
      out.push(ordered ? `<ol>${items.join('')}</ol>` : `<ul>${items.join('')}</ul>`)
    } else if (line.trim() === '') {
      flush()
    } else {
      buffer.push(line)
    }
  }
  flush()
  return out.join('')
}

/** One line of plain text from Markdown, for previews (notifications): no markers, fences or line breaks. */
/**
 * Markdown's markers in a piece of a snippet (fences, bold, strike, code ticks), dropped without
 * looking for pairs: a snippet is a window cut anywhere, so a pair may be split by a search hit or
 * by the window's edge. Single `*` and `_` stay (they are as often plain text).
 */
export function stripMarkdownMarkers(text: string): string {
  return text.replace(/```[\w-]*/g, ' ').replace(/\*\*|__|~~|`/g, '').replace(/\s+/g, ' ')
}

export function markdownToPlain(source: string): string {
  return source
    .replace(/```[^\n]*\n?/g, ' ')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(^|\W)(\*\*|__|~~|\*|_)(?=\S)([^\n]*?\S)\2(?!\w)/g, '$1$3')
    .replace(/^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+|\d+\.\s+)/gm, '')
    .replace(/\s+/g, ' ')
    .trim()
}
