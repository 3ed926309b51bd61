// The release wasm is split in two (scripts/split.mjs): the first load carries what the first
// render runs, and the lazy half follows the first paint. These checks hold the loader to that:
// - the default page requests the lazy half only after its first contentful paint;
// - a link or embed (fragment or query) requests both halves before the app starts, and still
//   opens its own scenario when that first request fails;
// - code from the lazy half needed before it arrives is loaded on the spot, and works;
// - a lazy half that cannot be loaded at all shows the crash banner, asks the server once, and
//   the text typed before it stays saved;
// - the full app framed by another site (a host page on 127.0.0.1 framing the app from
//   localhost, served by a tiny server here) finishes loading.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { serveDir, launchChromium, watchErrors, check, summary, assert, paintAndLazyRequest } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.argv[2] ?? join(here, '..', 'dist');
const LAZY = '**/*_lazy.wasm';

const server = await serveDir(dist);
const browser = await launchChromium();

/** The first contentful paint and the requests for the lazy half, as [initiator, start]. */
async function lazyTimings(page) {
  const { fcp, resources } = await paintAndLazyRequest(page);
  return { fcp, lazy: resources.filter((r) => r.path.endsWith('_lazy.wasm')).map((r) => [r.type, r.start]) };
}

/** A share link of the retry-storm scenario as someone else's browser would open it, and its text. */
async function foreignLink() {
  const page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForSelector('#view-topology svg');
  await page.waitForFunction(() => location.hash.startsWith('#s=1.'));
  const before = await page.evaluate(() => location.hash);
  await page.selectOption('[data-testid=gallery]', 'retry-storm');
  await page.waitForFunction((h) => location.hash.startsWith('#s=1.') && location.hash !== h, before);
  await page.waitForTimeout(300);
  const link = page.url();
  const text = await page.inputValue('textarea.code');
  // Forget it was this browser's: the link is now someone else's.
  await page.evaluate(() => localStorage.clear());
  await page.close();
  return { link, text };
}

try {
  await check('the default page requests the lazy half after its first contentful paint', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(server.url);
    await page.waitForSelector('[data-testid=app]');
    const { fcp, lazy } = await lazyTimings(page);
    assert(lazy.length === 1, `requested ${lazy.length} times: ${JSON.stringify(lazy)}`);
    assert(lazy[0][0] === 'fetch' && lazy[0][1] >= fcp, `lazy half at ${lazy[0][1].toFixed(0)} ms by ${lazy[0][0]}, first paint at ${fcp.toFixed(0)} ms`);
    // Once it is there, every view works with no further request.
    for (const tab of ['timeline', 'metrics', 'log', 'topology']) await page.click(`#tab-${tab}`);
    await page.click('[data-testid=play]').catch(() => {});
    await page.waitForTimeout(300);
    const again = await page.evaluate(() => performance.getEntriesByType('resource').filter((r) => r.name.endsWith('_lazy.wasm')).length);
    assert(again === 1, `the lazy half was requested ${again} times`);
    assert(errors.length === 0, errors.join('\n'));
    console.log(`     first paint ${fcp.toFixed(0)} ms, lazy half requested at ${lazy[0][1].toFixed(0)} ms`);
    await page.close();
  });

  await check("someone else's link and an embed request both halves before the app starts", async () => {
    const { link, text } = await foreignLink();
    for (const url of [link, `${server.url}?embed=1&view=timeline`]) {
      const page = await browser.newPage();
      const errors = watchErrors(page);
      await page.goto(url);
      await page.waitForSelector('[data-testid=app]');
      const { fcp, lazy } = await lazyTimings(page);
      assert(lazy.length === 1 && lazy[0][0] === 'fetch' && lazy[0][1] < fcp, `${url.slice(-30)}: lazy requests ${JSON.stringify(lazy)}, first paint at ${fcp.toFixed(0)} ms`);
      if (url === link) assert((await page.inputValue('textarea.code')) === text, 'the link opened another text');
      assert(errors.length === 0, errors.join('\n'));
      await page.close();
    }
  });

  await check("a reload of one's own link, or query options, boot from the first half", async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForSelector('#view-topology svg');
    await page.click('#tab-log');
    await page.waitForFunction(() => location.hash.startsWith('#s=1.') && location.search.includes('view=log'));
    for (let i = 0; i < 2; i++) {
      await page.reload();
      await page.waitForSelector('[data-testid=app]');
      const { fcp, lazy } = await lazyTimings(page);
      assert(lazy.length === 1 && lazy[0][1] >= fcp, `reload ${i + 1}: lazy requests ${JSON.stringify(lazy)}, first paint at ${fcp.toFixed(0)} ms`);
      await page.waitForSelector('#view-log [data-testid=log]', { timeout: 10000 });
    }
    // The other query options a page may boot with.
    await page.goto(`${server.url}?t=1s&autoplay=0&controls=1&speed=2`);
    await page.waitForSelector('[data-testid=app]');
    const { fcp, lazy } = await lazyTimings(page);
    assert(lazy.length === 1 && lazy[0][0] === 'fetch' && lazy[0][1] >= fcp, `?t=…: lazy requests ${JSON.stringify(lazy)}, first paint at ${fcp.toFixed(0)} ms`);
    await page.close();
  });

  await check('a link whose first request for the lazy half fails still opens its own scenario', async () => {
    const { link, text } = await foreignLink();
    const again = await browser.newPage();
    const errors = watchErrors(again);
    let failed = 0;
    await again.route(LAZY, (route) => (failed++ === 0 ? route.abort() : route.continue()));
    await again.goto(link);
    await again.waitForSelector('#view-topology svg', { timeout: 10000 });
    assert((await again.inputValue('textarea.code')) === text, 'the editor does not hold the link\'s scenario');
    assert(again.url() === link, `the address bar lost the link: ${again.url().slice(0, 80)}`);
    assert(failed >= 2, `the lazy half was requested ${failed} times`);
    // The failed first request logs a network error and one warning; nothing else.
    const other = errors.filter((e) => !/Failed to load resource/.test(e));
    assert(other.length === 0, other.join('\n'));
    await again.close();
  });

  await check('code from the lazy half needed before it arrives loads on the spot', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    const seen = [];
    // Hold the after-paint fetch back for 10 s; let anything else through at once.
    await page.route(LAZY, async (route) => {
      seen.push(route.request().resourceType());
      if (route.request().resourceType() === 'fetch') await new Promise((ok) => setTimeout(ok, 10000));
      await route.continue().catch(() => {});
    });
    await page.goto(server.url);
    await page.waitForSelector('[data-testid=app]');
    await page.waitForTimeout(300);
    // Tabs work on the first half while loading ("Starting…" in each)...
    await page.click('#tab-timeline');
    assert(!seen.includes('xhr'), 'a tab switch while loading needed the lazy half');
    // ...and Apply compiles, which is lazy-half code: it is loaded on the spot and the run opens.
    const t0 = Date.now();
    await page.click('[data-testid=apply]');
    await page.waitForSelector('#view-timeline canvas', { timeout: 5000 });
    const took = Date.now() - t0;
    assert(seen.includes('xhr'), `requests for the lazy half: ${seen.join(', ')}`);
    await page.click('#tab-metrics');
    await page.waitForSelector('#view-metrics', { timeout: 5000 });
    assert(errors.length === 0, errors.join('\n'));
    console.log(`     timeline drawn ${took} ms after Apply (lazy half loaded synchronously)`);
    await page.close();
  });

  await check('the full app framed by another site finishes loading', async () => {
    // 127.0.0.1 and localhost are different sites: Chromium runs the frame in a process of its
    // own, where the lazy half can be in before the app listens for it. The host page is served
    // on 127.0.0.1 by its own server; the frame comes from the bundle's server as localhost.
    const app = `http://localhost:${new URL(server.url).port}/`;
    const host = createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>host</title><iframe id="app" src="${app}" width="1100" height="700"></iframe>`);
    });
    await new Promise((ok) => host.listen(0, '127.0.0.1', ok));
    try {
      for (let i = 1; i <= 3; i++) {
        const page = await browser.newPage();
        const errors = watchErrors(page);
        await page.goto(`http://127.0.0.1:${host.address().port}/`);
        const frame = await (await page.waitForSelector('iframe#app')).contentFrame();
        await frame.waitForSelector('[data-testid=app]');
        const drawn = await frame
          .waitForSelector('#view-topology [data-testid=topology] .node', { timeout: 15000 })
          .then(() => true, () => false);
        const status = await frame.textContent('[data-testid=status]').catch(() => '?');
        assert(drawn, `load ${i}: the framed app is still at "${status}" after 15 s`);
        assert(errors.length === 0, errors.join('\n'));
        await page.close();
      }
    } finally {
      await new Promise((ok) => host.close(ok));
    }
  });

  await check('a first render that needs a lazy half that cannot load shows the crash banner', async () => {
    // An embed renders a frame the first half does not hold; with the lazy half refused, that
    // first render traps. The page must say so rather than stay blank.
    const page = await browser.newPage();
    await page.route(LAZY, (route) => route.abort());
    await page.goto(`${server.url}?embed=1&view=log`);
    await page.waitForSelector('[data-testid=crash]', { state: 'visible', timeout: 10000 });
    await page.close();
  });

  await check('a lazy half that cannot load shows the crash banner; typed text stays saved', async () => {
    const page = await browser.newPage();
    const requests = [];
    await page.route(LAZY, (route) => {
      requests.push(route.request().resourceType());
      return route.abort();
    });
    await page.goto(server.url);
    await page.waitForSelector('[data-testid=app]');
    // The after-paint fetch fails, one synchronous try fails: the banner shows by itself.
    await page.waitForSelector('[data-testid=crash]', { state: 'visible', timeout: 5000 });
    assert(requests.join() === 'fetch,xhr', `requests for the lazy half: ${requests.join(', ')}`);
    // Typing at the end of the text runs on the first-load half alone (the build's profile types),
    // so it is still saved.
    await page.click('textarea.code');
    await page.keyboard.press('Control+End');
    await page.keyboard.type(' # kept through the crash');
    await page.waitForTimeout(300);
    // Apply needs the lazy half: it fails at once, without asking the server again.
    await page.click('[data-testid=apply]', { force: true });
    await page.waitForTimeout(300);
    assert(requests.length === 2, `after the failure the page asked for the lazy half ${requests.length - 2} more times`);
    await page.unroute(LAZY);
    await page.reload();
    await page.waitForSelector('#view-topology svg', { timeout: 10000 });
    const text = await page.inputValue('textarea.code');
    assert(text.includes('# kept through the crash'), `the reloaded editor lost the typed line: ${text.slice(-80)}`);
    await page.close();
  });
} finally {
  await browser.close();
  await server.close();
}
summary('lazy');
