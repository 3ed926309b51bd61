// End-to-end test of the docs example (docs/book/): builds the mdBook, serves it under /book/
// beside the release bundle at / on 127.0.0.1, and opens the page that embeds two gallery
// scenarios. Both frames must draw their view (topology, timeline) and play: the first by
// `autoplay=1`, the second through the page's own buttons, which use the postMessage API.
// Screenshot: e2e/out/book.png.
// Then the Embed button's snippet for a scenario named like the attack (blank lines and a
// Markdown link that would close `title=` and add `onload=`) is pasted into a page of a second
// mdBook: the page must hold one iframe with exactly the snippet's attributes, and no script runs.
import { mkdtemp, cp, mkdir, writeFile } from 'node:fs/promises';
import { deflateRawSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { serveDir, launchChromium, watchErrors, check, summary, assert } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const dist = process.argv[2] ?? join(root, 'dist');
const out = join(here, 'out');
await mkdir(out, { recursive: true });

const site = await mkdtemp(join(tmpdir(), 'switchboard-book-'));
await cp(dist, site, { recursive: true });
execFileSync('mdbook', ['build', join(root, 'docs', 'book'), '--dest-dir', join(site, 'book')], {
  stdio: 'inherit',
});

const server = await serveDir(site);
const browser = await launchChromium();
const page = await browser.newPage();
// Tall enough for both frames in one screenshot.
await page.setViewportSize({ width: 1280, height: 1560 });
const errors = watchErrors(page);
// The frame of the iframe with this id.
const frameOf = async (id) => (await page.waitForSelector(`iframe#${id}`)).contentFrame();
const events = async (f) => Number(await f.getAttribute('[data-testid=events]', 'data-events'));

try {
  await page.goto(`${server.url}book/patterns.html`, { waitUntil: 'load' });

  await check('the page embeds two Switchboard frames', async () => {
    assert((await page.$$('iframe.switchboard')).length === 2, 'two iframes');
    for (const id of ['fanout', 'storm']) {
      const f = await frameOf(id);
      await f.waitForSelector('[data-testid=app][data-embed="1"]', { timeout: 20000 });
    }
  });

  await check('the fan-out frame draws its topology and plays by itself', async () => {
    const f = await frameOf('fanout');
    await f.waitForSelector('#view-topology [data-testid=topology] .node');
    const nodes = await f.$$eval('[data-testid=topology] .node', (n) => n.length);
    assert(nodes >= 5, `${nodes} topology nodes`);
    await f.waitForFunction(() => Number(document.querySelector('[data-testid=events]')?.dataset.events) > 0, null, { timeout: 10000 });
    const before = await events(f);
    await f.waitForFunction((n) => Number(document.querySelector('[data-testid=events]')?.dataset.events) > n, before, { timeout: 10000 });
  });

  await check('the retry-storm frame draws a timeline and plays from the page\'s buttons', async () => {
    const f = await frameOf('storm');
    await f.waitForSelector('#view-timeline [data-testid=timeline-canvas]');
    assert((await f.$('[data-testid=play]')) === null, 'controls=0: no toolbar in the frame');
    await page.waitForFunction(() => document.getElementById('storm-status').textContent.startsWith('t = 0.00 s'));
    await page.click('.storm-controls [data-cmd=play]');
    await page.waitForFunction(() => /^t = \d+\.\d\d s · \d+ events$/.test(document.getElementById('storm-status').textContent) &&
      !document.getElementById('storm-status').textContent.startsWith('t = 0.00'));
    await page.click('.storm-controls [data-cmd=pause]');
    await page.click('.storm-controls [data-seek="2000"]');
    await page.waitForFunction(() => document.getElementById('storm-status').textContent.startsWith('t = 2.00 s'));
    // The timeline has drawn arrows by now: its canvas is not blank.
    const inked = await f.$eval('[data-testid=timeline-canvas]', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      for (let i = 0; i < d.length; i += 4 * 97) seen.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
      return seen.size;
    });
    assert(inked > 3, `timeline canvas colours: ${inked}`);
    await page.click('.storm-controls [data-cmd=play]');
    await page.waitForTimeout(1500);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(out, 'book.png') });
  });

  await check('a snippet of a hostile name pasted into an mdBook page adds no attribute and runs nothing', async () => {
    // The name, as the scenario language writes it (`\n` is a line break in a string).
    const text = 'scenario "Retry storm\\n\\n[Run the demo](onload=alert(location.origin)//)" seed 1\nservice api\n';
    const fragment = `s=1.${deflateRawSync(Buffer.from(text), { level: 9 }).toString('base64url')}`;
    const app = await browser.newPage();
    await app.goto(`${server.url}#${fragment}`);
    await app.waitForSelector('[data-testid=embed]:not([disabled])', { timeout: 20000 });
    await app.click('[data-testid=embed]');
    const snippet = await app.inputValue('[data-testid=embed-snippet]');
    await app.close();
    const book = await mkdtemp(join(tmpdir(), 'switchboard-pasted-'));
    await mkdir(join(book, 'src'));
    await writeFile(join(book, 'book.toml'), '[book]\ntitle = "Pasted"\n');
    await writeFile(join(book, 'src', 'SUMMARY.md'), '# Summary\n\n- [Pasted](pasted.md)\n');
    await writeFile(join(book, 'src', 'pasted.md'), `# Pasted\n\nThe demo:\n\n${snippet}\n\nAfter the demo.\n`);
    execFileSync('mdbook', ['build', book, '--dest-dir', join(site, 'pasted')], { stdio: 'pipe' });
    const docs = await browser.newPage();
    const dialogs = [];
    docs.on('dialog', (d) => {
      dialogs.push(d.message());
      d.dismiss().catch(() => {});
    });
    await docs.goto(`${server.url}pasted/pasted.html`, { waitUntil: 'load' });
    const frames = await docs.$$eval('main iframe', (els) => els.map((e) => ({ attrs: e.getAttributeNames(), title: e.title })));
    assert(frames.length === 1, `${frames.length} iframes in the page`);
    const { attrs, title } = frames[0];
    assert(attrs.join() === 'src,title,width,height,style,loading', `iframe attributes: ${attrs.join(', ')}`);
    assert(title === 'Switchboard: Retry storm [Run the demo](onload=alert(location.origin)//)', `title: ${JSON.stringify(title)}`);
    const links = await docs.$$eval('main a[href^="onload"]', (els) => els.length);
    assert(links === 0, 'Markdown turned part of the snippet into a link');
    // The frame loads (an `onload=` attribute would run now).
    await (await docs.$('main iframe')).contentFrame().then((f) => f.waitForSelector('[data-testid=app]', { timeout: 20000 }));
    assert(dialogs.length === 0, `a dialog opened: ${dialogs.join(' | ')}`);
    await docs.close();
    assert(!/[\n\r']/.test(snippet), `the snippet has a line break or a ': ${JSON.stringify(snippet)}`);
  });

  await check('no console errors', async () => {
    assert(errors.length === 0, errors.join('\n'));
  });
} finally {
  await browser.close();
  await server.close();
}
summary('book');
