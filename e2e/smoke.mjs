// End-to-end smoke test: the release bundle in dist/ mounts in headless Chromium with no console
// errors, and a screenshot of each theme lands in e2e/out/ (the README's screenshot comes from here);
// an internal error shows the crash banner.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { serveDir, launchChromium, watchErrors, check, summary, assert } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.argv[2] ?? join(here, '..', 'dist');
const out = join(here, 'out');
await mkdir(out, { recursive: true });

const server = await serveDir(dist);
const browser = await launchChromium();
try {
  for (const scheme of ['light', 'dark']) {
    await check(`app mounts with no console errors (${scheme})`, async () => {
      const page = await browser.newPage();
      await page.emulateMedia({ colorScheme: scheme });
      const errors = watchErrors(page);
      await page.goto(server.url, { waitUntil: 'load' });
      await page.waitForSelector('[data-testid=app]', { timeout: 15000 });
      const title = await page.locator('.brand-name').textContent();
      assert(title === 'Switchboard', `brand reads ${JSON.stringify(title)}`);
      const tabs = await page.locator('[role=tab]').allTextContents();
      assert(tabs.join('|') === 'Topology|Message log|Timeline|Metrics', `tabs are ${tabs.join('|')}`);
      const editor = await page.locator('textarea.code').inputValue();
      assert(editor.startsWith('scenario '), 'the editor holds a scenario');
      await page.screenshot({ path: join(out, `app-${scheme}.png`) });
      assert(errors.length === 0, `errors:\n${errors.join('\n')}`);
      await page.close();
    });
  }

  await check('tabs switch the view', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForSelector('[data-testid=app]');
    await page.click('#tab-timeline');
    assert((await page.getAttribute('#tab-timeline', 'aria-selected')) === 'true', 'timeline tab selected');
    assert(await page.locator('#view-timeline').isVisible(), 'timeline view shown');
    await page.close();
  });

  await check('narrow width stacks the panes', async () => {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(server.url);
    await page.waitForSelector('[data-testid=app]');
    const ed = await page.locator('.editor-pane').boundingBox();
    const views = await page.locator('.view-pane').boundingBox();
    assert(views.y >= ed.y + ed.height - 1, `views (y=${views.y}) sit below the editor (bottom=${ed.y + ed.height})`);
    await page.screenshot({ path: join(out, 'app-narrow.png'), fullPage: true });
    await page.close();
  });
  // A release-build panic is a bare wasm trap (`unreachable`): the page must say so instead of
  // freezing. The trap is raised from a timer here (a real one needs a bug); the listener sees
  // the same uncaught WebAssembly.RuntimeError either way. Other page errors are not crashes.
  await check('an internal error (wasm trap) shows a banner with a reload; other errors do not', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForSelector('[data-testid=app]');
    await page.evaluate(() => setTimeout(() => { throw new Error('some other script failed'); }));
    await page.evaluate(() => { Promise.reject(new Error('some other promise failed')); });
    await page.waitForTimeout(200);
    assert(!(await page.isVisible('[data-testid=crash]')), 'a plain Error showed the crash banner');
    // A trap in a promise (async work) counts too.
    await page.evaluate(() => { Promise.reject(new WebAssembly.RuntimeError('unreachable')); });
    await page.waitForSelector('[data-testid=crash]', { state: 'visible', timeout: 5000 });
    await page.reload();
    await page.waitForSelector('[data-testid=app]');
    assert(!(await page.isVisible('[data-testid=crash]')), 'hidden again after a reload');
    for (let i = 0; i < 2; i++) {
      await page.evaluate(() => setTimeout(() => { throw new WebAssembly.RuntimeError('unreachable'); }));
    }
    await page.waitForSelector('[data-testid=crash]', { state: 'visible', timeout: 5000 });
    assert((await page.locator('[data-testid=crash]').count()) === 1, 'one banner for two traps');
    const text = await page.textContent('[data-testid=crash]');
    assert(/internal error/.test(text) && /saved/.test(text), `banner text: ${text}`);
    await page.screenshot({ path: join(out, 'app-crash.png') });
    await Promise.all([page.waitForEvent('load'), page.click('[data-testid=crash] button')]);
    await page.waitForSelector('[data-testid=app]');
    assert(!(await page.isVisible('[data-testid=crash]')), 'the banner is gone after the reload');
    await page.close();
  });
} finally {
  await browser.close();
  await server.close();
}
summary('smoke');
