import { defineConfig } from 'vite'
import solid from 'vite-plugin-solid'
import { VitePWA } from 'vite-plugin-pwa'
import { fileURLToPath } from 'node:url'
import { API_PREFIXES } from './src/offline/api-paths'

const api = process.env.PARLEY_API_URL ?? 'http://localhost:3000'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [
    solid(),
    VitePWA({
      // Our own service worker (src/sw.ts): precache the shell, fall back to it offline, handle push.
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false,
      injectManifest: { globPatterns: ['**/*.{js,css,html,svg,png,webmanifest}'] },
      manifest: {
        id: '/',
        name: 'Parley',
        short_name: 'Parley',
        description: 'Team chat, calls and AI practice, self-hosted.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#0f1117',
        theme_color: '#4f46e5',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
        shortcuts: [
          { name: 'Search', short_name: 'Search', url: '/?search=1', icons: [{ src: '/icons/icon-192.png', sizes: '192x192' }] },
          { name: 'Notifications', short_name: 'Inbox', url: '/?panel=notifications', icons: [{ src: '/icons/icon-192.png', sizes: '192x192' }] },
        ],
      },
    }),
  ],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: {
    port: 5173,
    proxy: Object.fromEntries(API_PREFIXES.map((p) => [p, { target: api, ws: p === '/ws' }])),
  },
})
