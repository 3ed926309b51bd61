// The README's first command, end to end: scripts/serve.sh builds, splits and serves the
// playground; given its URL, this checks the default page boots to its topology and plays, with
// no page error. (scripts/test.sh starts serve.sh on a spare port and stops it afterwards.)
import { launchChromium, watchErrors, check, summary, assert } from './lib.mjs';

const url = process.argv[2];
const browser = await launchChromium();
try {
  await check(`${url} boots to its topology and plays`, async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(url);
    await page.waitForSelector('#view-topology svg', { timeout: 20000 });
    await page.click('[data-testid=play]');
    await page.waitForFunction(() => /Playing/.test(document.body.textContent), null, { timeout: 5000 });
    const lazy = await page.evaluate(() => performance.getEntriesByType('resource').filter((r) => r.name.endsWith('_lazy.wasm')).length);
    assert(lazy === 1, `the lazy half was requested ${lazy} times`);
    // Trunk's live-reload socket, injected when serving, is Trunk's own business.
    const own = errors.filter((e) => !e.includes('.well-known/trunk/ws'));
    assert(own.length === 0, own.join('\n'));
    await page.close();
  });
} finally {
  await browser.close();
}
summary('served');
