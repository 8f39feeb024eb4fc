import { expect, test } from '@playwright/test';
import { openHydrated } from './helpers';

// Accounts (issue 22): the /signup and /signin pages, with JavaScript (the islands) and without
// (plain form posts answered by redirects). The full flow with posts: the authors' spec.

const password = 'correct horse battery staple';

/** A username no other test uses: 3–32 ASCII letters, digits, _ and -. */
function uniqueName(): string {
  return `u_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

test.describe('with JavaScript', () => {
  test('sign up, sign out and sign in again through the islands', async ({ page }) => {
    const name = uniqueName();
    await openHydrated(page, '/signup');
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign up' }).click();

    await expect(page).toHaveURL(/\/$/);
    await expect(page.locator('.signed-in-as')).toHaveText(`Signed in as ${name}`);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();

    await openHydrated(page, '/signin');
    await page.getByLabel('Username').fill(name.toUpperCase());
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.locator('.signed-in-as')).toHaveText(`Signed in as ${name}`);
  });

  test('the browser checks the shared rules before sending, and shows a refusal in place', async ({ page }) => {
    await openHydrated(page, '/signup');
    await page.getByLabel('Username').fill('ab');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Sign up' }).click();

    await expect(page.locator('#username-error')).toHaveText('username must be 3 to 32 characters (it has 2)');
    await expect(page.locator('#password-error')).toHaveText('password must be at least 8 characters (it has 5)');
    await expect(page).toHaveURL(/\/signup$/);

    await openHydrated(page, '/signin');
    await page.getByLabel('Username').fill(uniqueName());
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.locator('.form-outcome .failed')).toHaveText('Unknown username or wrong password.');
    await expect(page).toHaveURL(/\/signin$/);
  });
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('sign up, sign out and sign in again with plain forms', async ({ page }) => {
    const name = uniqueName();
    await page.goto('/signup');
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign up' }).click();

    await expect(page).toHaveURL(/\/$/);
    await expect(page.locator('.signed-in-as')).toHaveText(`Signed in as ${name}`);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();

    await page.goto('/signin');
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.locator('.signed-in-as')).toHaveText(`Signed in as ${name}`);
  });

  test('a wrong password comes back to the form with the message and the typed username', async ({ page }) => {
    const name = uniqueName();
    await page.goto('/signin');
    await page.getByLabel('Username').fill(name);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();

    await expect(page).toHaveURL(/\/signin\?username=.*&error=credentials$/);
    await expect(page.locator('.form-outcome .failed')).toHaveText('Unknown username or wrong password.');
    await expect(page.getByLabel('Username')).toHaveValue(name);
    await expect(page.getByLabel('Password')).toHaveValue('');
  });
});
