import { createSignal } from 'solid-js'

interface InstallPromptEvent extends Event {
  prompt(): Promise<void>
  userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>
}

const [updateReady, setUpdateReady] = createSignal(false)
const [installable, setInstallable] = createSignal(false)
/** A new version is installed and waiting; `applyUpdate()` switches to it and reloads. */
export { updateReady, installable }

let waiting: ServiceWorker | null = null
let installEvent: InstallPromptEvent | null = null

/** Registers the service worker (production builds only) and watches for updates and installability. */
export function startPwa(): void {
  window.addEventListener('beforeinstallprompt', (event) => {
    event.preventDefault()
    installEvent = event as InstallPromptEvent
    setInstallable(true)
  })
  window.addEventListener('appinstalled', () => setInstallable(false))
  if (!('serviceWorker' in navigator) || import.meta.env.DEV) return
  void navigator.serviceWorker.register('/sw.js', { scope: '/' }).then((registration) => {
    const offer = (worker: ServiceWorker | null) => {
      // Only a worker replacing a running one is an update; the first install just takes over.
      if (worker && navigator.serviceWorker.controller) {
        waiting = worker
        setUpdateReady(true)
      }
    }
    offer(registration.waiting)
    registration.addEventListener('updatefound', () => {
      const incoming = registration.installing
      incoming?.addEventListener('statechange', () => {
        if (incoming.state === 'installed') offer(incoming)
      })
    })
    // Long-lived tabs look for a new version every hour.
    setInterval(() => void registration.update().catch(() => undefined), 3600_000)
  })
  let reloading = false
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (!waiting || reloading) return
    reloading = true
    location.reload()
  })
}

export function applyUpdate(): void {
  waiting?.postMessage({ type: 'SKIP_WAITING' })
}

export async function promptInstall(): Promise<void> {
  if (!installEvent) return
  await installEvent.prompt()
  await installEvent.userChoice
  installEvent = null
  setInstallable(false)
}
