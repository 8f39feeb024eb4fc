import { expect, test, type Page } from '@playwright/test';
import { createPost, openHydrated, unique } from './helpers';

// A post's page shows one page of 50 comments, oldest first, and a plain link to the next page.

/** A post with `count` comments ("Comment 1"…, oldest first), added through the API. */
async function postWithComments(page: Page, count: number): Promise<number> {
  const id = await createPost(page, unique('A busy post'), 'Much talked about.');
  for (let n = 1; n <= count; n++) {
    const response = await page.request.post(`/api/comments/${id}`, { data: { comment: `Comment ${n}` } });
    expect(response.status()).toBe(201);
  }
  return id;
}

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the next page of comments is a plain link', async ({ page }) => {
    const id = await postWithComments(page, 51);

    await page.goto(`/posts/${id}`);
    await expect(page.locator('#comments')).toHaveText('Comments (51)');
    await expect(page.locator('.comment-body')).toHaveCount(50);
    await expect(page.locator('.comment-body').first()).toHaveText('Comment 1');
    await page.getByRole('link', { name: 'Later comments →' }).click();

    await expect(page).toHaveURL(new RegExp(`/posts/${id}\\?cursor=\\d+#comments$`));
    await expect(page.locator('.comment-body')).toHaveText(['Comment 51']);
    await expect(page.getByRole('link', { name: 'Later comments →' })).toHaveCount(0);
    await expect(page.getByLabel('Your comment', { exact: true })).toBeVisible();
  });
});

test('a comment added with JavaScript brings the count up to date on the first page', async ({ page }) => {
  const id = await postWithComments(page, 50);
  await openHydrated(page, `/posts/${id}`);

  await page.getByLabel('Your comment', { exact: true }).fill('Comment 51');
  await page.getByRole('button', { name: 'Add comment' }).click();

  await expect(page.locator('#comments')).toHaveText('Comments (51)');
  await expect(page.locator('.comment-body')).toHaveCount(50);
  await expect(page.getByRole('link', { name: 'Later comments →' })).toBeVisible();
});
