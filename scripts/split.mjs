// Splits the release wasm in two so the first load fetches only what the first render runs.
//
//   node scripts/split.mjs <dir>        (run by Trunk's post_build hook, scripts/split.sh)
//
// 1. `wasm-split --instrument` (binaryen 108) makes a copy of the module that records which
//    functions run; the copy is served on 127.0.0.1 and loaded in headless Chromium up to the
//    app's first render, and the profile is read back out of its memory.
// 2. `wasm-split --profile` keeps those functions in the primary module and moves the rest to a
//    secondary module. Every call from the primary into a moved function goes through the
//    function table, whose slots start out as imported placeholders.
// 3. The wasm-bindgen glue is patched (scripts/lazy-glue.js): the placeholders load the secondary
//    module synchronously if it is not there yet, and the page fetches it right after its first
//    paint. Links and embeds (anything with a fragment or query) fetch both up front.
// 4. Files are renamed by content hash and index.html's names and integrity hashes rewritten.
// 5. The result is loaded once: it must boot to its topology with no page error.
//
// Any mismatch with what this expects (glue shape, file names, a failed profile) stops the
// build with a message: a silently unsplit or half-patched bundle would be worse.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveDir, launchChromium } from '../e2e/lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const dir = process.argv[2];
const wasmSplit = process.env.WASM_SPLIT;
// The features rustc's output uses (reference types are off for the release build: binaryen 108
// cannot read table.fill and mislabels a second table).
const FEATURES = [
  '--enable-bulk-memory',
  '--enable-nontrapping-float-to-int',
  '--enable-sign-ext',
  '--enable-multivalue',
  '--enable-mutable-globals',
];

// Scratch space, removed however the script ends.
let work;
function die(message, hint) {
  console.error(`split: ${message}`);
  if (hint) console.error(`       what to do: ${hint}`);
  if (work) rmSync(work, { recursive: true, force: true });
  process.exit(1);
}
if (!dir || !wasmSplit) die('usage: WASM_SPLIT=/path/to/wasm-split node scripts/split.mjs <dist dir>');

const hash16 = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex').slice(0, 16);
};
const sri = (bytes) => `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
// SPLIT_NAMES=1 keeps the name section (for twiggy on a --keep-debug build; see docs/size.md).
const names = process.env.SPLIT_NAMES ? ['-g'] : [];
function run(args) {
  try {
    execFileSync(wasmSplit, [...FEATURES, ...(args[0] === '--merge-profiles' ? [] : names), ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 120_000,
    });
  } catch (e) {
    die(
      `wasm-split ${args[0]} failed (${e.signal ?? `exit ${e.status}`})`,
      'build with scripts/serve.sh or scripts/test.sh, or with RELEASE_WASM_ENV from scripts/setup.sh (binaryen 108 cannot read a wasm built with reference types); SWITCHBOARD_NO_SPLIT=1 builds it whole',
    );
  }
}

const files = await readdir(dir);
const wasmName = files.find((f) => /^switchboard-[0-9a-f]+_bg\.wasm$/.test(f));
const glueName = files.find((f) => /^switchboard-[0-9a-f]+\.js$/.test(f));
if (!wasmName || !glueName) die(`no switchboard-<hash>.js and _bg.wasm in ${dir}`, 'run through Trunk with filehash = true');
let html = await readFile(join(dir, 'index.html'), 'utf8');
if (files.some((f) => f.endsWith('_lazy.wasm'))) die(`${dir} is already split`);

// Nothing here may hang a build: a page that never answers stops it with a message.
setTimeout(() => die('splitting took over 3 minutes (the profiling page never answered?)'), 180_000).unref();

work = await mkdtemp(join(tmpdir(), 'switchboard-split-'));
try {
  const input = join(work, 'input.wasm');
  await cp(join(dir, wasmName), input);

  // 1. Profile the first render.
  const served = join(work, 'served');
  await cp(dir, served, { recursive: true });
  run(['--instrument', input, '-o', join(served, wasmName)]);
  // The instrumented module differs from the one the integrity hashes name.
  await writeFile(join(served, 'index.html'), html.replace(/ integrity=[^ >]+/g, ''));
  // The profiling page presses the crash banner's Reload: there it only raises a flag.
  const servedGlue = await readFile(join(served, glueName), 'utf8');
  const RELOAD = 'getObject(arg0).reload();';
  if (servedGlue.split(RELOAD).length !== 2) die(`the glue has no single ${RELOAD}`, 'check scripts/split.mjs against this wasm-bindgen version');
  await writeFile(join(served, glueName), servedGlue.replace(RELOAD, 'window.__switchboardReloadAsked = true;'));
  const profilePath = await recordProfiles(served, work);

  // 2. Split.
  const primaryPath = join(work, 'primary.wasm');
  const secondaryPath = join(work, 'secondary.wasm');
  run([
    '--profile', profilePath, input,
    '-o1', primaryPath, '-o2', secondaryPath,
    '--export-prefix=%', '--placeholder-namespace=p', '--import-namespace=primary',
  ]);
  const primary = await readFile(primaryPath);
  const secondary = await readFile(secondaryPath);
  const table = tableExport(primary);

  // 3. Patch the glue.
  const lazyName = `switchboard-${hash16(primary, secondary)}_lazy.wasm`;
  const glue = patchGlue(await readFile(join(dir, glueName), 'utf8'), lazyName, table);

  // 4. Content-hashed names, index.html rewritten.
  const newWasm = `switchboard-${hash16(primary)}_bg.wasm`;
  const newGlue = `switchboard-${hash16(glue)}.js`;
  html = renameInHtml(html, wasmName, newWasm, primary);
  html = renameInHtml(html, glueName, newGlue, Buffer.from(glue));
  await rm(join(dir, wasmName));
  await rm(join(dir, glueName));
  await writeFile(join(dir, newWasm), primary);
  await writeFile(join(dir, lazyName), secondary);
  await writeFile(join(dir, newGlue), glue);
  await writeFile(join(dir, 'index.html'), html);
  // 5. The split bundle itself opens and boots, with no page error.
  await verify(dir);
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(
    `split: ${wasmName} ${kb((await readFile(input)).length)} -> primary ${kb(primary.length)} + lazy ${kb(secondary.length)}`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}

// Two loads, their profiles merged: a first visit that types in the editor, switches tabs and
// speed, and meets the crash banner, and a return visit with a view in the query (the first left its draft in
// localStorage, which the app restores through code a first visit never runs).
async function recordProfiles(served, work) {
  const server = await serveDir(served);
  const browser = await launchChromium();
  try {
    const paths = [];
    for (const visit of ['first', 'return']) {
      const path = join(work, `profile-${visit}`);
      // The return visit also carries the query options a page may boot with (parsing them is
      // first-render code too): a view, as the address bar the app keeps does, and the rest.
      const url = visit === 'first' ? server.url : `${server.url}?view=log&speed=2&t=1s&autoplay=0&controls=1`;
      await writeFile(path, await recordProfile(browser, url, visit === 'first'));
      paths.push(path);
    }
    const merged = join(work, 'profile');
    run(['--merge-profiles', ...paths, '-o', merged]);
    return merged;
  } finally {
    await browser.close();
    await server.close();
  }
}

async function recordProfile(browser, url, crash) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.addInitScript(() => {
    addEventListener('TrunkApplicationStarted', (e) => {
      window.__switchboardWasm = e.detail.wasm;
    });
    // What the split page's loader says until the lazy half is in (scripts/lazy-glue.js): the
    // app's first render is then its text, before anything is compiled or run.
    window.__switchboardLazy = { ready: false };
  });
  await page.goto(url);
  await page.waitForSelector('[data-testid=app]', { timeout: 30000 }).catch(() => {
    die(`the instrumented app did not render: ${errors.join('; ') || 'no page error'}`);
  });
  // The first render and the effects it schedules, painted twice over.
  await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
  if (crash) {
    // Typing in the editor and its autosave: if the lazy half cannot load, text typed before the
    // app stops must still be saved.
    await page.click('textarea.code');
    await page.keyboard.press('End');
    // The space stays: the return visit then restores a draft of the user's own.
    await page.keyboard.type(' ');
    // Tabs and the speed, which people reach for while the page is still loading.
    for (const tab of ['log', 'timeline', 'metrics', 'topology']) await page.click(`#tab-${tab}`);
    await page.selectOption('[data-testid=speed]', { index: 1 });
    await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok))));
    // The crash banner must work when the lazy half cannot load (that failure is how it would
    // be reported), so its code is exercised too: a plain error, a trap, and its Reload button
    // (in the served glue, its reload only raises a flag, so this page stays to be read).
    await page.evaluate(() => {
      dispatchEvent(new ErrorEvent('error', { error: new Error('profile: not a trap') }));
      dispatchEvent(new ErrorEvent('error', { error: new WebAssembly.RuntimeError('profile: a trap') }));
      const promise = Promise.resolve();
      dispatchEvent(new PromiseRejectionEvent('unhandledrejection', { promise, reason: new WebAssembly.RuntimeError('profile') }));
    });
    await page.waitForSelector('[data-testid=crash]', { state: 'visible', timeout: 5000 }).catch(() => {
      die('the crash banner did not show for a trap while profiling');
    });
    await page.click('[data-testid=crash] button');
    await page.waitForFunction(() => window.__switchboardReloadAsked === true, null, { timeout: 5000 }).catch(() => {
      die("the crash banner's Reload button did nothing while profiling");
    });
  }
  const bytes = await page.evaluate(() => {
    const w = window.__switchboardWasm;
    // Fresh pages at the end of memory: the allocator never hands out what it did not grow.
    const pages = 4;
    const at = w.memory.grow(pages) * 65536;
    const n = w.__write_profile(at, pages * 65536);
    return Array.from(new Uint8Array(w.memory.buffer, at, n));
  });
  if (errors.length) die(`the instrumented app threw: ${errors.join('; ')}`);
  if (bytes.length < 16) die(`the profile is ${bytes.length} bytes`);
  await page.close();
  return Buffer.from(bytes);
}

async function verify(dir) {
  const server = await serveDir(dir);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Under `trunk serve` the page also carries Trunk's live-reload script, whose socket has no
    // server here; that error is not the bundle's.
    page.on('console', (m) => m.type() === 'error' && !m.text().includes('.well-known/trunk/ws') && errors.push(m.text()));
    await page.goto(server.url);
    await page.waitForSelector('#view-topology svg', { timeout: 30000 }).catch(() => {
      die(`the split bundle did not boot to its topology: ${errors.join('; ') || 'no page error'}`);
    });
    if (errors.length) die(`the split bundle logged errors: ${errors.join('; ')}`);
  } finally {
    await browser.close();
    await server.close();
  }
}

// The name under which the primary exports its function table (wasm-split adds one if needed).
function tableExport(bytes) {
  let i = 8;
  const leb = () => {
    let r = 0;
    let s = 0;
    for (;;) {
      const x = bytes[i++];
      r |= (x & 0x7f) << s;
      s += 7;
      if (x < 0x80) return r >>> 0;
    }
  };
  while (i < bytes.length) {
    const id = bytes[i++];
    const size = leb();
    const end = i + size;
    if (id === 7) {
      for (let n = leb(); n > 0; n--) {
        const len = leb();
        const name = bytes.subarray(i, i + len).toString('utf8');
        i += len;
        const kind = bytes[i++];
        leb();
        if (kind === 1) return name;
      }
    }
    i = end;
  }
  die('the primary module exports no function table');
}

function patchGlue(glue, lazyName, table) {
  const once = (text, find, replace) => {
    const n = text.split(find).length - 1;
    if (n !== 1) die(`the wasm-bindgen glue has ${n} copies of ${JSON.stringify(find)}, expected 1`, 'check scripts/split.mjs against this wasm-bindgen version');
    return text.replace(find, replace);
  };
  glue = once(glue, '"./switchboard_bg.js": import0,', '"./switchboard_bg.js": import0,\n        p: __lazyPlaceholders,');
  glue = once(glue, 'wasm.__wbindgen_start();', 'wasm.__wbindgen_start();\n    __lazyAfterStart();');
  glue = once(
    glue,
    'const { instance, module } = await __wbg_load(await module_or_path, imports);',
    'const lazy = __lazyEarly();\n    const { instance, module } = await __wbg_load(await module_or_path, imports);\n    await __lazyBeforeStart(lazy, instance.exports);',
  );
  return (
    glue +
    '\n' +
    readFileSync(join(here, 'lazy-glue.js'), 'utf8')
      .replace("'__LAZY_NAME__'", JSON.stringify(lazyName))
      .replace("'__TABLE__'", JSON.stringify(table))
  );
}

function renameInHtml(html, from, to, bytes) {
  const n = html.split(from).length - 1;
  if (n < 1) die(`index.html does not name ${from}`);
  return html.replace(/<link\b[^>]*>/g, (tag) => (tag.includes(from) ? tag.replace(/integrity=[^ >]+/, `integrity=${sri(bytes)}`) : tag)).split(from).join(to);
}
