import type { Page } from '@playwright/test'

export interface LowContrast {
  text: string
  ratio: number
  color: string
  background: string
}

/**
 * Every visible text node's colour against the background it is drawn on (the nearest ancestor with
 * an opaque background), by the WCAG 2 formula. Returns those under AA: 4.5:1, or 3:1 for large text
 * (24 px, or 18.66 px bold). Placeholders, disabled controls and media are left out, as WCAG does.
 */
export function lowContrast(page: Page, root = 'body'): Promise<LowContrast[]> {
  return page.evaluate((selector) => {
    const parse = (value: string) => {
      const m = value.match(/rgba?\(([^)]+)\)/)
      if (!m) return null
      const [r, g, b, a = 1] = m[1]!.split(/[ ,/]+/).filter(Boolean).map(Number)
      return { r: r!, g: g!, b: b!, a: a! }
    }
    const luminance = ({ r, g, b }: { r: number; g: number; b: number }) => {
      const channel = (c: number) => {
        const s = c / 255
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
      }
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }
    const backgroundOf = (element: Element | null): { r: number; g: number; b: number } => {
      for (let node = element; node; node = node.parentElement) {
        const color = parse(getComputedStyle(node).backgroundColor)
        if (color && color.a >= 0.99) return color
      }
      return { r: 255, g: 255, b: 255 }
    }
    const found: Array<{ text: string; ratio: number; color: string; background: string }> = []
    const walker = document.createTreeWalker(document.querySelector(selector) ?? document.body, NodeFilter.SHOW_TEXT)
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent?.trim()
      const element = node.parentElement
      if (!text || !element || element.closest('[aria-hidden="true"], :disabled, video, .visually-hidden, .gutter-time, .hljs')) continue
      const rect = element.getBoundingClientRect()
      const style = getComputedStyle(element)
      if (rect.width === 0 || rect.height === 0 || style.visibility === 'hidden' || Number(style.opacity) < 0.9) continue
      const color = parse(style.color)
      if (!color) continue
      const background = backgroundOf(element)
      const [light, dark] = [luminance(color), luminance(background)].sort((a, b) => b - a)
      const ratio = (light! + 0.05) / (dark! + 0.05)
      const size = parseFloat(style.fontSize)
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700)
      if (ratio < (large ? 3 : 4.5)) found.push({ text: text.slice(0, 40), ratio: Math.round(ratio * 100) / 100, color: style.color, background: `rgb(${background.r}, ${background.g}, ${background.b})` })
    }
    return found
  }, root)
}
