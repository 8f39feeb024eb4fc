import { expect, test } from '@playwright/test';
import { createPost, openHydrated, unique } from './helpers';

test('a post created through the form is listed without a reload and has its page', async ({ page }) => {
  const title = unique('Hello from Playwright');
  await openHydrated(page, '/');
  let reloaded = false;
  page.on('framenavigated', () => (reloaded = true));

  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Post', { exact: true }).fill('Written by a real browser.\nSecond line.');
  await page.getByRole('button', { name: 'Publish' }).click();

  await expect(page.getByRole('status').first()).toHaveText('Post created successfully');
  await expect(page.getByLabel('Title', { exact: true })).toHaveValue('');
  await expect(page.getByLabel('Post', { exact: true })).toHaveValue('');
  const link = page.locator('.post-list').getByRole('link', { name: title });
  await expect(link).toBeVisible();
  expect(reloaded).toBe(false);

  await link.click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(title);
  await expect(page.locator('.post-body')).toHaveText('Written by a real browser.\nSecond line.');
  await expect(page).toHaveTitle(`${title} · Leptos API Routes`);
});

test('an invalid title is shown beside the field and no request is sent', async ({ page }) => {
  await openHydrated(page, '/');
  const requests: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/api/post')) requests.push(request.method());
  });

  await page.getByLabel('Title', { exact: true }).fill('   ');
  await page.getByLabel('Post', { exact: true }).fill('x'.repeat(10_001));
  await page.getByRole('button', { name: 'Publish' }).click();

  await expect(page.locator('#title-error')).toHaveText('title is required');
  await expect(page.locator('#post-error')).toHaveText(
    'post must be at most 10000 characters (it has 10001)',
  );
  await expect(page.getByLabel('Title', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  expect(requests).toEqual([]);
});

test("the server's 422 is shown beside the field when the browser check is bypassed", async ({ page }) => {
  await openHydrated(page, '/');
  // Let the browser check pass, then swap the body on its way out: the real server judges it.
  await page.route('**/api/post', (route) =>
    route.continue({ postData: JSON.stringify({ title: ' ', post: 'valid body' }) }),
  );

  await page.getByLabel('Title', { exact: true }).fill('A valid title');
  await page.getByLabel('Post', { exact: true }).fill('valid body');
  await page.getByRole('button', { name: 'Publish' }).click();

  await expect(page.locator('#title-error')).toHaveText('title is required');
  await expect(page.getByRole('status').first()).toHaveText('Invalid value for title.');
  await expect(page.getByLabel('Title', { exact: true })).toHaveValue('A valid title');
});

test('a failed request shows a readable message and keeps what was typed', async ({ page }) => {
  await openHydrated(page, '/');
  await page.route('**/api/post', (route) =>
    route.fulfill({
      status: 500,
      contentType: 'application/problem+json',
      body: '{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"x"}',
    }),
  );

  await page.getByLabel('Title', { exact: true }).fill('Kept title');
  await page.getByLabel('Post', { exact: true }).fill('Kept body');
  await page.getByRole('button', { name: 'Publish' }).click();

  await expect(page.getByRole('status').first()).toHaveText(
    'The server could not complete the request (error 500). Please try again.',
  );
  await expect(page.getByLabel('Title', { exact: true })).toHaveValue('Kept title');
  await expect(page.getByLabel('Post', { exact: true })).toHaveValue('Kept body');
  await expect(page.getByRole('button', { name: 'Publish' })).toBeEnabled();
});

test('a server that cannot be reached is reported, and the typed text stays', async ({ page }) => {
  await openHydrated(page, '/');
  await page.route('**/api/post', (route) => route.abort('connectionrefused'));

  await page.getByLabel('Title', { exact: true }).fill('Offline title');
  await page.getByLabel('Post', { exact: true }).fill('Offline body');
  await page.getByRole('button', { name: 'Publish' }).click();

  await expect(page.getByRole('status').first()).toHaveText(
    'The server could not be reached. Check your connection and try again.',
  );
  await expect(page.getByLabel('Title', { exact: true })).toHaveValue('Offline title');
});

test('a comment added through the form appears under the post', async ({ page }) => {
  const id = await createPost(page, unique('Commented post'), 'Body');
  await openHydrated(page, `/posts/${id}`);
  await expect(page.locator('.comment-list')).toHaveCount(0);

  await page.getByLabel('Your comment', { exact: true }).fill('First! 🎉');
  await page.getByRole('button', { name: 'Add comment' }).click();

  await expect(page.locator('.comment-list li')).toHaveCount(1);
  await expect(page.locator('.comment-body')).toHaveText('First! 🎉');
  await expect(page.getByRole('heading', { name: 'Comments (1)' })).toBeVisible();
  await expect(page.getByLabel('Your comment', { exact: true })).toHaveValue('');
});

test('a title with a script tag is shown as text and never runs', async ({ page }) => {
  const title = `<script>window.__pwned = true</script><b>bold?</b> ${unique('xss')}`;
  const id = await createPost(page, title, '<img src=x onerror="window.__pwned = true">');

  await openHydrated(page, `/posts/${id}`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(title);
  await expect(page.locator('.post-body')).toHaveText('<img src=x onerror="window.__pwned = true">');
  await openHydrated(page, '/');
  await expect(page.locator('.post-list').getByText(title)).toBeVisible();

  expect(await page.evaluate(() => (window as { __pwned?: boolean }).__pwned)).toBeUndefined();
  await expect(page.locator('main b')).toHaveCount(0);
});

test('screenshots of the home page and a post page', async ({ page }, testInfo) => {
  const id = await createPost(page, unique('A post worth a picture'), 'Some text.\n\nA second paragraph.');
  await page.request.post(`/api/comments/${id}`, { data: { comment: 'A first comment.' } });
  await openHydrated(page, '/?number=42');
  await expect(page.locator('.trivia-answer')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('home.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await openHydrated(page, `/posts/${id}`);
  await page.screenshot({ path: testInfo.outputPath('post-phone.png'), fullPage: true });
});
