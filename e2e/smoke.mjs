// End-to-end smoke test: the release bundle in dist/ mounts in headless Chromium with no console
// errors, and a screenshot of each theme lands in e2e/out/ (the README's screenshot comes from here).
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
} finally {
  await browser.close();
  await server.close();
}
summary('smoke');
