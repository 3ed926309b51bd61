// Shared pieces for the browser tests: a static file server on 127.0.0.1 and a headless Chromium.
import { createServer } from 'node:http';
import { readFile, stat, mkdtemp } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium } from 'playwright-core';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/** Serves `dir` on 127.0.0.1 (port 0 = any free port). Resolves to { url, close }. */
export async function serveDir(dir, { port = 0, headers = {} } = {}) {
  const root = resolve(dir);
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      let file = normalize(join(root, path));
      if (!file.startsWith(root)) {
        res.writeHead(403).end();
        return;
      }
      if ((await stat(file).catch(() => null))?.isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...headers });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  const { port: actual } = server.address();
  return { url: `http://127.0.0.1:${actual}/`, close: () => new Promise((ok) => server.close(ok)) };
}

/** Headless Debian Chromium with the flags this machine needs (see ../shared/TOOLCHAIN.md). */
export async function launchChromium() {
  const userDataDir = await mkdtemp(join(tmpdir(), 'switchboard-chromium-'));
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ];
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args,
    viewport: { width: 1280, height: 800 },
  });
}

/** Collects console errors and uncaught page errors so a test can assert there were none. */
export function watchErrors(page) {
  const errors = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return errors;
}

/**
 * Waits until the page has painted its first content and requested the split build's lazy half
 * (15 s at most, or it throws). Returns the first contentful paint's time and every resource
 * requested so far as { path, type (initiator), start } in page milliseconds.
 */
export const paintAndLazyRequest = (page) =>
  page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const deadline = performance.now() + 15000;
        const done = () => {
          const fcp = performance.getEntriesByName('first-contentful-paint')[0];
          const resources = performance.getEntriesByType('resource');
          const lazy = resources.filter((r) => r.name.endsWith('_lazy.wasm')).length;
          if (fcp && lazy) {
            resolve({
              fcp: fcp.startTime,
              resources: resources.map((r) => ({ path: new URL(r.name).pathname, type: r.initiatorType, start: r.startTime })),
            });
          } else if (performance.now() > deadline) reject(new Error(`after 15 s: first paint ${!!fcp}, lazy requests ${lazy}`));
          else setTimeout(done, 20);
        };
        done();
      }),
  );

/** Waits for `n` animation frames in the page. */
export const frames = (page, n) =>
  page.evaluate(
    (n) =>
      new Promise((done) => {
        let k = 0;
        const f = () => (++k >= n ? done() : requestAnimationFrame(f));
        requestAnimationFrame(f);
      }),
    n,
  );

let failures = 0;
let passes = 0;

/** Runs one named check, printing ok/FAIL; the process exit code reflects every check. */
export async function check(name, fn) {
  try {
    await fn();
    passes += 1;
    console.log(`ok   ${name}`);
  } catch (err) {
    failures += 1;
    console.log(`FAIL ${name}\n     ${String(err?.stack ?? err).split('\n').join('\n     ')}`);
  }
}

export function summary(suite) {
  console.log(`e2e ${suite}: ${passes} passed; ${failures} failed`);
  process.exitCode = failures === 0 ? 0 : 1;
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

/** The message log's columns, in order (src/export/log.rs `FIELDS`): JSON keys and CSV header. */
const LOG_FIELDS = ['id', 'trace', 'cause', 'kind', 'mechanism', 'from', 'to', 'name', 'label', 'send_us', 'recv_us', 'latency_us', 'outcome', 'success', 'attempt', 'late'];

/** RFC 4180 rows of fields (quotes, doubled quotes, CRLF or LF line ends). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else if (c !== '\r') field += c;
  }
  if (field !== '' || row.length > 0) row.push(field), rows.push(row);
  return rows;
}

/** A message log in JSON: the documented format tag, and records with every field, ids rising. */
function checkLogJson(text) {
  const doc = JSON.parse(text);
  assert(doc.format === 'switchboard-log/1', `json: format ${doc.format}`);
  const records = doc.records;
  assert(Array.isArray(records) && records.length > 0, 'json: a non-empty records array');
  for (const [i, r] of records.entries()) {
    const missing = LOG_FIELDS.filter((f) => !(f in r));
    assert(missing.length === 0, `json: record ${i} lacks ${missing.join(', ')}`);
    assert(Number.isInteger(r.id) && (i === 0 || r.id > records[i - 1].id), `json: record ${i} id ${r.id} rises`);
    assert(r.recv_us >= r.send_us && r.latency_us === r.recv_us - r.send_us, `json: record ${r.id} times`);
  }
  return true;
}

/** A message log in CSV: the header, then one row per record with every column. */
function checkLogCsv(text) {
  const rows = parseCsv(text);
  assert(rows[0].join(',') === LOG_FIELDS.join(','), `csv: header ${rows[0].join(',')}`);
  assert(rows.length > 1, 'csv: at least one record row');
  for (const [i, r] of rows.entries()) {
    assert(r.length === LOG_FIELDS.length, `csv: row ${i} has ${r.length} fields`);
    if (i > 0) assert(/^\d+$/.test(r[0]), `csv: row ${i} id ${r[0]}`);
  }
  return true;
}

/** Chrome Trace Event JSON: every event has a phase, pid and tid; each flow start has its end. */
function checkChromeTrace(text) {
  const doc = JSON.parse(text);
  const events = doc.traceEvents;
  assert(Array.isArray(events) && events.some((e) => e.ph === 'X'), 'chrome: traceEvents with complete (X) events');
  const starts = new Set();
  const ends = new Set();
  for (const e of events) {
    assert(typeof e.ph === 'string' && Number.isInteger(e.pid) && Number.isInteger(e.tid), `chrome: event ${JSON.stringify(e)}`);
    if (e.ph === 's') starts.add(e.id);
    if (e.ph === 'f') ends.add(e.id);
  }
  assert(starts.size === ends.size && [...starts].every((id) => ends.has(id)), 'chrome: every flow start has its end');
  return true;
}

/** Each export format: menu item slug, file name pattern, and a check of the file's text. */
const EXPORT_FORMATS = [
  ['svg', /-timeline\.svg$/, (t) => t.startsWith('<?xml') && t.includes('<svg')],
  ['json', /-log\.json$/, checkLogJson],
  ['csv', /-log\.csv$/, checkLogCsv],
  ['mermaid', /-sequence\.mmd$/, (t) => t.startsWith('sequenceDiagram\n') && /^ {4}participant P0 as /m.test(t) && /^ {4}P\d+(->>|-->>|-\)|-x)P\d+: /m.test(t)],
  ['chrome', /-trace\.json$/, checkChromeTrace],
];

/**
 * Downloads every format from the Export menu and checks each file's name and content.
 * `beforeClick(slug)` runs with the menu open, before the item is clicked. Returns
 * [[file name, bytes]] in menu order.
 */
export async function downloadEveryExport(page, beforeClick = async () => {}) {
  const files = [];
  for (const [slug, name, ok] of EXPORT_FORMATS) {
    await page.click('[data-testid=export] summary');
    await beforeClick(slug);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=export-${slug}]`)]);
    const file = download.suggestedFilename();
    assert(name.test(file), `${slug}: file name ${file}`);
    const text = await readFile(await download.path(), 'utf8');
    assert(text.length > 0 && ok(text), `${slug}: content starts ${JSON.stringify(text.slice(0, 40))}`);
    files.push([file, text.length]);
  }
  return files;
}

/** Naive retries with no backoff against a slow backend: it would run 10M+ events (the CLI
 * reports the event budget of 10,000,000 exhausted after 6.7M trace records), filling the page's
 * 3M-record trace. The hostile and host suites both drive it. */
export const RETRY_STORM = `scenario "retry-storm-10m" seed 1 duration 1000s
network latency 1ms
service api workers 64
service backend workers 1 time 50ms
client users rate 2000/s -> api GET /x timeout 10s
api GET /x:
  call backend GET /x timeout 10ms retries 100 backoff 1ms multiplier 1
  reply 200
backend GET /x:
  work
  reply 200
`;
