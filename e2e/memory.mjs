// Trace memory in the browser: a scenario of about one million messages (1.5M trace records) runs
// to its end in the release bundle, then the page's memory is read — the wasm linear memory
// (which holds the trace and its indexes) plus the JS heap (Chrome DevTools Protocol) — and must
// stay under 256 MB. Prints bytes per retained record. Byte counts are deterministic enough to
// fail on; the wall time is only reported.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { serveDir, launchChromium, watchErrors, check, summary, assert } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const dist = process.argv[2] ?? join(root, 'dist');
const LIMIT_MB = 256;

// 5,000 requests/s for 100 s: each a request and a reply, about 1.0M messages.
const scenario = `scenario "million messages" seed 1 duration 100s

service api workers 64 time 1ms

client load rate 5000/s poisson -> api GET /x

api GET /x:
  work
  reply 200
`;
const fragment = execFileSync(
  'cargo',
  ['run', '--quiet', '--locked', '--bin', 'switchboard-cli', '--', 'link', '-'],
  { cwd: root, input: scenario, encoding: 'utf8' },
).trim();

const server = await serveDir(dist);
const browser = await launchChromium();
const page = await browser.newPage();
const errors = watchErrors(page);
// Trunk's loader announces the wasm instance; keep it to read its linear memory.
await page.addInitScript(() => {
  addEventListener('TrunkApplicationStarted', (e) => { window.__wasm = e.detail.wasm; });
});
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
const jsHeap = async () => {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'JSHeapUsedSize').value;
};
const wasmBytes = () => page.evaluate(() => window.__wasm.memory.buffer.byteLength);
const MB = (b) => (b / 1048576).toFixed(1);

try {
  await check(`a 1M-message run stays under ${LIMIT_MB} MB`, async () => {
    await page.goto(`${server.url}?readonly=1#${fragment}`, { waitUntil: 'load' });
    await page.waitForSelector('[data-testid=topology] .node', { timeout: 20000 });
    const before = await wasmBytes();
    const t0 = Date.now();
    await page.click('[data-testid=run-to-end]');
    await page.waitForFunction(() => document.querySelector('[data-testid=status]')?.textContent.startsWith('Finished'), null, { timeout: 300000 });
    const wall = (Date.now() - t0) / 1000;
    // Let the views settle (the log and charts index lazily), then collect garbage and measure.
    await page.click('[role=tab]:has-text("Message log")');
    await page.waitForTimeout(500);
    await cdp.send('HeapProfiler.collectGarbage');
    const status = await page.textContent('[data-testid=status]');
    const records = Number(status.match(/· ([\d\s\u202f\u00a0,]+) messages/)[1].replace(/\D/g, ''));
    const wasm = await wasmBytes();
    const heap = await jsHeap();
    const total = wasm + heap;
    console.log(`     ${records} trace records in ${wall.toFixed(1)} s wall`);
    console.log(`     wasm memory ${MB(wasm)} MB (${MB(before)} MB before the run), JS heap ${MB(heap)} MB, total ${MB(total)} MB`);
    console.log(`     ${((wasm - before) / records).toFixed(1)} bytes of wasm memory per retained record`);
    assert(records >= 1_000_000, `records: ${records}`);
    assert(total < LIMIT_MB * 1048576, `total ${MB(total)} MB ≥ ${LIMIT_MB} MB`);
  });

  await check('no console errors', async () => {
    assert(errors.length === 0, errors.join('\n'));
  });
} finally {
  await browser.close();
  await server.close();
}
summary('memory');
