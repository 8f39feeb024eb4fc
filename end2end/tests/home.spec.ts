import { expect, test } from '@playwright/test';

test('the home page renders on the server with its title', async ({ page }) => {
  await page.goto('/');

  await expect(page).toHaveTitle('Home · Leptos API Routes');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Leptos API Routes');
});

test('the page hydrates: the button counts clicks once the wasm has taken over', async ({ page }) => {
  await page.goto('/');
  const check = page.locator('.hydration-check');
  await expect(check).toHaveAttribute('data-hydrated', 'true');
  const button = check.getByRole('button');
  await expect(button).toHaveText('Clicked 0 times');

  await button.click();
  await button.click();

  await expect(button).toHaveText('Clicked 2 times');
  await expect(check).toContainText('interactive');
});

test('an unknown page shows the 404 page with status 404', async ({ page }) => {
  const response = await page.goto('/no/such/page');

  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Page not found');
});
