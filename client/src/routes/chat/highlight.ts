// Syntax highlighting is loaded on demand: only conversations that show code pay for it.
let loading: Promise<typeof import('highlight.js/lib/core').default> | null = null

function load() {
  loading ??= (async () => {
    const [{ default: hljs }, ...languages] = await Promise.all([
      import('highlight.js/lib/core'),
      import('highlight.js/lib/languages/javascript'),
      import('highlight.js/lib/languages/typescript'),
      import('highlight.js/lib/languages/python'),
      import('highlight.js/lib/languages/bash'),
      import('highlight.js/lib/languages/json'),
      import('highlight.js/lib/languages/sql'),
      import('highlight.js/lib/languages/css'),
      import('highlight.js/lib/languages/xml'),
      import('highlight.js/lib/languages/go'),
      import('highlight.js/lib/languages/rust'),
    ])
    const names = ['javascript', 'typescript', 'python', 'bash', 'json', 'sql', 'css', 'xml', 'go', 'rust']
    names.forEach((name, i) => hljs.registerLanguage(name, languages[i]!.default))
    return hljs
  })()
  return loading
}

/** Highlights the code blocks inside an element (highlight.js escapes the code it colours). */
export function highlightIn(element: HTMLElement): void {
  const blocks = element.querySelectorAll<HTMLElement>('pre code:not([data-highlighted])')
  if (blocks.length === 0) return
  void load().then((hljs) => {
    for (const block of blocks) {
      const language = block.dataset.language
      if (language && !hljs.getLanguage(language)) continue
      hljs.highlightElement(block)
    }
  })
}
