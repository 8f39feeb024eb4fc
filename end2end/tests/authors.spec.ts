import { expect, test, type Page } from '@playwright/test';
import { unique } from './helpers';

// Issue 22, the author's whole round, with JavaScript on and off: sign up, post, edit, delete, sign
// out, sign in again. The Edit and Delete forms are plain forms (no island), so both runs exercise
// the same server rules (tests/api/authors.rs checks each rule on its own).

const PASSWORD = 'correct horse battery staple';

/** A username no other test uses: letters, digits and `_`, at most 32 characters. */
function username(): string {
  return `e2e_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

async function fillCredentials(page: Page, name: string) {
  await page.getByLabel('Username', { exact: true }).fill(name);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
}

async function theRound(page: Page) {
  const name = username();
  await page.goto('/signup');
  await fillCredentials(page, name);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.locator('.signed-in-as')).toContainText(name);

  const title = unique('Authored');
  await page.goto('/');
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Post', { exact: true }).fill('Written while signed in.');
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.goto('/');
  await page.locator('.post-list').getByRole('link', { name: title }).click();
  await expect(page).toHaveURL(/\/posts\/\d+$/);
  await expect(page.locator('.post .meta')).toContainText(`by ${name}`);

  const edited = `${title} (edited)`;
  await page.locator('#edit-title').fill(edited);
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page).toHaveURL(/\/posts\/\d+$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(edited);

  await page.getByRole('button', { name: 'Delete this post and its comments' }).click();
  await expect(page).toHaveURL(/\/\?deleted=\d+$/);
  await expect(page.locator('.post-list').getByRole('link', { name: edited })).toHaveCount(0);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
  await expect(page.locator('.signed-in-as')).toHaveCount(0);

  await page.goto('/signin');
  await fillCredentials(page, name);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('.signed-in-as')).toContainText(name);
}

test.describe('with JavaScript', () => {
  test('an author signs up, posts, edits, deletes, signs out and signs in again', async ({ page }) => {
    await theRound(page);
  });
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('an author signs up, posts, edits, deletes, signs out and signs in again', async ({ page }) => {
    await theRound(page);
  });
});

test('a stale edit from another tab comes back with the post as it is now', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const [first, second] = [await context.newPage(), await context.newPage()];
  const name = username();
  await first.goto('/signup');
  await fillCredentials(first, name);
  await first.getByRole('button', { name: 'Sign up' }).click();
  await expect(first.locator('.signed-in-as')).toContainText(name);
  const response = await first.request.post('/api/post', { data: { title: unique('Two tabs'), post: 'Body' } });
  const { id } = await response.json();

  await first.goto(`/posts/${id}`);
  await second.goto(`/posts/${id}`);
  await second.locator('#edit-title').fill('Saved in the second tab');
  await second.getByRole('button', { name: 'Save changes' }).click();
  await first.locator('#edit-title').fill('Saved in the first tab');
  await first.getByRole('button', { name: 'Save changes' }).click();

  await expect(first).toHaveURL(new RegExp(`/posts/${id}\\?edit=stale`));
  await expect(first.getByRole('alert')).toContainText('changed since you opened the editor');
  await expect(first.getByRole('heading', { level: 1 })).toHaveText('Saved in the second tab');
  await expect(first.locator('#edit-title')).toHaveValue('Saved in the first tab');
  await context.close();
});
