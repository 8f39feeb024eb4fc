import { expect, test, type Browser, type Page } from '@playwright/test';
import { type AddressInfo, type Socket, connect, createServer } from 'node:net';
import { createPost, openHydrated, unique } from './helpers';

// Live comments (docs/live-comments.md): two pages open on one post; a comment added on one shows
// on the other within 2 s, once, in order, as text, from the event itself (no page fetched again),
// the page that added it showing it once too; a network loss (a relay cut) is caught up; failures
// are tried again less and less often; a refusal stops the page for good, a deleted post too. With
// JavaScript off the page works as before.

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

  // The reader shows what comes from its stream's events: it asks the server for nothing else.
  const fetched: string[] = [];
  reader.on('request', (request) => {
    if (['document', 'fetch', 'xhr'].includes(request.resourceType()) && !request.url().includes('/events')) {
      fetched.push(request.url());
    }
  });
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
    await expect(page.locator('#comments')).toHaveText('Comments (3)');
  }
  expect(fetched).toEqual([]);
});

test('a comment is shown as text, never as HTML', async ({ browser }) => {
  const id = await createPost(await (await browser.newContext()).newPage(), unique('Live post'), 'Markup.');
  const [writer, reader] = await twoPages(browser, id);
  await streamOpen(reader);
  const markup = '<img src=x onerror="document.title=\'owned\'"><b>bold</b>';

  const response = await writer.request.post(`/api/comments/${id}`, { data: { comment: markup } });
  expect(response.status()).toBe(201);

  await expect(reader.locator('.comment-body')).toHaveText([markup], { timeout: 2_000 });
  await expect(reader.locator('.comment-list img, .comment-list b')).toHaveCount(0);
  expect(await reader.title()).not.toBe('owned');
});

/** A post's event stream, as the island asks for it (`?after=`). */
const EVENTS = /\/api\/comments\/\d+\/events\?/;

/**
 * When `page` asked for its stream (`eventsource`), or with `probes` also for a refused stream's
 * status (`fetch`), in milliseconds since the call.
 */
function streamRequests(page: Page, probes = false): number[] {
  const start = Date.now();
  const times: number[] = [];
  page.on('request', (request) => {
    const kind = request.resourceType();
    if (EVENTS.test(request.url()) && (kind === 'eventsource' || probes)) times.push(Date.now() - start);
  });
  return times;
}

test('a failing stream is tried again less and less often', async ({ page }) => {
  const id = await createPost(page, unique('Live post'), 'Unreachable stream.');
  await page.route(EVENTS, (route) => route.abort('connectionrefused'));
  const times = streamRequests(page);
  await openHydrated(page, `/posts/${id}`);

  await expect.poll(() => times.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
  const waits = times.slice(1).map((time, n) => time - times[n]);
  // 1 s, 2 s, 4 s, each give or take a quarter: every wait longer than the one before.
  expect(waits[1]).toBeGreaterThan(waits[0]);
  expect(waits[2]).toBeGreaterThan(waits[1]);
  await expect(page.locator('html')).toHaveAttribute('data-live-comments', 'connecting');
});

test('a refused stream (4xx) is not tried again', async ({ page }) => {
  const id = await createPost(page, unique('Live post'), 'Refused stream.');
  await page.route(EVENTS, (route) =>
    route.fulfill({ status: 404, contentType: 'application/problem+json', body: '{"status":404}' }),
  );
  const times = streamRequests(page, true);
  await openHydrated(page, `/posts/${id}`);

  await expect(page.locator('html')).toHaveAttribute('data-live-comments', 'stopped');
  await page.waitForTimeout(3_000);
  // The stream, and the one request that asked why it was refused.
  expect(times.length).toBeLessThanOrEqual(2);
});

test('a deleted post ends the stream of a page that shows it', async ({ browser }) => {
  const author = await (await browser.newContext()).newPage();
  const signUp = await author.request.post('/api/auth/signup', {
    data: { username: unique('author').replace(/[^a-z0-9]/gi, '').slice(0, 30), password: 'correct horse battery staple' },
  });
  expect(signUp.status()).toBe(201);
  const id = await createPost(author, unique('Live post'), 'Soon gone.');
  const reader = await (await browser.newContext()).newPage();
  await openHydrated(reader, `/posts/${id}`);
  await streamOpen(reader);
  const times = streamRequests(reader, true);

  const deleted = await author.request.delete(`/api/post/${id}`);
  expect(deleted.status()).toBe(204);

  await expect(reader.locator('html')).toHaveAttribute('data-live-comments', 'ended');
  await expect(reader.getByRole('status').filter({ hasText: 'This post was deleted.' })).toBeVisible();
  await reader.waitForTimeout(2_500);
  expect(times).toEqual([]);
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
