// Playwright drives Debian's Chromium (/usr/bin/chromium) against the real server.
//
// `webServer` starts the server cargo-leptos built (target/debug, or target/release with
// E2E_PROFILE=release) on E2E_PORT with a fresh database (or E2E_DATABASE_URL's), and waits for
// /api/health. When something
// already answers there (`cargo leptos end-to-end` or `cargo leptos watch` on port 3000), it is reused.
import { defineConfig, devices } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const port = Number(process.env.E2E_PORT ?? 3000);
const baseURL = `http://127.0.0.1:${port}`;
const profile = process.env.E2E_PROFILE ?? 'debug';
const dataDir = mkdtempSync(join(tmpdir(), 'leptos-api-routes-e2e-'));
// The preview secret of the server under test (tests/preview.spec.ts enters preview mode with it). A
// reused server (`cargo leptos watch`) must have been started with the same PREVIEW_SECRET.
process.env.PREVIEW_SECRET ??= 'e2e-preview-secret';

export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: [['list'], ['html', { open: 'never', outputFolder: './playwright-report' }]],
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          // Root in a container, and no network beyond loopback: keep Chromium from phoning home.
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-dev-shm-usage',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--disable-quic',
            '--no-first-run',
          ],
        },
      },
    },
  ],
  webServer: {
    command: `../target/${profile}/leptos-api-routes`,
    url: `${baseURL}/api/health`,
    reuseExistingServer: true,
    timeout: 30_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      // A fresh SQLite file, or the (empty) database E2E_DATABASE_URL names: scripts/test.sh runs the
      // suite once more on PostgreSQL that way.
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? `sqlite://${join(dataDir, 'e2e.db')}`,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: '../target/site',
      RUST_LOG: 'warn',
      PREVIEW_SECRET: process.env.PREVIEW_SECRET,
      // Every test posts from 127.0.0.1: the write rate limit would start refusing them.
      RATE_LIMIT_PER_MINUTE: '0',
    },
  },
});
