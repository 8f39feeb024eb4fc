// The browser's cache on a second visit: the JS, wasm and CSS of a release carry a hash of their
// content in their names and are cached `immutable`, so a second visit to / downloads only the HTML
// (and the HTML only when it changed: it is revalidated with its ETag).
//
// What reaches the network is read from Chromium's DevTools protocol, which says for each request
// whether the browser's cache answered it, and with what status the server answered (a revalidated
// copy is reported as the cached 200; the 304 that confirmed it is in the "extra info").
import { expect, test, type Page } from '@playwright/test';
import { waitForIslands } from './helpers';

/** One request of a page load, as the DevTools protocol reported it. */
interface Fetched {
  path: string;
  /** The status the server sent, when the request reached it. */
  status?: number;
  fromCache: boolean;
}

/** Loads `path` until its islands have hydrated, and returns every request the load made. */
async function visit(page: Page, path: string): Promise<Fetched[]> {
  const devtools = await page.context().newCDPSession(page);
  const requests = new Map<string, Fetched>();
  devtools.on('Network.requestWillBeSent', (event) => {
    requests.set(event.requestId, { path: new URL(event.request.url).pathname, fromCache: false });
  });
  devtools.on('Network.requestServedFromCache', (event) => {
    const request = requests.get(event.requestId);
    if (request) request.fromCache = true;
  });
  devtools.on('Network.responseReceived', (event) => {
    const request = requests.get(event.requestId);
    if (!request) return;
    request.fromCache ||= Boolean(event.response.fromDiskCache || event.response.fromPrefetchCache);
  });
  devtools.on('Network.responseReceivedExtraInfo', (event) => {
    const request = requests.get(event.requestId);
    if (request) request.status = event.statusCode;
  });
  const settled = new Set<string>();
  devtools.on('Network.loadingFinished', (event) => settled.add(event.requestId));
  devtools.on('Network.loadingFailed', (event) => settled.add(event.requestId));
  await devtools.send('Network.enable');
  await page.goto(path);
  await waitForIslands(page);
  // Chromium asks for the favicon after the page has loaded, and a response's status ("extra info")
  // may come after its body: wait until every request of the load has ended, so none is missed on
  // the first visit (then it would not be in the cache) or miscounted on the second.
  await page.waitForLoadState('networkidle');
  await expect
    .poll(() => [...requests.keys()].filter((id) => !settled.has(id)), { timeout: 5_000 })
    .toEqual([]);
  await devtools.detach();
  return [...requests.values()];
}

/** What came over the network with a body: neither from the cache nor confirmed by a 304. */
function downloaded(requests: Fetched[]): string[] {
  return requests
    .filter((request) => !request.fromCache && request.status !== 304)
    .map((request) => request.path);
}

test('a second visit to / downloads only the HTML', async ({ page }) => {
  const first = await visit(page, '/');
  const assets = first.filter((request) => request.path.startsWith('/pkg/'));
  test.skip(
    !assets.some((request) => /\.[0-9a-f]{16}\.js$/.test(request.path)),
    'the server under test is a development build: its asset names carry no content hash',
  );
  // The first visit fetches the JS, the wasm and the CSS.
  expect(downloaded(assets).length).toBeGreaterThanOrEqual(3);

  const second = await visit(page, '/');

  // The content-hashed files are taken from the cache without asking; the rest (the HTML, the
  // favicon) at most revalidated, and only the HTML downloaded again, were it changed.
  const pkg = second.filter((request) => request.path.startsWith('/pkg/'));
  expect(pkg.length).toBeGreaterThanOrEqual(3);
  expect(pkg.filter((request) => !request.fromCache)).toEqual([]);
  expect(downloaded(second).filter((path) => path !== '/')).toEqual([]);
});
