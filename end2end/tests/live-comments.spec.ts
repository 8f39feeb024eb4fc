import { expect, test, type Browser, type Page } from '@playwright/test';
import { type AddressInfo, type Socket, connect, createServer } from 'node:net';
import { createPost, openHydrated, unique } from './helpers';

// Live comments (docs/live-comments.md): two pages open on one post; a comment added on one shows
// on the other within 2 s, once, in order, without a reload, the page that added it showing it
// once too; a network loss (a relay cut) is caught up. With JavaScript off the page works as before.

async function twoPages(browser: Browser, id: number): Promise<[Page, Page]> {
  const pages: Page[] = [];
  for (let n = 0; n < 2; n++) {
    // Two contexts: two visitors, each with its own connections.
    const page = await (await browser.newContext()).newPage();
    await openHydrated(page, `/posts/${id}`);
    pages.push(page);
  }
  return [pages[0], pages[1]];
}

/** Resolves once `page`'s stream is open (src/components/live_comments.rs marks `<html>`). */
async function streamOpen(page: Page): Promise<void> {
  await expect(page.locator('html')).toHaveAttribute('data-live-comments', 'open');
}

test('a comment added on one page shows on the other within 2 seconds, once', async ({ browser }) => {
  const id = await createPost(await (await browser.newContext()).newPage(), unique('Live post'), 'Talk.');
  const [writer, reader] = await twoPages(browser, id);
  await streamOpen(writer);
  await streamOpen(reader);

  await writer.getByLabel('Your comment', { exact: true }).fill('Hello from the other tab');
  await writer.getByRole('button', { name: 'Add comment' }).click();

  await expect(reader.locator('.comment-body')).toHaveText(['Hello from the other tab'], { timeout: 2_000 });
  await expect(writer.locator('.comment-body')).toHaveText(['Hello from the other tab']);
  await expect(reader.locator('#comments')).toHaveText('Comments (1)');

  // Two more through the API: both pages show all three, in order, each once.
  for (const text of ['Second', 'Third']) {
    const response = await reader.request.post(`/api/comments/${id}`, { data: { comment: text } });
    expect(response.status()).toBe(201);
  }
  for (const page of [reader, writer]) {
    await expect(page.locator('.comment-body')).toHaveText(['Hello from the other tab', 'Second', 'Third'], {
      timeout: 2_000,
    });
  }
});

/**
 * A TCP relay to the server that a test can cut, as a network loss does (Playwright's offline mode
 * leaves an open stream alone): `cut()` drops every connection and refuses new ones until `restore()`.
 */
async function relay(target: URL): Promise<{ url: string; cut: () => void; restore: () => void; close: () => void }> {
  const sockets = new Set<Socket>();
  let up = true;
  const server = createServer((client) => {
    if (!up) return client.destroy();
    const upstream = connect(Number(target.port), target.hostname);
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
    }
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    cut: () => {
      up = false;
      for (const socket of sockets) socket.destroy();
    },
    restore: () => {
      up = true;
    },
    close: () => server.close(),
  };
}

test('after a network loss the page catches up with the comments it missed', async ({ browser, baseURL }) => {
  const setup = await (await browser.newContext()).newPage();
  const id = await createPost(setup, unique('Live post'), 'Flaky network.');
  const network = await relay(new URL(baseURL!));
  const page = await (await browser.newContext()).newPage();
  await openHydrated(page, `${network.url}/posts/${id}`);
  await streamOpen(page);

  network.cut();
  await expect(page.locator('html')).toHaveAttribute('data-live-comments', 'connecting');
  const response = await setup.request.post(`/api/comments/${id}`, { data: { comment: 'Said while you were away' } });
  expect(response.status()).toBe(201);
  await page.waitForTimeout(500);
  await expect(page.locator('.comment-body')).toHaveCount(0);
  network.restore();

  // EventSource reconnects by itself (after `retry:`), with Last-Event-ID; the server catches up.
  await expect(page.locator('.comment-body')).toHaveText(['Said while you were away'], { timeout: 10_000 });
  await expect(page.locator('html')).toHaveAttribute('data-live-comments', 'open');
  network.close();
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the post page and its comment form work as before, with no stream opened', async ({ page }) => {
    const id = await createPost(page, unique('Live post'), 'Plain HTML.');
    const streams: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/events')) streams.push(request.url());
    });
    await page.goto(`/posts/${id}`);

    await page.getByLabel('Your comment', { exact: true }).fill('A plain form comment');
    await page.getByRole('button', { name: 'Add comment' }).click();

    await expect(page).toHaveURL(new RegExp(`/posts/${id}$`));
    await expect(page.locator('.comment-body')).toHaveText(['A plain form comment']);
    expect(streams).toEqual([]);
  });
});
