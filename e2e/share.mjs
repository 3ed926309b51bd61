// End-to-end test of share links and exports against the release bundle: Apply puts `#s=1.…` in
// the URL (replaceState, no new history entries); that URL opened in a fresh page shows the same
// text and reproduces the same run; a broken link shows a banner with the reason and opens on the
// autosaved text without overwriting it; the Share button copies the link; every export downloads
// a well-formed file. Screenshots land in e2e/out/share-*.png.
import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { serveDir, launchChromium, watchErrors, check, summary, assert, downloadEveryExport } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.argv[2] ?? join(here, '..', 'dist');
const out = join(here, 'out');
await mkdir(out, { recursive: true });

const events = async (page) => Number(await page.getAttribute('[data-testid=events]', 'data-events'));
const blur = (page) => page.evaluate(() => document.activeElement?.blur());
const hash = (page) => page.evaluate(() => location.hash);
async function open(page, url) {
  // A fresh document each time (a fragment-only change would not reload the page).
  await page.goto('about:blank');
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('[data-testid=app]', { timeout: 15000 });
  await page.waitForSelector('textarea.code');
}
/** Steps `n` events with →, returns the event count and the last log line texts. */
async function stepN(page, n) {
  await blur(page);
  for (let i = 0; i < n; i++) await page.keyboard.press('ArrowRight');
  return events(page);
}
async function logText(page) {
  await page.click('#tab-log');
  const t = await page.locator('[data-testid=log-rows]').innerText();
  await page.click('#tab-topology');
  return t;
}

const server = await serveDir(dist);
const browser = await launchChromium();
await browser.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url.replace(/\/$/, '') });
const page = await browser.newPage();
const errors = watchErrors(page);
let link = '';
let edited = '';
let firstRun = { events: 0, log: '' };
try {
  await check('the URL reflects the applied scenario (#s=1.…), replaced in place', async () => {
    await open(page, server.url);
    // The address bar takes the link once the run is built, which a busy machine can delay
    // past the editor's first paint: wait for it (bounded) rather than read it at once.
    await page.waitForFunction(() => location.hash.startsWith('#s=1.'), null, { timeout: 15000 }).catch(() => {});
    const historyBefore = await page.evaluate(() => history.length);
    assert((await hash(page)).startsWith('#s=1.'), `on load the fragment is a link: ${(await hash(page)).slice(0, 20)}`);
    const gallery = await page.$$eval('[data-testid=gallery] option', (os) =>
      os.map((o) => o.value).filter((v) => v !== 'custom' && v !== 'restore'),
    );
    await page.selectOption('[data-testid=gallery]', gallery[1]);
    const text = await page.inputValue('textarea.code');
    edited = `${text.replace(/seed \d+/, 'seed 777')}\n# shared from the e2e test\n`;
    await page.fill('textarea.code', edited);
    await page.click('[data-testid=apply]');
    await page.waitForFunction(() => location.hash.startsWith('#s=1.'));
    const h1 = await hash(page);
    await page.click('[data-testid=apply]');
    assert((await hash(page)) === h1, 'a second Apply of the same text keeps the fragment');
    assert((await page.evaluate(() => history.length)) === historyBefore, 'no history entries were pushed');
    link = await page.evaluate(() => location.href);
    assert(link.includes('#s=1.'), `link ${link.slice(0, 60)}`);
    firstRun.events = await stepN(page, 40);
    firstRun.log = await logText(page);
    assert(firstRun.events === 40, `stepped 40 events (${firstRun.events})`);
  });

  await check('the link in another browser shows the same text and reproduces the same run', async () => {
    // Another profile: someone else opening the link, with a saved draft of their own.
    const elsewhere = await launchChromium();
    const other = await elsewhere.newPage();
    const otherErrors = watchErrors(other);
    // A different saved draft in this browser must survive opening the link.
    await other.goto(server.url, { waitUntil: 'load' });
    await other.evaluate(() => localStorage.setItem('switchboard.draft', 'scenario "mine" seed 5\n'));
    await open(other, link);
    assert((await other.inputValue('textarea.code')) === edited, 'the editor holds the link text');
    const picker = await other.$eval('[data-testid=gallery]', (s) => s.selectedOptions[0].textContent);
    assert(picker === 'Shared scenario (from the link)', `the picker names a shared scenario (${picker})`);
    const n = await stepN(other, 40);
    assert(n === firstRun.events, `same event count: ${n} vs ${firstRun.events}`);
    const log = await logText(other);
    assert(log === firstRun.log, 'the same log lines after 40 events (identical run)');
    const saved = await other.evaluate(() => localStorage.getItem('switchboard.draft'));
    assert(saved === 'scenario "mine" seed 5\n', `opening a link kept the saved draft (${JSON.stringify(saved?.slice(0, 30))})`);
    await other.screenshot({ path: join(out, 'share-opened-link.png') });
    assert(otherErrors.length === 0, otherErrors.join('\n'));
    await elsewhere.close();
  });

  await check('a broken link shows the reason and opens on the autosaved text', async () => {
    const other = await browser.newPage();
    const otherErrors = watchErrors(other);
    await other.goto(server.url, { waitUntil: 'load' });
    const mine = edited;
    await other.evaluate((t) => localStorage.setItem('switchboard.draft', t), mine);
    await open(other, `${server.url}#s=1.garbage`);
    const banner = await other.waitForSelector('[data-testid=link-banner]');
    const reason = await other.textContent('[data-testid=link-reason]');
    assert(reason.length > 10 && /damaged|decompress|base64/.test(reason), `reason: ${reason}`);
    assert((await other.inputValue('textarea.code')) === mine, 'the autosaved text is loaded');
    assert((await other.evaluate(() => location.hash)) === '#s=1.garbage', 'the broken link stays in the address bar');
    await other.screenshot({ path: join(out, 'share-bad-link.png') });
    await other.click('[data-testid=link-banner-close]');
    assert((await other.$('[data-testid=link-banner]')) === null, 'the banner can be dismissed');
    assert(banner, 'banner');

    // A link whose text does not compile: the text is in the editor with its diagnostics.
    await open(other, `${server.url}#s=9.abc`);
    assert((await other.textContent('[data-testid=link-reason]')).includes('version'), 'unknown version reason');
    assert(otherErrors.length === 0, otherErrors.join('\n'));
    await other.close();
  });

  await check('a link with an invalid scenario puts its text in the editor with diagnostics', async () => {
    const other = await browser.newPage();
    const otherErrors = watchErrors(other);
    await other.goto(server.url, { waitUntil: 'load' });
    await other.evaluate(() => localStorage.setItem('switchboard.draft', 'scenario "mine" seed 5\n'));
    // The link is made here with the browser's own raw DEFLATE + base64url (the `1.` format).
    const bad = 'scenario "x" seed 1\nservice a workers zero\n';
    const frag = await other.evaluate(async (text) => {
      const cs = new CompressionStream('deflate-raw');
      const w = cs.writable.getWriter();
      w.write(new TextEncoder().encode(text));
      w.close();
      const buf = new Uint8Array(await new Response(cs.readable).arrayBuffer());
      let bin = '';
      for (const b of buf) bin += String.fromCharCode(b);
      return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    }, bad);
    await open(other, `${server.url}#s=1.${frag}`);
    await other.waitForSelector('[data-testid=link-banner]');
    assert((await other.inputValue('textarea.code')) === bad, 'the invalid text is in the editor');
    await other.waitForSelector('[data-testid=diagnostics][role=alert]');
    const saved = await other.evaluate(() => localStorage.getItem('switchboard.draft'));
    assert(saved === 'scenario "mine" seed 5\n', 'the saved draft is untouched');
    await other.screenshot({ path: join(out, 'share-invalid-link.png') });
    assert(otherErrors.length === 0, otherErrors.join('\n'));
    await other.close();
  });

  await check('Share copies the link and says so', async () => {
    await page.click('[data-testid=share]');
    await page.waitForSelector('[data-testid=share-pop]');
    const copied = await page.$('[data-testid=share-copied]');
    if (copied) {
      const clip = await page.evaluate(() => navigator.clipboard.readText());
      assert(clip === link, `clipboard holds the link (${clip.slice(0, 60)})`);
      assert((await page.inputValue('[data-testid=share-url]')) === link, 'the popover shows the copied link too');
    } else {
      const shown = await page.inputValue('[data-testid=share-url]');
      assert(shown === link, 'the fallback shows the link');
    }
    await page.screenshot({ path: join(out, 'share-copied.png') });
  });

  await check('the view is in the query, and a link opens on it', async () => {
    await page.keyboard.press('Escape');
    const history0 = await page.evaluate(() => history.length);
    await page.click('#tab-timeline');
    await page.waitForFunction(() => location.search === '?view=timeline');
    const url = await page.evaluate(() => location.href);
    assert(url.includes('?view=timeline#s=1.'), url.slice(0, 80));
    await page.click('[data-testid=share]');
    await page.waitForSelector('[data-testid=share-pop]');
    if (await page.$('[data-testid=share-copied]')) {
      const clip = await page.evaluate(() => navigator.clipboard.readText());
      assert(clip === url, `the shared link is the address: ${clip.slice(0, 80)}`);
    }
    await page.keyboard.press('Escape');
    const other = await browser.newPage();
    await other.goto(url, { waitUntil: 'load' });
    await other.waitForSelector('#tab-timeline[aria-selected=true]');
    await other.close();
    await page.click('#tab-topology');
    await page.waitForFunction(() => location.search === '');
    assert((await page.evaluate(() => history.length)) === history0, 'no history entries were pushed');
  });

  await check('long links warn; very long ones offer the scenario as a file', async () => {
    const base = await page.inputValue('textarea.code');
    const noise = (n) => {
      const abc = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
      let x = 12345;
      let s = '';
      for (let i = 0; i < n; i++) {
        x = (x * 1103515245 + 12345) % 2147483648;
        s += abc[(x >> 16) % abc.length];
        if (i % 80 === 79) s += '\n# ';
      }
      return s;
    };
    await page.fill('textarea.code', `${base}\n# ${noise(2600)}\n`);
    await page.click('[data-testid=apply]');
    await page.click('[data-testid=share]');
    await page.waitForSelector('[data-testid=share-long]');
    const href = await page.evaluate(() => location.href);
    assert(href.length > 2000 && href.length <= 8000, `a long link: ${href.length} chars`);
    await page.screenshot({ path: join(out, 'share-long.png') });

    await page.fill('textarea.code', `${base}\n# ${noise(9000)}\n`);
    await page.click('[data-testid=apply]');
    await page.click('[data-testid=share]');
    await page.waitForSelector('[data-testid=share-too-long]');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('[data-testid=share-download]'),
    ]);
    assert(download.suggestedFilename().endsWith('.sb'), `file ${download.suggestedFilename()}`);
    const text = await readFile(await download.path(), 'utf8');
    assert(text === (await page.inputValue('textarea.code')), 'the file holds the scenario text');
    await page.screenshot({ path: join(out, 'share-too-long.png') });
    await page.fill('textarea.code', edited);
    await page.click('[data-testid=apply]');
  });

  await check('Embed writes an iframe snippet for this scenario; one popover at a time', async () => {
    await page.keyboard.press('Escape');
    await page.click('[data-testid=embed]');
    await page.waitForSelector('[data-testid=embed-pop]');
    const hash = await page.evaluate(() => location.hash);
    let code = await page.inputValue('[data-testid=embed-snippet]');
    assert(/^<iframe src="[^"]+\?embed=1&amp;view=topology#s=1\.[^"]+" title="Switchboard: [^"]+" /.test(code), code.slice(0, 120));
    assert(code.includes(`${hash}"`), 'the snippet carries the current fragment');
    assert(code.endsWith('></iframe>'), 'one element');
    await page.selectOption('[data-testid=embed-view]', 'timeline');
    await page.check('[data-testid=embed-autoplay]');
    await page.uncheck('[data-testid=embed-controls]');
    code = await page.inputValue('[data-testid=embed-snippet]');
    assert(code.includes('?embed=1&amp;view=timeline&amp;autoplay=1&amp;controls=0#s=1.'), code.slice(0, 120));
    await page.click('[data-testid=embed-copy]');
    await page.waitForSelector('[data-testid=embed-copied]');
    if ((await page.textContent('[data-testid=embed-copied]')).includes('copied')) {
      const clip = await page.evaluate(() => navigator.clipboard.readText());
      assert(clip === code, 'the clipboard holds the snippet');
    }
    await page.screenshot({ path: join(out, 'share-embed.png') });
    // Opening another popover closes this one; Escape and a click elsewhere close any.
    await page.click('[data-testid=share]');
    await page.waitForSelector('[data-testid=share-pop]');
    assert((await page.$('[data-testid=embed-pop]')) === null, 'Share closed the Embed popover');
    await page.click('[data-testid=export] summary');
    assert((await page.$('[data-testid=share-pop]')) === null, 'Export closed the Share popover');
    assert(await page.$eval('[data-testid=export]', (d) => d.open), 'the Export menu is open');
    await page.keyboard.press('Escape');
    assert(!(await page.$eval('[data-testid=export]', (d) => d.open)), 'Escape closed the menu');
    await page.click('[data-testid=embed]');
    await page.waitForSelector('[data-testid=embed-pop]');
    await page.mouse.click(5, 400);
    await page.waitForSelector('[data-testid=embed-pop]', { state: 'detached' });
    // The snippet's address opens the embed it describes.
    const src = code.match(/src="([^"]+)"/)[1].replaceAll('&amp;', '&');
    const other = await browser.newPage();
    await other.goto(src, { waitUntil: 'load' });
    await other.waitForSelector('[data-testid=app][data-embed="1"] #view-timeline [data-testid=timeline-canvas]');
    assert((await other.$('[role=toolbar]')) === null, 'controls=0: no toolbar');
    await other.close();
  });

  await check('every export downloads a well-formed file', async () => {
    await stepN(page, 60);
    const files = await downloadEveryExport(page, async (slug) => {
      if (slug === 'svg') await page.screenshot({ path: join(out, 'share-export-menu.png') });
    });
    for (const [file, bytes] of files) console.log(`     ${file}: ${bytes} bytes`);
  });

  await check('a link pasted into an open tab opens it', async () => {
    await page.evaluate(() => {
      location.hash = '#s=1.garbage';
    });
    await page.waitForSelector('[data-testid=link-banner]');
    assert((await page.inputValue('textarea.code')) === edited, 'the autosaved text is shown');
  });

  await check('no console errors', async () => {
    assert(errors.length === 0, errors.join('\n'));
  });
} finally {
  await browser.close();
  await server.close();
}
summary('share');
