// The README's screenshots (docs/screenshots/): `make screenshots`, or after `cargo leptos build`,
// `cd end2end && npx playwright test --config screenshots.config.ts`. Apart from `npx playwright
// test` (which only looks in tests/), because they rewrite committed files. The server, browser and
// fresh database are those of playwright.config.ts; screenshots/readme.spec.ts fills the database.
import { defineConfig } from '@playwright/test';
import tests from './playwright.config';

export default defineConfig({
  ...tests,
  testDir: './screenshots',
  fullyParallel: false,
  workers: 1,
  reporter: 'list',
});
