import { defineConfig } from '@playwright/test'
import { URL_ENV } from './stack'

// Browser tests of the real stack (see stack.ts). Run with `bun run test:e2e`; the runner itself runs under Node.
export default defineConfig({
  testDir: '.',
  // Not *.test.ts / *.spec.ts, so `bun test` never picks these up.
  testMatch: '**/*.e2e.ts',
  globalSetup: './global-setup.ts',
  globalTeardown: './global-teardown.ts',
  outputDir: '../../test-results/e2e',
  // Two cores: one browser at a time keeps the API's argon2 work from starving the page.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    // Set by the global setup before any worker starts; workers load this file again and inherit it.
    baseURL: process.env[URL_ENV],
    browserName: 'chromium',
    // Debian's Chromium: Playwright's own browser downloads are not available here.
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      // Fake camera and microphone, permission prompts auto-accepted; with these two flags headless Chromium's
      // getDisplayMedia also returns a fake 1280×720 screen without a picker (checked on Chromium 156).
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required'],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
})
