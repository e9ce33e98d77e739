/// <reference lib="webworker" />
// The service worker: the precached app shell (so the app opens with the network off), the
// shell for every in-app navigation, and Web Push. Data lives in IndexedDB, not here.
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching'
import { NavigationRoute, registerRoute } from 'workbox-routing'
import { API_PREFIXES } from './offline/api-paths'
import { installPushHandlers } from './offline/sw-push'

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<{ url: string; revision: string | null }> }

precacheAndRoute(self.__WB_MANIFEST)
cleanupOutdatedCaches()

// API paths never get the shell: offline, they fail like any request and the app reads its cache.
registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html'), { denylist: API_PREFIXES.map((prefix) => new RegExp(`^${prefix}(/|$)`)) }))

installPushHandlers(self, { icon: '/icons/icon-192.png', badge: '/icons/icon-192.png' })

// A new version waits until the user accepts the "update available" prompt.
self.addEventListener('message', (event) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting()
})
// The first install takes the open pages at once, so they work offline from the first visit.
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()))
