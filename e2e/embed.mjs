// End-to-end test of embed mode against the release bundle: a link from the full app opened with
// `?embed=1&view=timeline&autoplay=1&speed=2` shows one view, no editor, and plays by itself;
// `controls=0` hides the toolbar; `theme=` sets data-theme; `t=5s` starts at 5 s of simulated
// time; "Open in Switchboard" carries the same fragment without the query; bad values are
// ignored without console errors; `readonly=1` hides the editor in the full app.
// Screenshots land in e2e/out/embed-*.png.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { serveDir, launchChromium, watchErrors, check, summary, assert } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.argv[2] ?? join(here, '..', 'dist');
const out = join(here, 'out');
await mkdir(out, { recursive: true });

const events = async (page) => Number(await page.getAttribute('[data-testid=events]', 'data-events'));
const nowUs = async (page) => Number(await page.getAttribute('[data-testid=sim-time]', 'data-now-us'));
async function open(page, url) {
  // A fresh document each time (a fragment-only change would not reload the page).
  await page.goto('about:blank');
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('[data-testid=app]', { timeout: 15000 });
}
async function openEmbed(page, url) {
  await open(page, url);
  await page.waitForSelector('[data-testid=app][data-embed="1"]');
  await page.waitForSelector('[data-testid=open-full]');
}

const server = await serveDir(dist);
const browser = await launchChromium();
const page = await browser.newPage();
const errors = watchErrors(page);
let frag = '';
try {
  await check('the full app gives a share fragment after Apply', async () => {
    await open(page, server.url);
    await page.waitForSelector('textarea.code');
    await page.click('[data-testid=apply]');
    await page.waitForFunction(() => location.hash.startsWith('#s=1.'));
    frag = await page.evaluate(() => location.hash);
    assert(frag.length > 10, `fragment ${frag.slice(0, 20)}`);
  });

  await check('?embed=1&view=timeline&autoplay=1&speed=2: one view, no editor, plays by itself', async () => {
    await openEmbed(page, `${server.url}?embed=1&view=timeline&autoplay=1&speed=2${frag}`);
    assert((await page.$('textarea.code')) === null, 'no editor in the DOM');
    assert((await page.$('[data-testid=gallery]')) === null, 'no gallery in the DOM');
    assert((await page.$('[role=tablist]')) === null, 'no tabs');
    await page.waitForSelector('#view-timeline [data-testid=timeline-canvas]');
    assert((await page.$('[data-testid=play]')) !== null, 'the compact toolbar is shown');
    assert((await page.$('[data-testid=seed]')) === null, 'the compact toolbar has no seed field');
    const before = await events(page);
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-testid=events]')?.dataset.events) > n,
      before,
      { timeout: 10000 },
    );
    const pressed = await page.getAttribute('[data-testid=play]', 'aria-pressed');
    assert(pressed === 'true', `playing without a click (aria-pressed=${pressed})`);
    await page.waitForTimeout(1200);
    await page.screenshot({ path: join(out, 'embed-timeline.png') });
  });

  await check('controls=0 hides the toolbar but keeps the link', async () => {
    await openEmbed(page, `${server.url}?embed=1&controls=0&view=topology${frag}`);
    assert((await page.$('[role=toolbar]')) === null, 'no toolbar');
    assert((await page.$('[data-testid=play]')) === null, 'no play button');
    await page.waitForSelector('#view-topology [data-testid=topology]');
    await page.screenshot({ path: join(out, 'embed-no-controls.png') });
  });

  await check('theme=dark and theme=light set data-theme on <html>', async () => {
    await openEmbed(page, `${server.url}?embed=1&theme=dark&view=log&autoplay=1&speed=10${frag}`);
    const dark = await page.evaluate(() => document.documentElement.getAttribute('data-theme'));
    assert(dark === 'dark', `data-theme=${dark}`);
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert(bg === 'rgb(13, 17, 23)', `dark background: ${bg}`);
    await page.waitForSelector('#view-log');
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(out, 'embed-dark.png') });
    await openEmbed(page, `${server.url}?embed=1&theme=light${frag}`);
    const light = await page.evaluate(() => document.documentElement.getAttribute('data-theme'));
    assert(light === 'light', `data-theme=${light}`);
  });

  await check('t=5s goes to 5 s of simulated time, then pauses', async () => {
    await openEmbed(page, `${server.url}?embed=1&view=metrics&t=5s${frag}`);
    // The run gets there a frame's worth at a time; then it stays there, paused.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=sim-time]')?.dataset.nowUs) >= 5_000_000, null, { timeout: 30000 });
    await page.waitForTimeout(300);
    const t = await nowUs(page);
    assert(t === 5_000_000, `simulated time ${t} µs, not held at 5 s`);
    assert((await events(page)) > 0, 'events were processed');
    assert((await page.getAttribute('[data-testid=play]', 'aria-pressed')) === 'false', 'paused without autoplay');
    await page.screenshot({ path: join(out, 'embed-metrics-t5s.png') });
  });

  await check('"Open in Switchboard" carries the fragment, not the query', async () => {
    await openEmbed(page, `${server.url}?embed=1&view=timeline&speed=5&theme=dark${frag}`);
    const a = page.locator('[data-testid=open-full]');
    const href = await a.getAttribute('href');
    assert(href.endsWith(frag), `href ends with the fragment: …${href.slice(-30)}`);
    const u = new URL(href);
    assert(u.search === '', `no query: ${u.search}`);
    assert(`${u.origin}${u.pathname}` === server.url, `same page: ${u.origin}${u.pathname}`);
    assert((await a.getAttribute('target')) === '_blank', 'target=_blank');
    assert((await a.getAttribute('rel')) === 'noopener', 'rel=noopener');
    // And it opens the full app on the same scenario.
    await open(page, href);
    await page.waitForSelector('textarea.code');
    assert((await page.evaluate(() => location.hash)) === frag, 'the full app keeps the fragment');
  });

  await check('bad values are ignored: speed=abc, t=-1, view=<script>', async () => {
    const before = errors.length;
    await openEmbed(page, `${server.url}?embed=1&speed=abc&t=-1&view=<script>alert(1)</script>${frag}`);
    await page.waitForSelector('#view-topology [data-testid=topology]');
    assert((await nowUs(page)) === 0, 'starts at time zero');
    await openEmbed(page, `${server.url}?embed=1&view=%3Cscript%3E&speed=-5&t=zz&theme=%22%3E&controls=x${frag}`);
    await page.waitForSelector('#view-topology');
    assert((await page.$('[data-testid=play]')) !== null, 'a bad controls= value keeps the toolbar');
    const theme = await page.evaluate(() => document.documentElement.getAttribute('data-theme'));
    assert(theme === null, `no data-theme: ${theme}`);
    await page.screenshot({ path: join(out, 'embed-bad-values.png') });
    assert(errors.length === before, `console errors: ${errors.slice(before).join(' | ')}`);
  });

  await check('readonly=1 in the full app hides the editor, keeps the tabs', async () => {
    await open(page, `${server.url}?readonly=1${frag}`);
    await page.waitForSelector('[role=tablist]');
    assert((await page.$('textarea.code')) === null, 'no editor');
    assert((await page.$('[data-testid=play]')) !== null, 'the full toolbar');
    assert((await page.$('[data-testid=seed]')) !== null, 'with the seed field');
    await page.screenshot({ path: join(out, 'embed-readonly.png') });
  });

  await check('no console errors', async () => {
    assert(errors.length === 0, errors.join('\n'));
  });
} finally {
  await browser.close();
  await server.close();
}
summary('embed');
