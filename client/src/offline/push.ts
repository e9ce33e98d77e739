// Web Push, page side: subscribe this browser with the server's VAPID key through the service
// worker's pushManager and register the subscription with the API; unsubscribe; re-sync.
import { api, call } from '../api/client'
import { PUSH_SUBSCRIPTION_CHANGED } from './sw-push'

export type PushStatus = 'unsupported' | 'denied' | 'off' | 'on'

export class PushPermissionError extends Error {
  override name = 'PushPermissionError'
}

export function pushSupported(): boolean {
  return typeof window !== 'undefined' && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window
}

/** Whether this browser gets pushes now (`on`), could (`off`), was refused permission, or cannot. */
export async function pushStatus(registration?: ServiceWorkerRegistration): Promise<PushStatus> {
  if (!pushSupported()) return 'unsupported'
  if (Notification.permission === 'denied') return 'denied'
  const reg = registration ?? (await navigator.serviceWorker.ready)
  return Notification.permission === 'granted' && (await reg.pushManager.getSubscription()) ? 'on' : 'off'
}

/**
 * Asks for permission (call it from a click: browsers refuse prompts without a user gesture),
 * subscribes with the server's key — replacing a subscription made with another key — and
 * registers it for the signed-in account.
 */
export async function enablePush(registration?: ServiceWorkerRegistration): Promise<void> {
  if (!pushSupported()) throw new PushPermissionError('This browser cannot receive push notifications')
  const permission = await Notification.requestPermission()
  if (permission !== 'granted') throw new PushPermissionError('Notifications are blocked for this site')
  const reg = registration ?? (await navigator.serviceWorker.ready)
  const { publicKey } = await call(() => api.push['vapid-public-key'].get())
  const serverKey = fromBase64Url(publicKey)
  let subscription = await reg.pushManager.getSubscription()
  if (subscription && !sameKey(subscription.options.applicationServerKey, serverKey)) {
    await subscription.unsubscribe()
    subscription = null
  }
  subscription ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: serverKey })
  await register(subscription)
}

/** Stops pushes to this browser: removes it on the server (when signed in), then unsubscribes. */
export async function disablePush(registration?: ServiceWorkerRegistration): Promise<void> {
  if (!pushSupported()) return
  const reg = registration ?? (await navigator.serviceWorker.ready)
  const subscription = await reg.pushManager.getSubscription()
  if (!subscription) return
  try {
    const { subscriptions } = await call(() => api.push.subscriptions.get())
    const mine = subscriptions.find((candidate) => candidate.endpoint === subscription.endpoint)
    if (mine) await call(() => api.push.subscriptions({ id: mine.id }).delete())
  } finally {
    await subscription.unsubscribe()
  }
}

/**
 * After sign-in, and when the service worker says the browser replaced the subscription: tells
 * the server about this browser's current subscription (it moves to the signed-in account).
 * Never prompts. Returns whether a subscription was registered.
 */
export async function syncPush(registration?: ServiceWorkerRegistration): Promise<boolean> {
  if (!pushSupported() || Notification.permission !== 'granted') return false
  const reg = registration ?? (await navigator.serviceWorker.ready)
  let subscription = await reg.pushManager.getSubscription()
  if (!subscription) {
    const { publicKey } = await call(() => api.push['vapid-public-key'].get())
    subscription = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64Url(publicKey) })
  }
  await register(subscription)
  return true
}

/** Re-registers whenever the service worker reports a changed subscription; returns the unlisten function. */
export function watchPushSubscription(): () => void {
  if (!pushSupported()) return () => undefined
  const listener = (event: MessageEvent) => {
    // @NOTE: failing here (signed out, offline) is fine; the next sign-in syncs again.
    if ((event.data as { type?: string } | null)?.type === PUSH_SUBSCRIPTION_CHANGED) void syncPush().catch(() => undefined)
  }
  navigator.serviceWorker.addEventListener('message', listener)
  return () => navigator.serviceWorker.removeEventListener('message', listener)
}

async function register(subscription: PushSubscription): Promise<void> {
  const json = subscription.toJSON()
  if (!json.endpoint || !json.keys?.p256dh || !json.keys.auth) throw new Error('The browser returned an incomplete push subscription')
  await call(() => api.push.subscriptions.post({
    endpoint: json.endpoint!,
    keys: { p256dh: json.keys!.p256dh!, auth: json.keys!.auth! },
    expirationTime: json.expirationTime ?? null,
    userAgent: browserLabel(),
  }))
}

function browserLabel(): string {
  const agent = navigator.userAgent
  const browser = /Edg\//.test(agent) ? 'Edge' : /Firefox\//.test(agent) ? 'Firefox' : /Chrom(e|ium)\//.test(agent) ? 'Chrome' : /Safari\//.test(agent) ? 'Safari' : 'Browser'
  const platform = /Android/.test(agent) ? 'Android' : /iPhone|iPad/.test(agent) ? 'iOS' : /Mac OS X/.test(agent) ? 'macOS' : /Windows/.test(agent) ? 'Windows' : /Linux/.test(agent) ? 'Linux' : ''
  return platform ? `${browser} on ${platform}` : browser
}

function fromBase64Url(value: string): Uint8Array<ArrayBuffer> {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(value.length / 4) * 4, '=')
  const bytes = atob(base64)
  const out = new Uint8Array(new ArrayBuffer(bytes.length))
  for (let i = 0; i < bytes.length; i++) out[i] = bytes.charCodeAt(i)
  return out
}

function sameKey(current: ArrayBuffer | null, expected: Uint8Array): boolean {
  if (!current) return false
  const bytes = new Uint8Array(current)
  return bytes.length === expected.length && bytes.every((byte, i) => byte === expected[i])
}
