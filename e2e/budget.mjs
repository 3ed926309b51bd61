// Budgets for the release bundle in dist/:
// - first-load bytes: every response the default page requests before its first contentful
//   paint, raw and gzip -9; fails past 150 KB gzip. The release wasm is split
//   (scripts/split.mjs): the half the first render does not run is requested after the first
//   paint, and is listed apart;
// - first render: first-contentful-paint on 127.0.0.1 in headless Chromium, median of 5 loads,
//   and when the topology is drawn (the run opens once the lazy half is in); reported, not
//   asserted: timing on a shared 2-core machine is noisy.
import { gzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join, basename } from 'node:path';
import { serveDir, launchChromium } from './lib.mjs';

const BUDGET_GZIP = 150 * 1024;
const here = dirname(fileURLToPath(import.meta.url));
const dist = process.argv[2] ?? join(here, '..', 'dist');

const server = await serveDir(dist);
const browser = await launchChromium();
let failed = false;
try {
  const paints = [];
  const viewsReady = [];
  let fetched = null;
  let after = null;
  for (let i = 0; i < 5; i++) {
    const page = await browser.newPage();
    await page.route('**/*', (route) => route.continue({ headers: { ...route.request().headers(), 'cache-control': 'no-cache' } }));
    // The default page, no query: a query or fragment makes the page fetch both wasm halves up front.
    await page.goto(server.url, { waitUntil: 'load' });
    await page.waitForSelector('[data-testid=app]', { timeout: 15000 });
    // What the page requested before its first contentful paint is the first load; what it
    // requested later (the lazy half of the wasm, fetched after the first paint) is reported apart.
    const seen = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const done = () => {
            const e = performance.getEntriesByName('first-contentful-paint')[0];
            const lazy = performance.getEntriesByType('resource').some((r) => r.name.endsWith('_lazy.wasm'));
            if (e && lazy) {
              const resources = performance.getEntriesByType('resource');
              resolve({
                fcp: e.startTime,
                before: [location.pathname, ...resources.filter((r) => r.startTime < e.startTime).map((r) => new URL(r.name).pathname)],
                after: resources.filter((r) => r.startTime >= e.startTime).map((r) => new URL(r.name).pathname),
              });
            } else setTimeout(done, 20);
          };
          done();
        }),
    );
    // The first render shows the text; the views fill in once the lazy half is in. When that
    // happened is reported beside the first paint.
    const ready = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const done = () => {
            if (document.querySelector('#view-topology svg')) resolve(performance.now());
            else requestAnimationFrame(done);
          };
          done();
        }),
    );
    viewsReady.push(ready);
    paints.push(seen.fcp);
    fetched ??= seen.before;
    after ??= seen.after;
    await page.close();
  }

  // Sizes of everything the first load fetched, measured from the files served.
  let raw = 0;
  let gz = 0;
  console.log('first-load files (raw / gzip -9):');
  for (const path of [...new Set(fetched)]) {
    const file = path.endsWith('/') ? join(dist, path, 'index.html') : join(dist, path);
    const body = await readFile(file).catch(() => null);
    if (!body) continue;
    const g = gzipSync(body, { level: 9 }).length;
    raw += body.length;
    gz += g;
    console.log(`  ${basename(file).padEnd(44)} ${String(body.length).padStart(8)} B ${String(g).padStart(8)} B`);
  }
  console.log(`  ${'total'.padEnd(44)} ${String(raw).padStart(8)} B ${String(gz).padStart(8)} B`);
  console.log('fetched after the first paint (raw / gzip -9):');
  for (const path of [...new Set(after)]) {
    const body = await readFile(join(dist, path)).catch(() => null);
    if (!body) continue;
    console.log(`  ${basename(path).padEnd(44)} ${String(body.length).padStart(8)} B ${String(gzipSync(body, { level: 9 }).length).padStart(8)} B`);
  }
  paints.sort((a, b) => a - b);
  const median = paints[2];
  console.log(`first contentful paint (ms, 5 loads): ${paints.map((p) => p.toFixed(0)).join(', ')}`);
  viewsReady.sort((a, b) => a - b);
  console.log(`topology drawn (ms, 5 loads): ${viewsReady.map((p) => p.toFixed(0)).join(', ')}; median ${viewsReady[2].toFixed(0)}`);
  failed = gz > BUDGET_GZIP;
  const kb = (n) => (n / 1024).toFixed(1);
  console.log(
    `e2e budget: first load ${kb(gz)} KB gzip; budget ${kb(BUDGET_GZIP)} KB ${failed ? 'EXCEEDED' : 'ok'}; ` +
      `first render median ${median.toFixed(0)} ms (goal ≤ 500 ms); topology drawn median ${viewsReady[2].toFixed(0)} ms`,
  );
} finally {
  await browser.close();
  await server.close();
}
process.exitCode = failed ? 1 : 0;
