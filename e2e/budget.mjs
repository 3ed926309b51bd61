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
import { serveDir, launchChromium, assert, paintAndLazyRequest } from './lib.mjs';

const BUDGET_GZIP = 150 * 1024;
const here = dirname(fileURLToPath(import.meta.url));
const dist = process.argv[2] ?? join(here, '..', 'dist');

const server = await serveDir(dist);
const browser = await launchChromium();
let failed = false;
/** Raw and gzip -9 bytes of a served path. */
async function sizeOf(path) {
  const file = path.endsWith('/') ? join(dist, path, 'index.html') : join(dist, path);
  const body = await readFile(file).catch(() => null);
  return body ? { name: basename(file), raw: body.length, gz: gzipSync(body, { level: 9 }).length } : null;
}

/**
 * Loads `url` in a new page and returns when it painted first, what it requested before and
 * after that paint, and when the topology was drawn (each wait bounded, or it throws).
 */
async function visit(url) {
  const page = await browser.newPage();
  await page.route('**/*', (route) => route.continue({ headers: { ...route.request().headers(), 'cache-control': 'no-cache' } }));
  // When the topology is first drawn, to the frame.
  await page.addInitScript(() => {
    const tick = () => {
      if (document.querySelector('#view-topology svg')) window.__drawn = performance.now();
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('#view-topology svg', { timeout: 20000 });
  const { fcp, resources } = await paintAndLazyRequest(page);
  const seen = {
    fcp,
    before: [new URL(page.url()).pathname, ...resources.filter((r) => r.start < fcp).map((r) => r.path)],
    after: resources.filter((r) => r.start >= fcp).map((r) => r.path),
  };
  // The first render shows the text; the views fill in once the lazy half is in. When the
  // topology was drawn is reported beside the first paint.
  seen.drawn = await (await page.waitForFunction(() => window.__drawn, null, { timeout: 20000 })).jsonValue();
  const url2 = page.url();
  await page.close();
  let gz = 0;
  for (const path of new Set(seen.before)) gz += (await sizeOf(path))?.gz ?? 0;
  return { ...seen, gz, url: url2 };
}

const kb = (n) => (n / 1024).toFixed(1);
try {
  // Five loads of the default page (the first a first visit, the others return visits: the
  // browser keeps the saved draft), then a reload of the address bar the app wrote (this
  // browser's own link and view). Every one of them must stay within the budget.
  const loads = [];
  for (let i = 0; i < 5; i++) loads.push(await visit(server.url));
  assert(/#s=1\./.test(loads[4].url), `the app wrote no link into the address bar: ${loads[4].url}`);
  loads.push(await visit(loads[4].url));

  console.log('first-load files, first visit (raw / gzip -9):');
  let raw = 0;
  let gz = 0;
  for (const path of new Set(loads[0].before)) {
    const f = await sizeOf(path);
    if (!f) continue;
    raw += f.raw;
    gz += f.gz;
    console.log(`  ${f.name.padEnd(44)} ${String(f.raw).padStart(8)} B ${String(f.gz).padStart(8)} B`);
  }
  console.log(`  ${'total'.padEnd(44)} ${String(raw).padStart(8)} B ${String(gz).padStart(8)} B`);
  console.log('requested after the first paint (raw / gzip -9):');
  for (const path of new Set(loads[0].after)) {
    const f = await sizeOf(path);
    if (f) console.log(`  ${f.name.padEnd(44)} ${String(f.raw).padStart(8)} B ${String(f.gz).padStart(8)} B`);
  }
  console.log(`first load per visit (KB gzip): ${loads.map((l) => kb(l.gz)).join(', ')} (the last: a reload of the page's own link)`);
  const worst = Math.max(...loads.map((l) => l.gz));
  const paints = loads.slice(0, 5).map((l) => l.fcp).sort((a, b) => a - b);
  const drawn = loads.slice(0, 5).map((l) => l.drawn).sort((a, b) => a - b);
  console.log(`first contentful paint (ms, 5 loads): ${paints.map((p) => p.toFixed(0)).join(', ')}`);
  console.log(`topology drawn (ms, 5 loads): ${drawn.map((p) => p.toFixed(0)).join(', ')}`);
  failed = worst > BUDGET_GZIP;
  console.log(
    `e2e budget: first load ${kb(gz)} KB gzip (largest of ${loads.length} visits ${kb(worst)} KB); budget ${kb(BUDGET_GZIP)} KB ${failed ? 'EXCEEDED' : 'ok'}; ` +
      `first render median ${paints[2].toFixed(0)} ms (goal ≤ 500 ms); topology drawn median ${drawn[2].toFixed(0)} ms`,
  );
} finally {
  await browser.close();
  await server.close();
}
process.exitCode = failed ? 1 : 0;
