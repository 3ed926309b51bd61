// End-to-end test of the postMessage API (docs/embedding.md) against the release bundle: a host
// page frames the app and drives it. Commands play, pause, step, seek (forward and back), setSpeed
// and load do what they say; events ready, tick, finished and error arrive with the documented
// fields; messages of the wrong shape, and messages from any window but the parent (the frame
// itself, a sibling frame of the same origin, a frame of another origin), change nothing, and the
// frame warns about them on its console exactly once. `speed=2` and setSpeed are checked by how
// fast simulated time moves against wall time.
import { mkdtemp, cp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { serveDir, launchChromium, watchErrors, check, summary, assert, RETRY_STORM } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const dist = process.argv[2] ?? join(root, 'dist');

const cli = (...args) =>
  execFileSync('cargo', ['run', '--quiet', '--locked', '--bin', 'switchboard-cli', '--', ...args], {
    cwd: root,
    encoding: 'utf8',
  }).trim();
const fanout = cli('link', 'gallery:pubsub-fanout');
const burst = cli('link', 'gallery:queue-burst');
// The retry storm (lib.mjs): simulating 1,000 s of it fills the page's 3M-record trace (several
// seconds of work), so a seek there must not happen in one frame.
const stormFile = join(await mkdtemp(join(tmpdir(), 'switchboard-storm-')), 'storm.sb');
await writeFile(stormFile, RETRY_STORM);
const storm = cli('link', stormFile);

// Another origin (another port): a page there, framed by the host next to the app, tries to
// drive the app through `parent.frames[0]`.
const elsewhere = await mkdtemp(join(tmpdir(), 'switchboard-elsewhere-'));
await writeFile(join(elsewhere, 'other.html'), '<!doctype html><title>other origin</title>');
const other = await serveDir(elsewhere);

// The host page: the app's frame (at speed 2), a sibling frame of the same origin and one of
// another origin; every event the app posts is kept in `window.got`, with its arrival time.
const site = await mkdtemp(join(tmpdir(), 'switchboard-host-'));
await cp(dist, site, { recursive: true });
await writeFile(join(site, 'sibling.html'), '<!doctype html><title>sibling</title>');
await writeFile(
  join(site, 'host.html'),
  `<!doctype html><meta charset="utf-8"><title>host</title><link rel="icon" href="data:,">
<iframe id="sb" width="900" height="500" src="/?embed=1&amp;view=log&amp;speed=2#${fanout}"></iframe>
<iframe id="sibling" width="10" height="10" src="/sibling.html"></iframe>
<iframe id="other" width="10" height="10" src="${other.url}other.html"></iframe>
<script>
  window.got = [];
  const frame = document.getElementById('sb');
  window.send = (msg) => frame.contentWindow.postMessage(msg, location.origin);
  window.addEventListener('message', (e) => {
    if (e.source === frame.contentWindow) window.got.push({ ...e.data, at: performance.now() });
  });
</script>`,
);

const server = await serveDir(site);
const browser = await launchChromium();
const page = await browser.newPage();
const errors = watchErrors(page);
const warnings = [];
page.on('console', (m) => {
  if (m.type() === 'warning' && m.text().includes('Switchboard ignored')) warnings.push(m.text());
});

const got = () => page.evaluate(() => window.got);
const of = async (type) => (await got()).filter((e) => e.type === type);
const last = async (type) => (await of(type)).at(-1);
const send = (msg) => page.evaluate((m) => window.send(m), msg);
const clear = () => page.evaluate(() => { window.got = []; });
const frame = () => page.frames().find((f) => f.url().includes('embed=1'));
const sibling = () => page.frames().find((f) => f.url().endsWith('/sibling.html'));
const stranger = () => page.frames().find((f) => f.url().endsWith('/other.html'));
const pressed = async () => (await frame().getAttribute('[data-testid=play]', 'aria-pressed')) === 'true';
/** Waits until an event of `type` that satisfies `ok` has arrived; returns it. */
async function until(type, ok = () => true, timeout = 10000) {
  const t0 = Date.now();
  for (;;) {
    const e = (await of(type)).find(ok);
    if (e) return e;
    if (Date.now() - t0 > timeout) throw new Error(`no ${type} event; got ${JSON.stringify((await got()).slice(-5))}`);
    await page.waitForTimeout(50);
  }
}

try {
  await page.goto(`${server.url}host.html`, { waitUntil: 'load' });

  await check('ready arrives once the run is built, with t and duration', async () => {
    const ready = await until('ready');
    assert(ready.source === 'switchboard', `source: ${ready.source}`);
    assert(ready.t === 0 && ready.duration > 0, JSON.stringify(ready));
    const tick = await until('tick');
    assert(tick.t === 0 && tick.events === 0, JSON.stringify(tick));
    assert(!(await pressed()), 'paused until told to play');
  });

  await check('play starts ticks; pause stops them', async () => {
    await clear();
    await send({ type: 'play' });
    await until('tick', (e) => e.t > 0 && e.events > 0);
    assert(await pressed(), 'the frame shows playing');
    await send({ type: 'pause' });
    // Wait for the pause to take effect (the frame shows it), then for its last posted tick;
    // only the absence of events after that needs a window of time.
    await frame().waitForSelector('[data-testid=play][aria-pressed=false]', { timeout: 5000 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const n = (await got()).length;
    await page.waitForTimeout(500);
    assert((await got()).length === n, 'no events while paused');
    assert(!(await pressed()), 'the frame shows paused');
  });

  await check('step processes exactly one event', async () => {
    const before = (await last('tick')).events;
    await clear();
    await send({ type: 'step' });
    const t = await until('tick');
    assert(t.events === before + 1, `${before} → ${t.events}`);
  });

  await check('seek forward, then back: the same time gives the same event count', async () => {
    await clear();
    await send({ type: 'seek', t: 0 });
    await until('tick', (e) => e.t === 0 && e.events === 0);
    await send({ type: 'seek', t: '2s' });
    const at2 = await until('tick', (e) => e.t === 2000);
    await send({ type: 'seek', t: 5000 });
    const at5 = await until('tick', (e) => e.t === 5000);
    assert(at5.events > at2.events, `${at2.events} then ${at5.events}`);
    await clear();
    await send({ type: 'seek', t: 2000 });
    const back = await until('tick', (e) => e.t === 2000);
    assert(back.events === at2.events, `replayed to 2 s: ${back.events} events, first time ${at2.events}`);
    assert(!(await pressed()), 'seek leaves the run paused');
  });

  await check('speed=2, then setSpeed 8: simulated time moves that many times as fast as wall time', async () => {
    await send({ type: 'seek', t: 0 });
    await until('tick', (e) => e.t === 0);
    // Simulated ms per wall ms over 1.5 s of play, from the ticks' times and arrival times.
    const rate = async () => {
      await clear();
      await send({ type: 'play' });
      await page.waitForTimeout(400);
      const a = await last('tick');
      await page.waitForTimeout(1500);
      const b = await last('tick');
      await send({ type: 'pause' });
      return (b.t - a.t) / (b.at - a.at);
    };
    const r2 = await rate();
    assert(r2 > 1.3 && r2 < 2.6, `speed=2 plays ${r2.toFixed(2)} simulated ms per wall ms`);
    await send({ type: 'setSpeed', x: 8 });
    await frame().waitForFunction(() => document.querySelector('[data-testid=app]')?.dataset.speed === '8');
    const r8 = await rate();
    assert(r8 > 5.2 && r8 < 10.4, `setSpeed 8 plays ${r8.toFixed(2)} simulated ms per wall ms`);
    console.log(`     simulated ms per wall ms: ${r2.toFixed(2)} at speed 2, ${r8.toFixed(2)} at speed 8`);
    await send({ type: 'seek', t: 0 });
    await until('tick', (e) => e.t === 0);
  });

  await check('setSpeed changes the frame\'s speed', async () => {
    await send({ type: 'setSpeed', x: 4 });
    await frame().waitForFunction(() => document.querySelector('[data-testid=app]')?.dataset.speed === '4');
    await send({ type: 'setSpeed', x: 1e6 });
    await frame().waitForFunction(() => document.querySelector('[data-testid=app]')?.dataset.speed === '1000');
  });

  await check('seek past the end: finished, with its reason', async () => {
    await clear();
    await send({ type: 'seek', t: 1e12 });
    const f = await until('finished');
    assert(['finished', 'idle'].includes(f.reason), JSON.stringify(f));
    assert(f.events > 0 && f.t > 0, JSON.stringify(f));
  });

  await check('load opens another scenario: ready again, and the frame links to it', async () => {
    await clear();
    await send({ type: 'load', fragment: `#${burst}` });
    const ready = await until('ready');
    assert(ready.t === 0, JSON.stringify(ready));
    await frame().waitForFunction((f) => location.hash === `#${f}`, burst);
    const href = await frame().getAttribute('[data-testid=open-full]', 'href');
    assert(href.endsWith(`#${burst}`), `open-full → …${href.slice(-24)}`);
  });

  await check('a bad load sends error, shows the banner and keeps the run', async () => {
    await clear();
    await send({ type: 'load', fragment: 's=1.this-is-not-a-link' });
    const e = await until('error');
    assert(/could not be opened/.test(e.message), e.message);
    await frame().waitForSelector('[data-testid=link-banner]');
    await send({ type: 'step' });
    const t = await until('tick');
    assert(t.events === 1, `the loaded scenario still runs: ${JSON.stringify(t)}`);
  });

  await check('wrong shapes are ignored, and the console warns once', async () => {
    await send({ type: 'seek', t: 0 });
    await until('tick', (e) => e.t === 0 && e.events === 0);
    await page.waitForTimeout(200);
    await clear();
    const bad = [
      'play',
      null,
      42,
      [{ type: 'play' }],
      {},
      { type: 'PLAY' },
      { type: 'eval', code: 'alert(1)' },
      { type: 'seek' },
      { type: 'seek', t: -5 },
      { type: 'seek', t: 'soon' },
      { type: 'setSpeed', x: 'fast' },
      { type: 'setSpeed', x: 0 },
      { type: 'load' },
      { type: 'load', fragment: 42 },
      { type: { toString: 'play' } },
    ];
    for (const m of bad) await send(m);
    await page.waitForTimeout(600);
    assert((await got()).length === 0, `events after bad messages: ${JSON.stringify(await got())}`);
    assert(!(await pressed()), 'still paused');
    assert(warnings.length === 1, `console warnings: ${warnings.length}: ${warnings.join(' | ')}`);
  });

  await check('messages from the frame itself are not commands', async () => {
    await clear();
    await frame().evaluate(() => window.postMessage({ type: 'play' }, '*'));
    await page.waitForTimeout(500);
    assert(!(await pressed()), 'still paused');
    assert((await got()).length === 0, 'no events');
  });

  await check('messages from a sibling frame or another origin are not commands', async () => {
    await clear();
    for (const f of [sibling(), stranger()]) {
      assert(f, 'both frames loaded');
      await f.evaluate(() => parent.frames[0].postMessage({ type: 'play' }, '*'));
    }
    await page.waitForTimeout(500);
    assert(!(await pressed()), 'still paused');
    assert((await got()).length === 0, `events: ${JSON.stringify(await got())}`);
  });

  await check('a far seek into a retry storm goes there over many frames; the page stays responsive', async () => {
    await clear();
    await send({ type: 'load', fragment: `#${storm}` });
    await until('ready');
    await page.evaluate(() => {
      window.gap = { max: 0, last: 0 };
      const tick = (t) => {
        if (window.gap.last) window.gap.max = Math.max(window.gap.max, t - window.gap.last);
        window.gap.last = t;
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    await send({ type: 'seek', t: '1000s' });
    const f = await until('finished', () => true, 120000);
    const gap = await page.evaluate(() => window.gap.max);
    const ticks = (await of('tick')).length;
    console.log(`     seek to 1000 s: ${f.events} events, ${ticks} ticks on the way, longest frame ${gap.toFixed(0)} ms`);
    assert(f.reason === 'trace-limit', JSON.stringify(f));
    assert(ticks >= 10, `progress reported on the way: ${ticks} ticks`);
    assert(gap < 100, `a frame of ${gap.toFixed(0)} ms during the seek`);
  });

  await check('no console errors', async () => {
    assert(errors.length === 0, errors.join('\n'));
  });
} finally {
  await browser.close();
  await server.close();
  await other.close();
}
summary('host');
