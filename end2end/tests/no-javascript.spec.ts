import { expect, test } from '@playwright/test';
import { unique } from './helpers';

// The same forms with JavaScript off: plain form posts to the same API routes, answered by redirects.
test.use({ javaScriptEnabled: false });

test('the whole post flow works without JavaScript', async ({ page }) => {
  const title = unique('No-JS post');
  await page.goto('/');

  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Post', { exact: true }).fill('Posted by a plain form.');
  await page.getByRole('button', { name: 'Publish' }).click();

  await expect(page).toHaveURL(/\/posts\/\d+$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(title);

  await page.getByLabel('Your comment', { exact: true }).fill('A comment without JavaScript');
  await page.getByRole('button', { name: 'Add comment' }).click();

  await expect(page).toHaveURL(/\/posts\/\d+$/);
  await expect(page.locator('.comment-body')).toHaveText('A comment without JavaScript');

  await page.goto('/');
  await expect(page.locator('.post-list').getByRole('link', { name: title })).toBeVisible();
  await expect(page.locator('.post-list li', { hasText: title })).toContainText('1 comment');
});

test('invalid input without JavaScript comes back to the form with errors and the typed values', async ({ page }) => {
  await page.goto('/');

  await page.getByLabel('Title', { exact: true }).fill('   ');
  await page.getByLabel('Post', { exact: true }).fill('The body I typed');
  await page.getByRole('button', { name: 'Publish' }).click();

  await expect(page).toHaveURL(/\/\?.*#new-post$/);
  await expect(page.locator('#title-error')).toHaveText('title is required');
  await expect(page.getByLabel('Post', { exact: true })).toHaveValue('The body I typed');
});

test('trivia works without JavaScript', async ({ page }) => {
  await page.goto('/');

  await page.getByLabel('Number', { exact: true }).fill('7');
  await page.getByRole('button', { name: 'Tell me' }).click();

  await expect(page).toHaveURL('/?number=7');
  await expect(page.locator('.trivia-answer blockquote')).toContainText('It is prime.');
});
