/// <reference lib="webworker" />
// Web Push in the service worker: show what the server pushed, and open the conversation on click.
// src/sw.ts calls installPushHandlers(self); nothing here runs on import.
import type { PushPayload } from '../../../server/src/features/push/model'

/** Posted to the app's windows when the browser replaced the subscription: they re-register it (they hold the session). */
export const PUSH_SUBSCRIPTION_CHANGED = 'PUSH_SUBSCRIPTION_CHANGED'

export interface PushHandlerOptions {
  icon?: string
  badge?: string
}

type ShownOptions = NotificationOptions & { renotify?: boolean; timestamp?: number }

/** Adds the `push`, `notificationclick` and `pushsubscriptionchange` listeners to a service worker scope. */
export function installPushHandlers(scope: ServiceWorkerGlobalScope, options: PushHandlerOptions = {}): void {
  scope.addEventListener('push', (event) => {
    event.waitUntil(showPush(scope, readPayload(event.data), options))
  })
  scope.addEventListener('notificationclick', (event) => {
    event.notification.close()
    const url = (event.notification.data as { url?: unknown } | null)?.url
    const opened = openInApp(scope, typeof url === 'string' ? url : '/')
    event.waitUntil(opened)
  })
  scope.addEventListener('pushsubscriptionchange', (event) => {
    event.waitUntil(scope.clients.matchAll({ type: 'window' }).then((windows) => {
      for (const client of windows) client.postMessage({ type: PUSH_SUBSCRIPTION_CHANGED })
    }))
  })
}

/** The pushed JSON; anything unreadable still shows (Chrome shows its own generic notice when a push shows nothing). */
export function readPayload(data: PushMessageData | null): Pick<PushPayload, 'title' | 'body' | 'url' | 'tag'> & Partial<PushPayload> {
  try {
    const parsed = data?.json() as Partial<PushPayload> | undefined
    if (parsed && typeof parsed.title === 'string') {
      return { ...parsed, title: parsed.title, body: typeof parsed.body === 'string' ? parsed.body : '', url: typeof parsed.url === 'string' ? parsed.url : '/', tag: typeof parsed.tag === 'string' ? parsed.tag : 'parley' }
    }
  } catch {
    // Not JSON: fall through to the plain text.
  }
  return { title: 'Parley', body: data?.text() ?? '', url: '/', tag: 'parley' }
}

function showPush(scope: ServiceWorkerGlobalScope, payload: ReturnType<typeof readPayload>, options: PushHandlerOptions): Promise<void> {
  const shown: ShownOptions = {
    body: payload.body,
    tag: payload.tag,
    // A newer message of the same conversation replaces the shown one, and still alerts.
    renotify: true,
    data: { url: payload.url, notificationId: payload.notificationId ?? null },
    icon: options.icon,
    badge: options.badge,
    timestamp: payload.createdAt ? Date.parse(payload.createdAt) : undefined,
  }
  return scope.registration.showNotification(payload.title, shown)
}

/** Only our own origin is ever opened, whatever a payload says. */
export function inAppUrl(origin: string, url: string): string {
  try {
    const target = new URL(url, origin)
    return target.origin === origin ? target.href : `${origin}/`
  } catch {
    return `${origin}/`
  }
}

/** Focuses a window of the app and navigates it there (a window already there just gets focus), or opens one. */
async function openInApp(scope: ServiceWorkerGlobalScope, url: string): Promise<void> {
  const target = inAppUrl(scope.location.origin, url)
  const windows = await scope.clients.matchAll({ type: 'window', includeUncontrolled: true })
  const client = windows.find((candidate) => candidate.url === target) ?? windows.find((candidate) => candidate.focused) ?? windows[0]
  if (!client) {
    await scope.clients.openWindow(target)
    return
  }
  // @NOTE: focusing needs the click's user activation; without it the window is still taken there.
  const focused = await client.focus().catch(() => client)
  if (focused.url === target) return
  try {
    await focused.navigate(target)
  } catch {
    // navigate() refuses windows this worker does not control: open the conversation beside it.
    await scope.clients.openWindow(target)
  }
}
