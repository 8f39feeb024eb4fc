import { expect, type Page } from '@playwright/test';

/** A title no other test uses, so each test works on its own data in the shared database. */
export function unique(label: string): string {
  return `${label} ${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Opens `path` and waits until its islands have hydrated (see `waitForIslands`). */
export async function openHydrated(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await waitForIslands(page);
}

/**
 * Waits until the wasm has taken over every form on the page: before that, a click does the browser
 * default. Each island's form carries `data-hydrated`, "false" in the server's HTML and "true" once
 * hydrated (src/components/hydrated.rs).
 */
export async function waitForIslands(page: Page): Promise<void> {
  await expect(page.locator('[data-hydrated="true"]')).not.toHaveCount(0);
  await expect(page.locator('[data-hydrated="false"]')).toHaveCount(0);
}

/** Creates a post through the API, the way the form does, and returns its id. */
export async function createPost(page: Page, title: string, post: string): Promise<number> {
  const response = await page.request.post('/api/post', { data: { title, post } });
  expect(response.status()).toBe(201);
  return (await response.json()).id;
}
