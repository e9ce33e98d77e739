import { createSignal } from 'solid-js'

export interface StoredSession {
  accessToken: string
  refreshToken: string
  userId: string
}

const KEY = 'parley.session'

function load(): StoredSession | null {
  try {
    const raw = localStorage.getItem(KEY)
    return raw ? (JSON.parse(raw) as StoredSession) : null
  } catch {
    return null
  }
}

const [current, setCurrent] = createSignal<StoredSession | null>(load())

export const session = current

export function setSession(next: StoredSession): void {
  localStorage.setItem(KEY, JSON.stringify(next))
  setCurrent(next)
}

export function clearSession(): void {
  localStorage.removeItem(KEY)
  setCurrent(null)
}

// Another tab signing in or out updates this one too.
if (typeof window !== 'undefined') {
  window.addEventListener('storage', (event) => {
    if (event.key === KEY) setCurrent(load())
  })
}
