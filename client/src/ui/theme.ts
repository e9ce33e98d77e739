import { createSignal } from 'solid-js'

export type Theme = 'system' | 'light' | 'dark'
const KEY = 'parley.theme'

const [theme, setTheme] = createSignal<Theme>((localStorage.getItem(KEY) as Theme | null) ?? 'system')
export { theme as currentTheme }

/** Light, dark, or the system's choice; remembered on this device and applied before first paint. */
export function applyTheme(next: Theme = theme()): void {
  setTheme(next)
  localStorage.setItem(KEY, next)
  if (next === 'system') delete document.documentElement.dataset.theme
  else document.documentElement.dataset.theme = next
}
