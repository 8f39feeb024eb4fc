import { expect, test } from '@playwright/test';
import { openHydrated } from './helpers';

test('the home page renders on the server with its title and description', async ({ page }) => {
  await page.goto('/');

  await expect(page).toHaveTitle('Home · Leptos API Routes');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Leptos API Routes');
  await expect(page.locator('meta[name="description"]')).toHaveAttribute('content', /Write a post/);
});

test('the page hydrates: a click on Publish is handled in the browser, not posted', async ({ page }) => {
  await openHydrated(page, '/');

  await page.getByRole('button', { name: 'Publish' }).click();

  await expect(page.locator('#title-error')).toHaveText('title is required');
  await expect(page).toHaveURL('/');
});

test('an unknown page shows the 404 page with status 404', async ({ page }) => {
  const response = await page.goto('/no/such/page');

  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
  await expect(page).toHaveTitle('Page not found · Leptos API Routes');
});

test('an unknown post shows the 404 page with status 404', async ({ page }) => {
  const response = await page.goto('/posts/999999999');

  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
});
