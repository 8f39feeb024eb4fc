// The README's screenshots, taken only on demand (`make screenshots`; see screenshots.config.ts):
// `/` on a desktop and a post's page on a phone, over a few posts and comments written here, as a
// visitor would see them. Each file is checked to be small enough for the README.
import { expect, test, type Page } from '@playwright/test';
import { statSync } from 'node:fs';
import { createPost, openHydrated } from '../tests/helpers';

const folder = '../docs/screenshots';
/** Committed to git and loaded with the README: keep each one light. */
const largestFile = 150 * 1024;

const posts = [
  {
    title: 'Moving our API routes from Next.js to Rust',
    post: 'Every file under pages/api became a file under src/api, with the same URL. The handlers got shorter: typed input in, one database call, typed output.',
    comments: [],
  },
  {
    title: 'Progressive enhancement is not dead',
    post: 'Turn JavaScript off and the forms still work: they post to the same API routes and get a redirect back. With the wasm loaded, they send JSON with fetch instead.',
    comments: ['Tried it with JavaScript off: the comment form still works.', 'And with it on, no page reload.'],
  },
  {
    title: 'SQLite is enough for most side projects',
    post:
      'One file, no server to run, and with WAL mode readers never wait for the writer. ' +
      'This app keeps its posts, comments and the trivia cache in a single database file next to the binary.\n\n' +
      'Queries are checked against the schema when the app compiles: a typo in SQL is a build error, not a 500.',
    comments: [
      'How do you back it up while the server runs?',
      'The sqlite3 .backup command copies a consistent snapshot, even with writes going on.',
      'Good to know, thanks!',
    ],
  },
];

/** The post the phone shows: short enough that its comment form is on the first screen. */
const phonePost = posts[1];

/** Writes the posts and their comments through the API, oldest first; returns the phone post's id. */
async function seed(page: Page): Promise<number> {
  let phonePostId = 0;
  for (const { title, post, comments } of posts) {
    const id = await createPost(page, title, post);
    for (const comment of comments) {
      const response = await page.request.post(`/api/comments/${id}`, { data: { comment } });
      expect(response.status()).toBe(201);
    }
    if (title === phonePost.title) phonePostId = id;
  }
  return phonePostId;
}

async function save(page: Page, name: string, { fullPage }: { fullPage: boolean }): Promise<void> {
  const path = `${folder}/${name}`;
  await page.screenshot({ path, fullPage, animations: 'disabled', caret: 'hide' });
  expect(statSync(path).size).toBeLessThan(largestFile);
}

test.describe.configure({ mode: 'serial' });

let phonePostId = 0;

test.beforeAll(async ({ browser }) => {
  const page = await browser.newPage();
  phonePostId = await seed(page);
  await page.close();
});

test.describe('on a desktop', () => {
  test.use({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });

  test('the home page with posts and a trivia answer', async ({ page }) => {
    await openHydrated(page, '/?number=1729');
    await expect(page.locator('.post-list li')).toHaveCount(posts.length);
    await expect(page.locator('.trivia-answer')).toContainText('1729');

    await save(page, 'home-desktop.png', { fullPage: true });
  });
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1.5, isMobile: true, hasTouch: true });

  test('a post with its comments and the comment form', async ({ page }) => {
    await openHydrated(page, `/posts/${phonePostId}`);
    await expect(page.locator('.comment-list li')).toHaveCount(phonePost.comments.length);

    await save(page, 'post-phone.png', { fullPage: false });
  });
});
