import { expect, test } from '@playwright/test';
import { openHydrated, unique, waitForIslands } from './helpers';

const secret = process.env.PREVIEW_SECRET ?? '';

test('a draft saved with the form is only seen in preview mode, which the banner exits', async ({ page }) => {
  const title = unique('Draft from Playwright');
  await openHydrated(page, '/');

  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Post', { exact: true }).fill('Not for everyone yet.');
  await page.getByLabel(/Save as a draft/).check();
  await page.getByRole('button', { name: 'Publish' }).click();

  const saved = page.getByRole('status').first();
  await expect(saved).toHaveText(/^Draft \d+ saved/);
  const id = Number((await saved.textContent())?.match(/Draft (\d+)/)?.[1]);
  await expect(page.getByLabel(/Save as a draft/)).not.toBeChecked();
  await expect(page.locator('.post-list')).not.toContainText(title);

  await page.goto(`/api/preview?secret=${encodeURIComponent(secret)}&slug=/posts/${id}`);
  await expect(page).toHaveURL(`/posts/${id}`);
  await waitForIslands(page);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(title);
  await expect(page.locator('.preview-banner')).toContainText('Preview mode');
  // Following a link (a full page load: the pages are rendered on the server) keeps the banner and
  // the draft: the preview cookie goes with every request.
  await page.getByRole('link', { name: 'Leptos API Routes' }).click();
  await expect(page.locator('.post-list').getByRole('link', { name: title })).toBeVisible();
  await expect(page.locator('.preview-banner')).toBeVisible();

  await page.locator('.preview-banner').getByRole('link', { name: 'Exit preview' }).click();
  await expect(page).toHaveURL('/');
  await expect(page.locator('.preview-banner')).toHaveCount(0);
  await expect(page.locator('.post-list')).not.toContainText(title);
  const hidden = await page.goto(`/posts/${id}`);
  expect(hidden?.status()).toBe(404);
});

test('a wrong preview secret is refused and sets no cookie', async ({ page }) => {
  const response = await page.goto('/api/preview?secret=wrong&slug=/posts/1');
  expect(response?.status()).toBe(401);
  expect((await response?.json())?.detail).toBe('Invalid token');
  expect(await page.context().cookies()).toHaveLength(0);
});
