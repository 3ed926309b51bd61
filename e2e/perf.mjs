// Performance report (reports, does not assert timing): plays a scenario of ~1,000 messages per
// simulated second at 1× until 100k+ messages are retained, then keeps playing while each view is
// shown, recording the longest animation frame (rAF deltas), the longest task (Performance API
// `longtask` entries) and the most message-log rows ever present in the DOM.
// Prints one line: `e2e perf: …`. Fails (exit 1) on any console error or page error.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { serveDir, launchChromium, watchErrors } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.argv[2] ?? join(here, '..', 'dist');
const TARGET = Number(process.env.PERF_MESSAGES ?? 100_000);
const SECONDS_PER_VIEW = Number(process.env.PERF_SECONDS ?? 5);

// 250 requests/s, each four network messages (client → api → backend and back): 1,000 msg/s.
const SCENARIO = `scenario "perf" seed 1 duration 1000s

network latency 1ms..3ms

service api workers 32 time 2ms
service backend workers 32 time exp(3ms)

client load rate 250/s poisson -> api GET /work timeout 1s

api GET /work:
  work
  call backend GET /data timeout 500ms
  reply 200

backend GET /data:
  work
  reply 200
`;

const server = await serveDir(dist);
const browser = await launchChromium();
const page = await browser.newPage();
const errors = watchErrors(page);
let line = 'e2e perf: did not finish';
try {
  await page.goto(server.url, { waitUntil: 'load' });
  await page.waitForSelector('[data-testid=topology] .node', { timeout: 15000 });
  // Time from navigation start until the default scenario's topology is on screen.
  const firstRender = await page.evaluate(() => performance.now());
  // Frame and DOM probes, running in the page for the whole session.
  await page.evaluate(() => {
    const p = (window.__perf = { phase: 'setup', frames: {}, rows: 0, tasks: {} });
    let last = performance.now();
    const tick = (t) => {
      const d = t - last;
      last = t;
      const f = (p.frames[p.phase] ??= { max: 0, n: 0, over50: 0, sum: 0 });
      f.max = Math.max(f.max, d);
      f.n += 1;
      f.sum += d;
      if (d > 50) f.over50 += 1;
      p.rows = Math.max(p.rows, document.querySelectorAll('.log-rows .log-row').length);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          p.tasks[p.phase] = Math.max(p.tasks[p.phase] ?? 0, e.duration);
        }
      }).observe({ type: 'longtask', buffered: false });
    } catch {}
  });
  const phase = (name) => page.evaluate((name) => (window.__perf.phase = name), name);
  const speed = async (label) => {
    const i = await page.$$eval('[data-testid=speed] option', (os, l) => os.findIndex((o) => o.textContent === l), label);
    await page.selectOption('[data-testid=speed]', String(i));
  };
  const messages = () =>
    page.evaluate(() => {
      const m = /([\d\u202f]+) messages/.exec(document.querySelector('[data-testid=status]').textContent);
      return m ? Number(m[1].replace(/\u202f/g, '')) : 0;
    });

  await page.fill('textarea.code', SCENARIO);
  await page.click('[data-testid=apply]');
  await page.click('#tab-log');
  // Fill: play fast until the trace holds TARGET log messages (work spans are extra records).
  await phase('fill');
  await speed('100×');
  await page.click('[data-testid=play]');
  const t0 = Date.now();
  for (;;) {
    const total = Number(await page.getAttribute('[data-testid=log-count]', 'data-total'));
    if (total >= TARGET) break;
    if (Date.now() - t0 > 180_000) throw new Error(`only ${total} messages after 3 minutes`);
    await page.waitForTimeout(250);
  }
  // Steady state: 1,000 messages per second of wall time, each view in turn.
  await speed('1×');
  const views = ['log', 'timeline', 'topology', 'metrics'];
  for (const v of views) {
    await page.click(`#tab-${v}`);
    await page.waitForTimeout(300);
    await phase(v);
    await page.waitForTimeout(SECONDS_PER_VIEW * 1000);
  }
  await phase('done');
  const total = Number(await (async () => {
    await page.click('#tab-log');
    return page.getAttribute('[data-testid=log-count]', 'data-total');
  })());
  const records = await messages();
  const p = await page.evaluate(() => window.__perf);
  const ms = (x) => (x === undefined ? 'n/a' : `${x.toFixed(1)} ms`);
  const steady = Math.max(...views.map((v) => p.frames[v]?.max ?? 0));
  const per = views.map((v) => `${v} ${ms(p.frames[v]?.max)}`).join(', ');
  const mean = (f) => (f ? `${(f.sum / f.n).toFixed(1)} ms` : 'n/a');
  const tasks = views.map((v) => p.tasks[v] ?? 0);
  line =
    `e2e perf: first render ${firstRender.toFixed(0)} ms; ${total} messages retained (${records} trace records); playing at 1,000 msg/s: ` +
    `longest frame ${ms(steady)} (${per}; mean ${views.map((v) => mean(p.frames[v])).join('/')}), ` +
    `frames over 50 ms ${views.reduce((a, v) => a + (p.frames[v]?.over50 ?? 0), 0)}, ` +
    `longest task ${ms(Math.max(...tasks))}; ` +
    `fill at 100× longest frame ${ms(p.frames.fill?.max)}; ` +
    `max log rows in DOM ${p.rows}; console errors ${errors.length}`;
} finally {
  console.log(line);
  await browser.close();
  await server.close();
}
// The figures are a report; a console error or page error while playing is a failure.
if (errors.length > 0) {
  console.log(`FAIL perf: ${errors.length} console errors while playing:\n  ${errors.join('\n  ')}`);
  process.exitCode = 1;
}
