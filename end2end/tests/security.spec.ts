// The Content-Security-Policy the server sends with every page (src/middleware/security_headers.rs)
// must not break the app: Chromium enforces it here, and any violation fails the test.
import { expect, test, type Page } from '@playwright/test';
import { createPost, openHydrated, unique } from './helpers';

/** Records every CSP violation the page reports, from the DOM event and from the console. */
async function recordViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  await page.exposeFunction('reportViolation', (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { reportViolation: (text: string) => void }).reportViolation;
      report(`${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  return violations;
}

test('a page is sent with a nonce-based Content-Security-Policy', async ({ page }) => {
  const response = await page.goto('/');

  const policy = response?.headers()['content-security-policy'] ?? '';
  expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]+' 'wasm-unsafe-eval'/);
  expect(policy).toContain("default-src 'self'");
  expect(policy).toContain("frame-ancestors 'none'");
  expect(response?.headers()['x-frame-options']).toBe('DENY');
  expect(response?.headers()['x-content-type-options']).toBe('nosniff');
});

test('the home page hydrates under the CSP without a violation', async ({ page }) => {
  const violations = await recordViolations(page);

  await openHydrated(page, '/');

  expect(violations).toEqual([]);
});

test('the post form still submits with fetch under the CSP', async ({ page }) => {
  const violations = await recordViolations(page);
  const title = unique('Posted under the CSP');
  await openHydrated(page, '/');
  const sent = page.waitForRequest(
    (request) => request.url().endsWith('/api/post') && request.method() === 'POST',
  );

  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Post', { exact: true }).fill('Sent by the hydrated form.');
  await page.getByRole('button', { name: 'Publish' }).click();

  expect((await sent).resourceType()).toBe('fetch');
  await expect(page.getByRole('status').first()).toHaveText('Post created successfully');
  await expect(page.locator('.post-list').getByRole('link', { name: title })).toBeVisible();
  await expect(page).toHaveURL('/');
  expect(violations).toEqual([]);
});

test('a post page hydrates under the CSP without a violation', async ({ page }) => {
  const violations = await recordViolations(page);
  const id = await createPost(page, unique('CSP post page'), 'Hydrated under the policy.');

  await openHydrated(page, `/posts/${id}`);

  expect(violations).toEqual([]);
});
