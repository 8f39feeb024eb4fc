import { expect, test, type Page } from '@playwright/test';
import { createPost, unique, waitForIslands } from './helpers';

// The no-JavaScript forms come back from an invalid submission as `/?title=…&post=…` and
// `/posts/{id}?comment=…`, with the typed text shown again in the textarea. Anyone can make such a
// link: text that closes the textarea must stay text, and the page around it must not change.

/** Closes the textarea, then tries to show markup, send the visitor elsewhere and run a script. */
const BREAKOUT =
  '</textarea><b>bold</b><meta http-equiv="refresh" content="0;url=/api/hello">' +
  '<script>alert(1)</script> & &amp; the end';

/** What a visitor would see of the page around the form: headings, elements a breakout would add. */
async function pageAround(page: Page) {
  return {
    headings: await page.getByRole('heading').allTextContents(),
    bold: await page.locator('b').count(),
    refresh: await page.locator('meta[http-equiv]').count(),
    scripts: await page.locator('script').count(),
    textareas: await page.locator('textarea').count(),
  };
}

/** Opens `path` with `text` in the query parameter `name` (and a title beside a post). */
async function openWith(page: Page, path: string, name: string, text: string) {
  const query = new URLSearchParams({ ...(name === 'post' ? { title: 'x' } : {}), [name]: text });
  await page.goto(`${path}?${query}`);
}

/** Still on `path` with `text` in `name`: no refresh took the visitor elsewhere. */
async function expectStillOn(page: Page, path: string, name: string, text: string) {
  // A refresh of 0 seconds would have left already; give it a moment to be sure.
  await page.waitForTimeout(500);
  const url = new URL(page.url());
  expect(url.pathname).toBe(path);
  expect(url.searchParams.get(name)).toBe(text);
}

/** The messages of the dialogs the page opens (an injected `alert` would be one). */
function dialogsOf(page: Page): string[] {
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return dialogs;
}

for (const javaScript of [true, false]) {
  test.describe(javaScript ? 'hydrated' : 'without JavaScript', () => {
    test.use({ javaScriptEnabled: javaScript });

    test('a post form link that closes the textarea shows the text in it and changes nothing else', async ({ page }) => {
      const dialogs = dialogsOf(page);
      await openWith(page, '/', 'post', 'plain');
      if (javaScript) await waitForIslands(page);
      const expected = await pageAround(page);

      await openWith(page, '/', 'post', BREAKOUT);
      if (javaScript) await waitForIslands(page);

      await expect(page.getByLabel('Post', { exact: true })).toHaveValue(BREAKOUT);
      expect(await pageAround(page)).toEqual(expected);
      await expectStillOn(page, '/', 'post', BREAKOUT);
      expect(dialogs).toEqual([]);
    });

    test('a comment form link that closes the textarea shows the text in it and changes nothing else', async ({ page }) => {
      const dialogs = dialogsOf(page);
      const post = await createPost(page, unique('Breakout'), 'Body');
      await openWith(page, `/posts/${post}`, 'comment', 'plain');
      if (javaScript) await waitForIslands(page);
      const expected = await pageAround(page);

      await openWith(page, `/posts/${post}`, 'comment', BREAKOUT);
      if (javaScript) await waitForIslands(page);

      await expect(page.getByLabel('Your comment', { exact: true })).toHaveValue(BREAKOUT);
      expect(await pageAround(page)).toEqual(expected);
      await expectStillOn(page, `/posts/${post}`, 'comment', BREAKOUT);
      expect(dialogs).toEqual([]);
    });
  });
}

test('a text sent back with a first line break keeps it', async ({ page }) => {
  await openWith(page, '/', 'post', '\nafter an empty first line');

  await expect(page.getByLabel('Post', { exact: true })).toHaveValue('\nafter an empty first line');
});

test('the hydrated form sends the text of a breakout link as text', async ({ page }) => {
  const title = unique('Sent back');
  await openWith(page, '/', 'post', BREAKOUT);
  await waitForIslands(page);

  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByRole('button', { name: 'Publish' }).click();

  await expect(page.locator('.form-outcome')).toContainText('Post created successfully');
  await page.locator('.post-list').getByRole('link', { name: title }).click();
  await expect(page.locator('.post-body')).toHaveText(BREAKOUT);
  await expect(page.locator('b')).toHaveCount(0);
});
