// Appended to the wasm-bindgen glue by scripts/split.mjs: loads the secondary ("lazy") half of the
// split module. The primary's function table starts with placeholders where moved functions go;
// instantiating the secondary module fills those slots with the real functions.
//
// - Default page: the first render runs on the primary alone (the app shows its text and
//   opens the run when the secondary is in); the secondary is fetched and instantiated right
//   after the first contentful paint.
// - Someone else's share link and embeds need the run (or a different frame) in their first
//   render, so both halves are fetched together before the app starts (see __lazyEarly).
// - A placeholder called before the secondary is there loads it synchronously (blocking XHR and
//   compile), then calls the real function: slower once, never wrong. The after-paint fetch
//   retries here if it failed; a failed synchronous load is final until the page is reloaded.
// A secondary that cannot be loaded surfaces as a WebAssembly.RuntimeError, which the app's
// crash banner reports.
const __lazyUrl = new URL('__LAZY_NAME__', import.meta.url);
const __lazyTable = '__TABLE__';
// Read by the app (src/ui/dom.rs, lazy_half_ready): until it is ready, the page shows its text
// and opens the run when LAZY_READY_EVENT arrives.
globalThis.__switchboardLazy = { ready: false };
let __lazyBytes;
let __lazyFetch;
let __lazyInstance;
// Set once a synchronous load has failed: the app is stopped (the crash banner says so), and
// every later call fails at once instead of asking the server again.
let __lazyFailed;

function __lazySetInstance(instance) {
  if (__lazyInstance) return;
  __lazyInstance = instance;
  __lazyBytes = undefined;
  globalThis.__switchboardLazy.ready = true;
  // Never from inside a call into the wasm (a synchronous load is one): the app handles the event
  // on its own turn.
  setTimeout(() => dispatchEvent(new Event('switchboard-lazy-ready')), 0);
}

// A wasm module starts with "\0asm"; anything else (a host answering a stale name with its
// index.html) is refused here rather than by the compiler.
function __lazyCheck(bytes) {
  const head = new Uint8Array(bytes, 0, Math.min(4, bytes.byteLength));
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0x61 || head[2] !== 0x73 || head[3] !== 0x6d) {
    throw new Error('the response is not WebAssembly');
  }
  return bytes;
}

function __lazyStartFetch() {
  if (!__lazyFetch) {
    __lazyFetch = fetch(__lazyUrl)
      .then((r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status} ${r.statusText}`);
        return r.arrayBuffer();
      })
      .then((b) => (__lazyBytes = __lazyCheck(b)));
    __lazyFetch.catch(() => {
      __lazyFetch = undefined;
    });
  }
  return __lazyFetch;
}

// Whether this page's first render needs more than the primary half: an embed (a different
// frame, query `embed`), a read-only editor, a forced theme, or a share link that is not this browser's own (its
// text is not the saved draft the booting page shows). A reload of this browser's own link, a view or a
// tracking parameter in the query, or no URL state at all boot from the primary half.
function __lazyEarly() {
  if (typeof location !== 'object') return null;
  const query = new URLSearchParams(location.search);
  const fragment = location.hash.slice(1);
  let own = false;
  try {
    // This tab's own link, or the newest of any tab's (src/ui/drafts.rs, own_link).
    own = fragment !== '' && [sessionStorage, localStorage].some((s) => s.getItem('switchboard.link') === fragment);
  } catch {
    // Storage refused: treat the link as someone else's.
  }
  const link = fragment.split('&').some((p) => p.trim().startsWith('s=')) && !own;
  const early = link || ['embed', 'readonly', 'theme'].some((k) => query.has(k));
  return early ? __lazyStartFetch().catch((e) => e) : null;
}

async function __lazyBeforeStart(early, exports) {
  if (!early) return;
  try {
    const bytes = await early;
    if (bytes instanceof Error) throw bytes;
    const { instance } = await WebAssembly.instantiate(bytes, { primary: exports });
    __lazySetInstance(instance);
  } catch (e) {
    // The page boots from the primary half and tries again after its first paint.
    console.warn(`Switchboard: ${__lazyUrl.pathname} did not load (${e.message}); trying again after the first paint`);
  }
}

// After the first contentful paint (the browser's own mark of the first render on screen); a tab
// in the background reports none, and an old browser may have no paint timing at all, so a timer
// stands in for it.
function __lazyAfterStart() {
  if (__lazyInstance) return;
  let started = false;
  let observer;
  const start = async () => {
    if (started) return;
    started = true;
    observer?.disconnect();
    clearTimeout(timer);
    try {
      const bytes = await __lazyStartFetch();
      const module = await WebAssembly.compile(bytes);
      if (__lazyInstance) return;
      __lazySetInstance(await WebAssembly.instantiate(module, { primary: wasm }));
    } catch (e) {
      // One more try, synchronously; if that fails too, the error reaches the crash banner.
      console.warn(`Switchboard: ${__lazyUrl.pathname} did not load (${e.message}); trying again`);
      __lazyLoadSync();
    }
  };
  const timer = setTimeout(start, 2000);
  try {
    observer = new PerformanceObserver((list) => {
      if (list.getEntriesByName('first-contentful-paint').length) setTimeout(start, 0);
    });
    observer.observe({ type: 'paint', buffered: true });
  } catch {
    // No paint timing here: the timer starts it.
  }
}

function __lazyLoadSync() {
  if (__lazyInstance) return;
  if (__lazyFailed) throw new WebAssembly.RuntimeError(__lazyFailed);
  try {
    let bytes = __lazyBytes;
    if (!bytes) {
      const xhr = new XMLHttpRequest();
      xhr.open('GET', __lazyUrl, false);
      // Bytes through a synchronous request: one char per byte, no decoding.
      xhr.overrideMimeType('text/plain; charset=x-user-defined');
      xhr.send();
      if (xhr.status !== 200) throw new Error(`HTTP ${xhr.status}`);
      const text = xhr.responseText;
      bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
      __lazyCheck(bytes.buffer);
    }
    __lazySetInstance(new WebAssembly.Instance(new WebAssembly.Module(bytes), { primary: wasm }));
  } catch (e) {
    __lazyFailed = `Switchboard could not load ${__lazyUrl.pathname}: ${e.message}`;
    throw new WebAssembly.RuntimeError(__lazyFailed);
  }
}

const __lazyPlaceholders = new Proxy(
  {},
  {
    get: (_, name) => {
      const slot = Number(name);
      return (...args) => {
        __lazyLoadSync();
        return wasm[__lazyTable].get(slot)(...args);
      };
    },
  },
);
