// End-to-end test of the live playground against the release bundle: every gallery scenario
// plays and fills the log, the timeline and the topology; step is exactly one event; a syntax
// error shows line:col while the last good run stays; the edited text survives a reload;
// selection is shared by the log and the timeline; run-to-end finishes and can be cancelled;
// the metrics charts draw a series per client, fault bands and values on hover.
// Screenshots of each view land in e2e/out/playground-*.png.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { serveDir, launchChromium, watchErrors, check, summary, assert, frames } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.argv[2] ?? join(here, '..', 'dist');
const out = join(here, 'out');
await mkdir(out, { recursive: true });

const events = async (page) => Number(await page.getAttribute('[data-testid=events]', 'data-events'));
const isPlaying = async (page) => (await page.getAttribute('[data-testid=play]', 'aria-pressed')) === 'true';
const tab = (page, slug) => page.click(`#tab-${slug}`);
const blur = (page) => page.evaluate(() => document.activeElement?.blur());
/** Speed option index by label, e.g. '5×'. */
async function setSpeed(page, label) {
  const index = await page.$$eval(
    '[data-testid=speed] option',
    (os, label) => os.findIndex((o) => o.textContent === label),
    label,
  );
  await page.selectOption('[data-testid=speed]', String(index));
}
async function pause(page) {
  if (await isPlaying(page)) await page.click('[data-testid=play]');
}
/** The detail pane's relations: its "Caused by" field, the cause chain's ids (root first), and
 * the "What it caused (n)" count with the number of records listed under it. */
async function detailRelations(page) {
  return page.$eval('[data-testid=detail]', (d) => {
    const dt = [...d.querySelectorAll('dl.fields dt')].find((e) => e.textContent === 'Caused by');
    const heading = [...d.querySelectorAll('.relations h4')].find((h) => h.textContent.startsWith('What it caused'));
    return {
      head: d.querySelector('h3').textContent,
      causedBy: dt.nextElementSibling.textContent,
      chain: [...d.querySelectorAll('[data-testid=cause-chain] .rel-id')].map((e) => e.textContent),
      causedCount: Number(heading.textContent.match(/\((\d+)\)/)[1]),
      caused: d.querySelectorAll('[data-testid=caused] .rel').length,
    };
  });
}
async function logRows(page) {
  return page.locator('[data-testid=log-rows] .log-row').count();
}

const server = await serveDir(dist);
const browser = await launchChromium();
const page = await browser.newPage();
const errors = watchErrors(page);
let gallery = [];
try {
  await check('opens on the default gallery scenario, ready to play', async () => {
    await page.goto(server.url, { waitUntil: 'load' });
    await page.waitForSelector('[data-testid=app]', { timeout: 15000 });
    await page.waitForSelector('[data-testid=topology] .node');
    gallery = await page.$$eval('[data-testid=gallery] option', (os) =>
      os.map((o) => ({ id: o.value, title: o.textContent })).filter((o) => o.id !== 'custom' && o.id !== 'restore'),
    );
    assert(gallery.length >= 9, `gallery has ${gallery.length} entries`);
    const picked = await page.inputValue('[data-testid=gallery]');
    assert(picked === gallery[0].id, `picker shows ${picked}, expected ${gallery[0].id}`);
    const text = await page.inputValue('textarea.code');
    assert(text.startsWith('scenario '), 'the editor holds the scenario');
    assert((await page.textContent('[data-testid=explanation]')).length > 40, 'the explanation is shown');
    assert((await events(page)) === 0, 'no events before play');
    assert((await page.textContent('[data-testid=status]')).startsWith('Ready'), 'status says ready');
  });

  await check('every gallery scenario plays: log rows, timeline arrows and topology dots appear', async () => {
    for (const { id, title } of gallery) {
      await page.selectOption('[data-testid=gallery]', id);
      await page.waitForFunction(
        (id) => document.querySelector('[data-testid=gallery]').value === id,
        id,
      );
      assert((await events(page)) === 0, `${id}: a fresh run starts at zero events`);
      await setSpeed(page, '5×');
      await page.click('[data-testid=play]');
      await frames(page, 90);
      await pause(page);
      const n = await events(page);
      assert(n > 0, `${id}: events advanced while playing (${n})`);

      await tab(page, 'log');
      const rows = await logRows(page);
      assert(rows > 0 && rows <= 200, `${id}: ${rows} log rows in the DOM`);

      await tab(page, 'timeline');
      await frames(page, 2);
      const arrows = Number(await page.getAttribute('[data-testid=timeline-canvas]', 'data-arrows'));
      assert(arrows > 0, `${id}: ${arrows} timeline arrows drawn`);

      await tab(page, 'topology');
      await blur(page);
      let dots = 0;
      for (let i = 0; i < 400 && dots === 0; i++) {
        await page.keyboard.press('ArrowRight');
        dots = await page.locator('[data-testid=dots] circle').count();
      }
      assert(dots > 0, `${id}: a message in flight is drawn as a dot on the topology`);
      console.log(`     ${id}: ${n} events, ${rows} log rows, ${arrows} arrows, ${dots} dots  (${title})`);
    }
  });

  await check('pause and step change the event count by exactly one', async () => {
    await page.selectOption('[data-testid=gallery]', gallery[0].id);
    await setSpeed(page, '1×');
    await page.click('[data-testid=play]');
    await frames(page, 30);
    await page.click('[data-testid=play]');
    assert(!(await isPlaying(page)), 'paused');
    const e0 = await events(page);
    await frames(page, 5);
    assert((await events(page)) === e0, 'paused means no events');
    await page.click('[data-testid=step]');
    assert((await events(page)) === e0 + 1, 'the step button processes one event');
    await blur(page);
    await page.keyboard.press('ArrowRight');
    assert((await events(page)) === e0 + 2, '→ processes one event');
    await page.keyboard.press('Space');
    assert(await isPlaying(page), 'Space plays');
    await page.keyboard.press('Space');
    assert(!(await isPlaying(page)), 'Space pauses');
    // From a reset, the first step puts a request on the wire and records nothing yet: the log
    // says where the message is going rather than staying blank.
    const was = await page.$eval('[role=tab][aria-selected=true]', (t) => t.id);
    await page.click('[data-testid=reset]');
    await tab(page, 'log');
    await page.click('[data-testid=step]');
    const empty = await page.textContent('[data-testid=log] [data-testid=empty-state]');
    assert(/on its way/.test(empty) && /lands at \d/.test(empty), `the empty log tells of the message in flight (${empty})`);
    await page.click(`#${was}`);
  });

  await check('log and timeline share the selection; clicking a node filters the log', async () => {
    await setSpeed(page, '1×');
    await page.click('[data-testid=play]');
    await frames(page, 60);
    await pause(page);
    await tab(page, 'timeline');
    await frames(page, 2);
    // The probe is read until two frames agree, so the click lands on the scene it describes.
    let probe = null;
    for (let i = 0; i < 20; i++) {
      const p = await page.getAttribute('[data-testid=timeline-canvas]', 'data-probe');
      if (p && p === probe) break;
      probe = p;
      await frames(page, 2);
    }
    assert(probe, 'the timeline reports a clickable arrow');
    const [x, y, id] = probe.split(' ').map(Number);
    await page.click('[data-testid=timeline-canvas]', { position: { x, y } });
    await page.waitForSelector('[data-testid=detail]');
    const head = await page.textContent('[data-testid=detail] h3');
    assert(head.includes(`#${id}`), `timeline click selects #${id}: detail says ${head}`);
    await page.screenshot({ path: join(out, 'playground-timeline.png') });
    await tab(page, 'log');
    await page.waitForSelector(`.log-row.selected[data-id="${id}"]`, { timeout: 3000 });
    // And back: a row clicked in the log is the selection on the timeline. Its detail lists its
    // relations: the cause chain ends at the direct cause the fields name, and every record it
    // caused is listed (up to 40). Rows are clicked until one has a cause.
    const candidates = await page.$$eval('[data-testid=log-rows] .log-row:not(.selected)', (rs) =>
      rs.map((r) => r.dataset.id),
    );
    let other = null;
    for (const row of candidates.slice(0, 20)) {
      await page.click(`[data-testid=log-rows] .log-row[data-id="${row}"]`);
      const d = await detailRelations(page);
      assert(d.head.includes(`#${row}`), `log click selects #${row}: detail says ${d.head}`);
      assert(
        d.caused === Math.min(d.causedCount, 40),
        `#${row}: lists ${d.caused} of the ${d.causedCount} records it caused`,
      );
      if (!d.causedBy.startsWith('#')) {
        assert(d.chain.length === 0, `#${row} has no cause but a cause chain of ${d.chain.length}`);
        continue;
      }
      assert(
        d.chain.length > 0 && d.chain[d.chain.length - 1] === d.causedBy,
        `#${row}: the cause chain [${d.chain}] ends at its cause ${d.causedBy}`,
      );
      other = row;
      break;
    }
    assert(other !== null, 'a log row with a cause, among the first 20');
    await page.screenshot({ path: join(out, 'playground-log.png') });
    await tab(page, 'timeline');
    const head2 = await page.textContent('[data-testid=detail] h3');
    assert(head2.includes(`#${other}`), `log click selects #${other} on the timeline too`);

    await tab(page, 'topology');
    await page.click('[data-node="payments"]');
    await page.waitForSelector('.banner');
    await tab(page, 'log');
    const routes = await page.$$eval('[data-testid=log-rows] .log-row .c-route', (cs) => cs.map((c) => c.textContent));
    assert(routes.length > 0 && routes.every((r) => r.includes('payments')), 'every row involves payments');
    const times = await page.$$eval('[data-testid=log-rows] .log-row .c-time', (cs) => cs.map((c) => parseFloat(c.textContent)));
    assert(times.length > 1 && times.every((t, i) => i === 0 || t >= times[i - 1]), `the time column reads down in order (${times.slice(0, 8)})`);
    await page.selectOption('[data-testid=filter-node]', '');
    await page.keyboard.press('Escape');
  });

  await check('a syntax error shows line:col and the last good run stays', async () => {
    await tab(page, 'log');
    const before = { events: await events(page), total: await page.getAttribute('[data-testid=log-count]', 'data-total') };
    const good = await page.inputValue('textarea.code');
    const lines = good.split('\n').length;
    const bad = `${good}\nservice broken workers lots\n`;
    await page.fill('textarea.code', bad);
    await page.press('textarea.code', 'Control+Enter');
    await page.waitForSelector('[data-testid=diagnostics][role=alert]');
    const pos = await page.textContent('[data-testid=diag-pos]');
    assert(/^\d+:\d+$/.test(pos), `diagnostic position reads ${pos}`);
    assert(pos.startsWith(`${lines + 1}:`), `the error is on the new line ${lines + 1} (got ${pos})`);
    assert((await page.locator('.mark-line').count()) > 0, 'the line is highlighted');
    assert((await page.locator('.gutter .gutter-err').count()) > 0, 'the gutter marks the line');
    assert((await events(page)) === before.events, 'the run was not reset');
    const total = await page.getAttribute('[data-testid=log-count]', 'data-total');
    assert(total === before.total && Number(total) > 0, `the log still holds the old run (${total})`);
    await page.screenshot({ path: join(out, 'playground-editor-error.png') });

    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('[data-testid=app]');
    const restored = await page.inputValue('textarea.code');
    assert(restored === bad, 'reload keeps the edited text');
    await page.waitForSelector('[data-testid=diagnostics][role=alert]');
    assert((await page.inputValue('[data-testid=gallery]')) === 'custom', 'the picker says the text is your own');

    // Picking a gallery entry keeps the user's text one click away.
    await page.selectOption('[data-testid=gallery]', gallery[1].id);
    await page.selectOption('[data-testid=gallery]', 'restore');
    assert((await page.inputValue('textarea.code')) === bad, 'the own scenario comes back');
    // And by a visible button beside the picker, not only the picker's last entry.
    await page.selectOption('[data-testid=gallery]', gallery[1].id);
    await page.click('[data-testid=restore]');
    await page.waitForFunction((t) => document.querySelector('textarea.code').value === t, bad, { timeout: 5000 });
    assert((await page.locator('[data-testid=restore]').count()) === 0, 'the button goes once the own text is back');
    await page.selectOption('[data-testid=gallery]', gallery[0].id);
  });

  await check('run to end finishes with progress; it can be cancelled', async () => {
    const short = gallery.find((g) => g.id === 'poison-message') ?? gallery[0];
    await page.selectOption('[data-testid=gallery]', short.id);
    await page.click('[data-testid=run-to-end]');
    await page.waitForFunction(() => document.querySelector('[data-testid=status]').textContent.startsWith('Finished'), null, { timeout: 30000 });
    assert((await events(page)) > 0, 'events were processed');
    assert(await page.isEnabled('[data-testid=reset]'), 'reset is available');
    assert(await page.isDisabled('[data-testid=play]'), 'a finished run cannot play');

    // A long run (an hour of simulated time) so there is time to cancel.
    await page.selectOption('[data-testid=gallery]', gallery[1].id);
    const text = await page.inputValue('textarea.code');
    await page.fill('textarea.code', text.replace(/duration \d+s/, 'duration 3600s'));
    await page.click('[data-testid=apply]');
    await page.click('[data-testid=run-to-end]');
    await page.waitForSelector('[data-testid=cancel]');
    await frames(page, 3);
    await page.click('[data-testid=cancel]');
    const status = await page.textContent('[data-testid=status]');
    assert(status.startsWith('Paused'), `cancelled run is paused: ${status}`);
    const progress = Number(await page.getAttribute('[data-testid=events]', 'data-events'));
    assert(progress > 0, 'it ran for a while');
    await page.click('[data-testid=reset]');
    assert((await events(page)) === 0, 'reset goes back to zero');
  });

  await check('metrics: retries made inside handlers show per call site', async () => {
    await page.selectOption('[data-testid=gallery]', 'retry-storm');
    await page.click('[data-testid=run-to-end]');
    await page.waitForFunction(() => document.querySelector('[data-testid=status]').textContent.startsWith('Finished'), null, { timeout: 60000 });
    await tab(page, 'metrics');
    const row = page.locator('[data-testid=calls-table] tbody tr', { hasText: 'naive-api -> naive-backend' });
    assert((await row.count()) === 1, 'a row for the handler call site');
    const retries = Number((await row.locator('td').nth(1).textContent()).replace(/[^0-9]/g, ''));
    assert(retries > 1000, `naive-api retried ${retries} times`);
    await page.click('[data-testid=reset]');
  });

  await check('metrics: two clients are two series, a fault is a band, a hover reads values', async () => {
    await page.selectOption('[data-testid=gallery]', 'circuit-breaker');
    await page.click('[data-testid=run-to-end]');
    await page.waitForFunction(() => document.querySelector('[data-testid=status]').textContent.startsWith('Finished'), null, { timeout: 60000 });
    await tab(page, 'metrics');
    const series = await page.$$eval('[data-testid=chart-throughput] [data-series]', (ks) => ks.map((k) => k.dataset.series));
    assert(series.join() === 'shoppers-a,shoppers-b', `throughput series: ${series}`);
    const retries = await page.locator('[data-testid=chart-retries] [data-series]').count();
    assert(retries === 2, `retries chart has ${retries} series`);
    for (const id of ['chart-throughput', 'chart-retries', 'chart-latency']) {
      const bands = await page.locator(`[data-testid=${id}] [data-fault-band]`).count();
      assert(bands === 1, `${id}: ${bands} fault bands (the two slowdowns share one window)`);
    }
    const box = await page.locator('[data-testid=chart-throughput] .chart-plot > svg').boundingBox();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.waitForSelector('[data-testid=chart-latency] .hover-rule', { state: 'attached' });
    const readout = await page.textContent('[data-testid=chart-throughput] .chart-readout');
    assert(/shoppers-a replies .*\/s/.test(readout), `hover values: ${readout}`);
    await page.screenshot({ path: join(out, 'playground-metrics-series.png') });
    await page.mouse.move(0, 0);
    await page.click('[data-testid=reset]');
  });

  await check('a replicated service is one stacked node that expands into its replicas', async () => {
    await page.selectOption('[data-testid=gallery]', 'lb-sinkhole');
    await tab(page, 'topology');
    await blur(page);
    await page.waitForSelector('[data-node="catalog"][data-stack="3"]');
    assert((await page.locator('[data-node="catalog#2"]').count()) === 0, 'collapsed: no replica nodes');
    const expand = page.locator('[data-testid=expand-replicas][aria-label*=" catalog"]');
    assert((await expand.getAttribute('aria-expanded')) === 'false', 'the expand button says collapsed');
    await page.screenshot({ path: join(out, 'playground-stacked.png') });
    await expand.click();
    await page.waitForSelector('[data-node="catalog#2"]');
    for (const r of ['catalog#1', 'catalog#2', 'catalog#3']) {
      assert((await page.locator(`[data-node="${r}"]`).count()) === 1, `expanded: ${r} drawn`);
    }
    assert((await page.locator('[data-node="guarded-catalog"][data-stack="3"]').count()) === 1, 'the other stays stacked');
    await page.screenshot({ path: join(out, 'playground-expanded.png') });
    await page.click('[data-testid=collapse-replicas]');
    await page.waitForSelector('[data-node="catalog"][data-stack="3"]');
    // A click on the stack filters the log to all its replicas.
    await page.click('[data-node="catalog"]');
    await page.waitForSelector('.banner');
    assert((await page.textContent('.banner')).includes('catalog (all 3 replicas)'), 'banner names the service');
    await page.click('.banner button:has-text("Clear filter")');
  });

  await check('the topology marks a failing service apart from a healthy one', async () => {
    const text = [
      'scenario "health" seed 1 duration 20s',
      'service good workers 4 time 5ms',
      'service bad workers 4 time 5ms',
      'client a rate 40/s -> good GET /x',
      'client b rate 40/s -> bad GET /x',
      'good GET /x:', '  work', '  reply 200',
      'bad GET /x:', '  work', '  fail 60% 503', '  reply 200', '',
    ].join('\n');
    await page.fill('textarea.code', text);
    await page.click('[data-testid=apply]');
    await tab(page, 'topology');
    await blur(page);
    await page.waitForSelector('[data-node="bad"]');
    await setSpeed(page, '10×');
    await page.click('[data-testid=play]');
    await page.waitForFunction(() => parseFloat(document.querySelector('[data-testid=sim-time]').textContent) >= 8, null, { timeout: 30000 });
    await pause(page);
    await frames(page, 3);
    const cls = async (n) => (await page.getAttribute(`[data-node="${n}"]`, 'class')) ?? '';
    assert(/\bfailing\b/.test(await cls('bad')), `the failing service is marked (${await cls('bad')})`);
    assert(!/\b(failing|erring)\b/.test(await cls('good')), `the healthy one is not (${await cls('good')})`);
    const badge = await page.textContent('[data-node="bad"] [data-testid=error-badge] text');
    const pct = parseInt(badge, 10);
    assert(pct >= 45 && pct <= 75, `its badge shows about 60% errors (${badge})`);
    assert((await page.locator('[data-node="good"] [data-testid=error-badge]').count()) === 0, 'no badge on the healthy one');
    const failing = await page.$$eval('g[data-health=failing] title', (ts) => ts.map((t) => t.textContent));
    assert(failing.length === 1 && failing[0].startsWith('b → bad'), `the calls into it are marked failing (${failing})`);
    assert(/\d+% of its calls failed/.test(failing[0]), `the edge says how many failed (${failing[0]})`);
    await page.screenshot({ path: join(out, 'playground-health.png') });
  });

  await check('screenshots of each view', async () => {
    await page.selectOption('[data-testid=gallery]', gallery[0].id);
    await setSpeed(page, '10×');
    await page.click('[data-testid=play]');
    await page.waitForFunction(() => parseFloat(document.querySelector('[data-testid=sim-time]').textContent) >= 32, null, { timeout: 30000 });
    await setSpeed(page, '0.25×');
    await tab(page, 'topology');
    await frames(page, 20);
    await page.screenshot({ path: join(out, 'playground-topology.png') });
    await tab(page, 'metrics');
    await frames(page, 5);
    assert((await page.locator('[data-testid=endpoint-table] tbody tr').count()) > 0, 'endpoint table');
    assert((await page.locator('.chart polyline').count()) > 0, 'charts drawn');
    await page.screenshot({ path: join(out, 'playground-metrics.png') });
    await pause(page);
    await page.emulateMedia({ colorScheme: 'dark' });
    await tab(page, 'timeline');
    await frames(page, 3);
    await page.screenshot({ path: join(out, 'playground-timeline-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  await check('narrow width: panes stacked, views usable', async () => {
    const narrow = await browser.newPage();
    const narrowErrors = watchErrors(narrow);
    await narrow.setViewportSize({ width: 390, height: 844 });
    await narrow.goto(server.url);
    await narrow.waitForSelector('[data-testid=app]');
    await narrow.click('[data-testid=play]');
    await frames(narrow, 60);
    await narrow.click('#tab-log');
    await frames(narrow, 5);
    assert((await narrow.locator('[data-testid=log-rows] .log-row').count()) > 0, 'log rows on a phone');
    await narrow.screenshot({ path: join(out, 'playground-narrow.png'), fullPage: true });
    assert(narrowErrors.length === 0, `errors:\n${narrowErrors.join('\n')}`);
    await narrow.close();
  });

  await check('no console errors', async () => {
    assert(errors.length === 0, `errors:\n${errors.join('\n')}`);
  });
} finally {
  await browser.close();
  await server.close();
}
summary('playground');
