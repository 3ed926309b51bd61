// No typed work lost, whatever the browser does with storage (src/ui/storage.rs, drafts.rs,
// history.rs): against the release bundle,
// - storage refused (the `localStorage` getter throwing, or `getItem` throwing) or full (`setItem`
//   throwing QuotaExceededError): the page starts and plays, and a note says the text is not
//   being saved and offers a link and the `.sb` file;
// - two tabs keep their own drafts through reloads, and a new tab opens the newest;
// - the history lists applied versions and drafts, restores one with a click, and a link opened
//   by a reader joins it without replacing the reader's draft;
// - an embed with storage refused plays; a framed full app neither reads nor saves the draft.
// Screenshots: e2e/out/storage-note.png, e2e/out/storage-history.png.
import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { serveDir, launchChromium, watchErrors, check, summary, assert, frames } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.argv[2] ?? join(here, '..', 'dist');
const out = join(here, 'out');
await mkdir(out, { recursive: true });

const DRAFT_KEY = 'switchboard.draft';
const MINE = 'scenario "mine" seed 5 duration 5s\n\n# my own draft\nservice keep-me\n';
const text = (name, extra = '') =>
  `scenario "${name}" seed 7 duration 10s\nservice api workers 2 time 5ms\nclient c rate 20/s -> api GET /x\napi GET /x:\n  work\n  reply 200\n${extra}`;

// Init scripts that make storage fail the ways browsers do.
const REFUSE = {
  // Site data blocked: reading `window.localStorage` (and `sessionStorage`) throws.
  getter: () => {
    for (const name of ['localStorage', 'sessionStorage']) {
      Object.defineProperty(window, name, {
        configurable: true,
        get() {
          throw new DOMException('The page may not use storage', 'SecurityError');
        },
      });
    }
  },
  getItem: () => {
    Storage.prototype.getItem = function () {
      throw new DOMException('getItem refused', 'SecurityError');
    };
  },
  setItem: () => {
    Storage.prototype.setItem = function () {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
  },
};

const server = await serveDir(dist);
// One browser for every check (a launch is slow on a busy machine): each check starts from empty
// storage, and each new page is a new tab with its own session storage.
const browser = await launchChromium();
await browser.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url.replace(/\/$/, '') });
/** Opens a blank page of the app's origin that is not the app (to set its storage). */
async function blank(page) {
  await page.route(`${server.url}blank.html`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><link rel="icon" href="data:,">' }));
  await page.goto(`${server.url}blank.html`);
}
async function fresh() {
  for (const p of browser.pages()) await p.close();
  const page = await browser.newPage();
  await blank(page);
  await page.evaluate(() => localStorage.clear());
  await page.close();
}
const events = async (page) => Number(await page.getAttribute('[data-testid=events]', 'data-events'));

/** Opens `url` and waits for the run (the topology, or `ready` for another view). */
async function open(page, url, ready = '#view-topology svg') {
  await page.goto('about:blank');
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector(ready, { timeout: 15000 });
}

/** Plays for a moment: the run must move. */
async function plays(page) {
  const before = await events(page);
  await page.click('[data-testid=play]');
  await page.waitForFunction((b) => Number(document.querySelector('[data-testid=events]')?.dataset.events) > b, before, { timeout: 5000 });
  await page.click('[data-testid=play]');
}

/** Replaces the editor's text, as typing would, and lets the autosave run. */
async function type(page, t) {
  await page.fill('textarea.code', t);
  await frames(page, 2);
}

try {
  for (const [how, expect] of [
    ['getter', /does not let the page store/],
    ['getItem', /does not let the page store/],
    ['setItem', /storage for the page is full/],
  ]) {
    await check(`storage refused (${how} throws): the page starts, plays and says the text is not saved`, async () => {
      await fresh();
      const page = await browser.newPage();
      const errors = watchErrors(page);
      await page.addInitScript(REFUSE[how]);
      await open(page, server.url);
      await plays(page);
      const note = await page.waitForSelector('[data-testid=storage-note]', { timeout: 5000 });
      const said = await note.textContent();
      assert(/not being saved/.test(said) && expect.test(said), `the note says: ${said}`);
      // Typing and applying still work, and the note stays.
      await type(page, text('unsaved'));
      await page.click('[data-testid=apply]');
      await page.waitForFunction(() => document.querySelector('[data-testid=diagnostics]')?.textContent.includes('No problems'));
      assert(await page.isVisible('[data-testid=storage-note]'), 'the note went away while nothing is saved');
      if (how === 'getter') {
        // The ways out: the .sb file holds the text; the link carries it.
        const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=storage-download]')]);
        assert(download.suggestedFilename() === 'unsaved.sb', `file name ${download.suggestedFilename()}`);
        assert((await readFile(await download.path(), 'utf8')) === text('unsaved'), 'the file holds the text');
        await page.click('[data-testid=storage-copy]');
        await page.waitForSelector('[data-testid=storage-copied], [data-testid=storage-url]');
        const url = (await page.$('[data-testid=storage-url]'))
          ? await page.inputValue('[data-testid=storage-url]')
          : await page.evaluate(() => navigator.clipboard.readText());
        assert(url.startsWith(server.url) && url.includes('#s=1.'), `link ${url.slice(0, 60)}`);
        await page.screenshot({ path: join(out, 'storage-note.png') });
        // History: the button says why there is none.
        await page.click('[data-testid=history]');
        await page.waitForSelector('[data-testid=history-unavailable]');
      }
      assert(errors.length === 0, errors.join('\n'));
    });
  }

  await check('two tabs keep their own drafts through reloads; a new tab opens the newest', async () => {
    await fresh();
    const a = await browser.newPage();
    const b = await browser.newPage();
    await open(a, server.url);
    await type(a, text('tab-a'));
    await open(b, server.url);
    assert((await b.inputValue('textarea.code')) === text('tab-a'), 'a new tab opens the newest draft');
    await type(b, text('tab-b'));
    // Typing in A again after B: neither overwrites the other's.
    await type(a, text('tab-a', '# more\n'));
    await Promise.all([a.reload(), b.reload()]);
    await a.waitForSelector('#view-topology svg');
    await b.waitForSelector('#view-topology svg');
    assert((await a.inputValue('textarea.code')) === text('tab-a', '# more\n'), 'tab A reopened on its own draft');
    assert((await b.inputValue('textarea.code')) === text('tab-b'), 'tab B reopened on its own draft');
    const c = await browser.newPage();
    await open(c, server.url);
    assert((await c.inputValue('textarea.code')) === text('tab-a', '# more\n'), 'a new tab opens the newest draft');
    // Both tabs' drafts are in the history.
    await c.waitForTimeout(1000);
    await c.click('[data-testid=history]');
    const names = await c.$$eval('[data-testid=history-name]', (els) => els.map((e) => e.textContent));
    assert(names.includes('tab-a') && names.includes('tab-b'), `history: ${names.join(', ')}`);
  });

  await check('history: applied versions and drafts, one-click restore, links join it', async () => {
    await fresh();
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await open(page, server.url);
    await type(page, text('first'));
    await page.click('[data-testid=apply]');
    await type(page, text('second (not applied)'));
    // A gallery pick replaces the text: the draft before is kept in the history at once.
    await page.selectOption('[data-testid=gallery]', 'retry-storm');
    await page.waitForFunction(() => !document.querySelector('textarea.code').value.includes('second'));
    await page.click('[data-testid=history]');
    await page.waitForSelector('[data-testid=history-list]');
    const entries = await page.$$eval('[data-testid=history-item]', (els) => els.map((e) => e.textContent));
    assert(entries.length === 2, `history: ${entries.join(' | ')}`);
    assert(/second \(not applied\)/.test(entries[0]) && /draft/.test(entries[0]), `newest: ${entries[0]}`);
    assert(/first/.test(entries[1]) && /applied/.test(entries[1]), `older: ${entries[1]}`);
    await page.screenshot({ path: join(out, 'storage-history.png') });
    // Restore the applied version: it is in the editor and runs.
    await page.click('[data-testid=history-item] >> nth=1');
    assert((await page.inputValue('textarea.code')) === text('first'), 'restored the applied text');
    await page.waitForFunction(() => document.querySelector('[data-testid=diagnostics]')?.textContent.includes('No problems'));
    await plays(page);
    await frames(page, 2);
    const mine = await page.evaluate((k) => localStorage.getItem(k), DRAFT_KEY);
    assert(mine === text('first'), 'the restored text is the saved draft');

    // A reader opens someone's link in a new tab: it joins the history; the draft stays theirs.
    const other = await browser.newPage();
    await open(other, server.url);
    await type(other, text('theirs'));
    await other.click('[data-testid=apply]');
    await other.waitForFunction(() => location.hash.startsWith('#s=1.'));
    await other.waitForTimeout(200);
    const link = `${server.url}${await other.evaluate(() => location.hash)}`;
    await other.close();
    // The reader's own draft; and forget the link was this browser's (a reader is someone else).
    await page.evaluate(([k, t]) => {
      localStorage.setItem(k, t);
      localStorage.removeItem('switchboard.link');
    }, [DRAFT_KEY, MINE]);
    const reader = await browser.newPage();
    await open(reader, link);
    assert((await reader.inputValue('textarea.code')) === text('theirs'), 'the link opened its text');
    await reader.waitForTimeout(300);
    assert((await reader.evaluate((k) => localStorage.getItem(k), DRAFT_KEY)) === MINE, "the reader's draft was replaced");
    await reader.click('[data-testid=history]');
    const joined = await reader.$$eval('[data-testid=history-item]', (els) => els.map((e) => e.textContent));
    assert(/theirs/.test(joined[0]) && /opened link/.test(joined[0]), `newest: ${joined[0]}`);
    assert(joined.some((e) => /mine/.test(e)), `the reader's own draft is in the history: ${joined.join(' | ')}`);
    // A gallery pick never loses the reader's text either: it is one click away.
    await reader.keyboard.press('Escape');
    await reader.selectOption('[data-testid=gallery]', 'retry-storm');
    await reader.click('[data-testid=history]');
    await reader.click('[data-testid=history-item]:has-text("mine")');
    assert((await reader.inputValue('textarea.code')) === MINE, 'restored the reader\'s own text');
    assert(errors.length === 0, errors.join('\n'));
  });

  // A same-origin host page with one frame.
  const host = (src) => `<!doctype html><meta charset="utf-8"><title>host</title><link rel="icon" href="data:,">
<iframe id="sb" width="1000" height="600" src="${src}"></iframe>
<script>window.got = []; addEventListener('message', (e) => window.got.push(e.data));</script>`;
  const hostAt = async (page, src) => {
    await page.route(`${server.url}host.html`, (route) => route.fulfill({ contentType: 'text/html', body: host(src) }));
    await page.goto(`${server.url}host.html`);
    const frame = await (await page.waitForSelector('#sb')).contentFrame();
    return frame;
  };

  await check('an embed with storage refused plays', async () => {
    await fresh();
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.addInitScript(REFUSE.getter);
    const frame = await hostAt(page, '/?embed=1&view=timeline&autoplay=1');
    await frame.waitForSelector('#view-timeline canvas', { timeout: 15000 });
    await frame.waitForFunction(() => Number(document.querySelector('[data-testid=events]')?.dataset.events) > 0, null, { timeout: 5000 });
    assert((await frame.$('[data-testid=storage-note]')) === null, 'an embed warns about saving');
    assert(errors.length === 0, errors.join('\n'));
  });

  await check('a framed app neither reads nor saves the user\'s draft', async () => {
    await fresh();
    const page = await browser.newPage();
    const errors = watchErrors(page);
    // The user's draft, set from a page of the origin that is not the app.
    await blank(page);
    await page.evaluate(([k, t]) => {
      localStorage.setItem(k, t);
      localStorage.removeItem('switchboard.history');
      sessionStorage.clear();
    }, [DRAFT_KEY, MINE]);
    for (const src of ['/', '/?embed=1&view=log']) {
      const frame = await hostAt(page, src);
      await frame.waitForSelector('[data-testid=app]');
      await page.waitForFunction(() => window.got.some((e) => e.type === 'ready'), null, { timeout: 15000 });
      const ready = await page.evaluate(() => window.got.find((e) => e.type === 'ready'));
      // The default scenario runs 60 s; the user's draft, 5 s.
      assert(ready.duration === 60000, `${src}: the frame ran a ${ready.duration} ms scenario, not the default one`);
      if (src === '/') {
        const shown = await frame.inputValue('textarea.code');
        assert(shown !== MINE && !shown.includes('keep-me'), `${src}: the frame shows the user's draft`);
        assert((await frame.$('[data-testid=history]')) === null, 'the framed app offers the history');
        // An edit and an Apply in the frame (a clickjacked click) save nothing.
        await frame.fill('textarea.code', text('host'));
        await frame.click('[data-testid=apply]');
        await page.waitForTimeout(1000);
      }
      const [draft, history] = await page.evaluate((k) => [localStorage.getItem(k), localStorage.getItem('switchboard.history')], DRAFT_KEY);
      assert(draft === MINE, `${src}: the saved draft changed`);
      assert(history === null, `${src}: the frame wrote the history`);
    }
    assert(errors.length === 0, errors.join('\n'));
  });
} finally {
  await browser.close();
  await server.close();
}
summary('storage');
