import { expect, test } from '@playwright/test';
import { openHydrated } from './helpers';

test('asking for a number shows a fact and where it came from', async ({ page }) => {
  await openHydrated(page, '/');

  await page.getByLabel('Number', { exact: true }).fill('42');
  await page.getByRole('button', { name: 'Tell me' }).click();

  await expect(page).toHaveURL('/?number=42');
  await expect(page.locator('.trivia-answer blockquote')).toContainText('42 is an even positive number.');
  await expect(page.locator('.trivia-answer figcaption')).toHaveText('42 — worked out by this server');
});

test('a number that is not an integer is refused beside the field', async ({ page }) => {
  await openHydrated(page, '/');

  await page.getByLabel('Number', { exact: true }).fill('1.5');
  await page.getByRole('button', { name: 'Tell me' }).click();

  await expect(page.locator('#number-error')).toHaveText(
    'Enter a whole number (up to 19 digits, may be negative).',
  );
  await expect(page).toHaveURL('/');
});
