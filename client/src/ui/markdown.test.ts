import { describe, expect, test } from 'bun:test'
import { markdownToPlain, renderMarkdown, safeHref, stripMarkdownMarkers } from './markdown'

const names: Record<string, string> = { ada: 'Ada Lovelace' }
const render = (source: string) => renderMarkdown(source, { mentionName: (u) => names[u] ?? null })

describe('renderMarkdown', () => {
  test('raw HTML is shown as text, never as markup', () => {
    for (const payload of ['<img src=x onerror=alert(1)>', '<script>alert(1)</script>', '<svg onload=alert(1)>', '<a href="javascript:alert(1)">x</a>', '"><iframe src=//evil>']) {
      const html = render(payload)
      expect(html).not.toMatch(/<(img|script|svg|iframe|a)\b/i)
      expect(html).toContain('&lt;')
    }
  })

  test('links: http(s) and mailto only, opened safely; scripts and tricks in the scheme are refused', () => {
    expect(render('[docs](https://example.com/a?b=1&c=2)')).toBe('<p><a href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer nofollow">docs</a></p>')
    expect(render('[x](javascript:alert(1))')).not.toContain('<a')
    expect(render('[x](JaVaScRiPt:alert(1))')).not.toContain('<a')
    expect(render('[x](data:text/html;base64,PHNjcmlwdD4=)')).not.toContain('<a')
    expect(safeHref('java\tscript:alert(1)')).toBeNull()
    expect(safeHref('https://example.com/\u0000')).toBeNull()
    expect(safeHref('mailto:ada@example.com')).toBe('mailto:ada@example.com')
    // A quote in a URL cannot break out of the attribute.
    expect(render('https://example.com/"onmouseover="alert(1)')).not.toMatch(/href="[^"]*"\s*onmouseover/)
  })

  test('bare URLs become links without swallowing trailing punctuation', () => {
    expect(render('see https://example.com/x.')).toBe('<p>see <a href="https://example.com/x" target="_blank" rel="noopener noreferrer nofollow">https://example.com/x</a>.</p>')
  })

  test('emphasis, code, quotes, lists and line breaks', () => {
    expect(render('**bold** *it* _it_ ~~gone~~ `a<b`')).toBe('<p><strong>bold</strong> <em>it</em> <em>it</em> <del>gone</del> <code>a&lt;b</code></p>')
    expect(render('> quoted\nplain')).toBe('<blockquote>quoted</blockquote><p>plain</p>')
    expect(render('- one\n- two')).toBe('<ul><li>one</li><li>two</li></ul>')
    expect(render('1. one\n2. two')).toBe('<ol><li>one</li><li>two</li></ol>')
    expect(render('line one\nline two')).toBe('<p>line one<br>line two</p>')
  })

  test('fenced code keeps its text verbatim (escaped) and names its language', () => {
    const html = render('before\n```ts\nconst a = "<b>" && 1 < 2\n**not bold**\n```\nafter')
    expect(html).toBe('<p>before</p><pre><code class="language-ts" data-language="ts">const a = &quot;&lt;b&gt;&quot; &amp;&amp; 1 &lt; 2\n**not bold**</code></pre><p>after</p>')
  })

  test('mentions of known people, @channel and @here are marked; unknown names and emails stay text', () => {
    expect(render('hi @ada and @channel')).toBe('<p>hi <span class="mention" data-mention="ada">@ada</span> and <span class="mention" data-mention="channel">@channel</span></p>')
    expect(render('@nobody')).toBe('<p>@nobody</p>')
    expect(render('mail ada@example.com')).toBe('<p>mail ada@example.com</p>')
  })
})

describe('markdownToPlain', () => {
  test('drops emphasis, code fences, quotes, list markers and link targets, keeping the words on one line', () => {
    expect(markdownToPlain('Hello @ann, the **release notes** are ready:\n```ts\nconst ready = true\n```')).toBe('Hello @ann, the release notes are ready: const ready = true')
    expect(markdownToPlain('> quoted\n- one\n- two\nSee [the draft](https://example.com) and `code` ~~old~~ _it_')).toBe('quoted one two See the draft and code old it')
  })

  test('leaves snake_case words and lone asterisks alone', () => {
    expect(markdownToPlain('set max_retry_count to 3 * 2')).toBe('set max_retry_count to 3 * 2')
  })
})

describe('stripMarkdownMarkers', () => {
  test('drops fences, bold, strike and code ticks in a snippet piece, even when a hit splits their pairs', () => {
    // The snippet `Hello, the **<mark>release</mark> notes** are ready: ```ts const ready = true ````, piece by piece.
    expect(['Hello, the **', 'release', ' notes** are ready: ```ts const ready = true ```'].map(stripMarkdownMarkers).join('')).toBe('Hello, the release notes are ready: const ready = true ')
    expect(stripMarkdownMarkers('~~old~~ and `code`')).toBe('old and code')
  })

  test('keeps lone asterisks and underscores in words', () => {
    expect(stripMarkdownMarkers('3 * 2 is max_retry')).toBe('3 * 2 is max_retry')
  })
})
