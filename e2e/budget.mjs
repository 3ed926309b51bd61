// Budgets for the release bundle in dist/:
// - first-load bytes: every response the first load fetches, raw and gzip -9. The product goal is
//   150 KB gzip; today's bundle is over it, so the hard failure is a ceiling just above today's
//   size (CEILING_KB, lowered as the bundle shrinks) that stops it growing unnoticed, and the
//   goal is reported beside it;
// - first render: first-contentful-paint on 127.0.0.1 in headless Chromium, median of 5 loads
//   (reported, not asserted: timing on a shared 2-core machine is noisy).
import { gzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join, basename } from 'node:path';
import { serveDir, launchChromium } from './lib.mjs';

const GOAL_GZIP = 150 * 1024;
// Raised from 290 to 298 KB for the views' 10,000-node handling (windowed topology with Find,
// scrolling timeline lanes, the log's bounded node filter): about 15 KB gzip.
const CEILING_GZIP = Number(process.env.CEILING_KB ?? 298) * 1024;
const here = dirname(fileURLToPath(import.meta.url));
const dist = process.argv[2] ?? join(here, '..', 'dist');

const server = await serveDir(dist);
const browser = await launchChromium();
let failed = false;
try {
  const paints = [];
  let fetched = null;
  for (let i = 0; i < 5; i++) {
    const page = await browser.newPage();
    const urls = [];
    page.on('request', (req) => urls.push({ url: req.url(), at: Date.now() }));
    await page.route('**/*', (route) => route.continue({ headers: { ...route.request().headers(), 'cache-control': 'no-cache' } }));
    await page.goto(`${server.url}?budget=${i}`, { waitUntil: 'load' });
    await page.waitForSelector('[data-testid=app]', { timeout: 15000 });
    const fcp = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const done = () => {
            const e = performance.getEntriesByName('first-contentful-paint')[0];
            if (e) resolve(e.startTime);
            else requestAnimationFrame(done);
          };
          done();
        }),
    );
    paints.push(fcp);
    fetched ??= urls.map((u) => new URL(u.url).pathname);
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
  paints.sort((a, b) => a - b);
  const median = paints[2];
  console.log(`first contentful paint (ms, 5 loads): ${paints.map((p) => p.toFixed(0)).join(', ')}`);
  failed = gz > CEILING_GZIP;
  const kb = (n) => (n / 1024).toFixed(1);
  console.log(
    `e2e budget: first load ${kb(gz)} KB gzip; ceiling ${kb(CEILING_GZIP)} KB ${failed ? 'EXCEEDED' : 'ok'}; ` +
      `goal ${kb(GOAL_GZIP)} KB ${gz > GOAL_GZIP ? 'not met' : 'met'}; first render median ${median.toFixed(0)} ms (goal ≤ 500 ms)`,
  );
} finally {
  await browser.close();
  await server.close();
}
process.exitCode = failed ? 1 : 0;
