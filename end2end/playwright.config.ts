// Playwright drives Debian's Chromium (/usr/bin/chromium) against the real server.
//
// The server under test is always one this run starts (`webServer`): the build cargo-leptos made
// (target/debug, or target/release with E2E_PROFILE=release), on a free port, with a fresh database
// and the settings the tests need — a preview secret (tests/preview.spec.ts enters preview mode) and
// no write rate limit (every test posts from 127.0.0.1). So plain `cargo leptos end-to-end` and
// `npx playwright test` need nothing set, the server cargo-leptos itself starts on :3000 (or your
// `cargo leptos watch`) is left alone, no test post lands in your development database, and no
// server has a test secret as a default that a production server could pick up by mistake.
//
// E2E_PORT picks the port instead; when something already answers there, it is reused. That is how
// to point the tests at a server of your own, which then needs the same settings:
//   PREVIEW_SECRET=e2e-preview-secret RATE_LIMIT_PER_MINUTE=0 cargo leptos watch
//   cd end2end && E2E_PORT=3000 npx playwright test
//
// E2E_BINARY (an absolute path) runs that binary instead, from its own folder and with no
// LEPTOS_SITE_ROOT: scripts/test.sh copies the one-file release alone into an empty folder and names
// it here, so the suite proves that one file is all a deployment needs.
//
// E2E_DATABASE_URL runs the suite on that (empty) database instead of a fresh SQLite file:
// scripts/test.sh runs it once more on PostgreSQL that way.
import { defineConfig, devices } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A port nothing listens on now, from the system (port 0), asked in a child: the config is synchronous. */
function freePort(): string {
  const script = `const server = require('node:net').createServer();
server.listen(0, '127.0.0.1', () => { process.stdout.write(String(server.address().port)); server.close(); });`;
  return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
}

// Every worker process loads this file again, and inherits the runner's environment: settling these
// in process.env once keeps the runner and all workers on the same port, database and secret.
const reuseExistingServer = process.env.E2E_PORT !== undefined;
const port = Number((process.env.E2E_PORT ??= freePort()));
const dataDir = (process.env.E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'leptos-api-routes-e2e-')));
const previewSecret = (process.env.PREVIEW_SECRET ??= 'e2e-preview-secret');
const baseURL = `http://127.0.0.1:${port}`;
const profile = process.env.E2E_PROFILE ?? 'debug';
const oneFile = process.env.E2E_BINARY;

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
    command: oneFile ?? `../target/${profile}/leptos-api-routes`,
    cwd: oneFile ? dirname(oneFile) : undefined,
    url: `${baseURL}/api/health`,
    reuseExistingServer,
    timeout: 30_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      // A fresh SQLite file, or the (empty) database E2E_DATABASE_URL names: scripts/test.sh runs the
      // suite once more on PostgreSQL that way.
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? `sqlite://${join(dataDir, 'e2e.db')}`,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      ...(oneFile ? {} : { LEPTOS_SITE_ROOT: '../target/site' }),
      RUST_LOG: 'warn',
      PREVIEW_SECRET: previewSecret,
      // Every test posts from 127.0.0.1: the write rate limit would start refusing them.
      RATE_LIMIT_PER_MINUTE: '0',
      // So would the sign-in limit per address (the one per username stays: each test has its own).
      SIGNIN_ADDRESS_LIMIT_PER_MINUTE: '0',
    },
  },
});
