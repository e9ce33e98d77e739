import { defineConfig } from 'vite'
import solid from 'vite-plugin-solid'
import { fileURLToPath } from 'node:url'

const api = process.env.PARLEY_API_URL ?? 'http://localhost:3000'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [solid()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: {
    port: 5173,
    proxy: Object.fromEntries(['/auth', '/users', '/admin', '/health', '/ready', '/swagger', '/ws'].map((p) => [p, { target: api, ws: p === '/ws' }])),
  },
})
