#!/usr/bin/env bash
# Runs every Switchboard check, installing what is missing first; stops at the first failure.
# Order: fmt, clippy (native + wasm32), native tests, fidelity (optimized), browser tests
# (wasm-bindgen-test in headless Chromium), then the end-to-end test of the release bundle.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$ROOT"
ensure_test_tools

LOGS="$ROOT/target/test-logs"
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log
SUMMARY=()
T0=$SECONDS

# run_step NAME CMD...: runs CMD with its output shown and kept in $LOGS/NAME.log.
run_step() {
  local name=$1 start=$SECONDS status
  shift
  step "$name: $*"
  set +e
  "$@" 2>&1 | tee "$LOGS/$name.log"
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" -ne 0 ]; then
    print_summary
    echo "free disk now: $(free_disk)"
    fail "step '$name' failed (exit $status)" "its full output is in $LOGS/$name.log"
  fi
  SUMMARY+=("$(printf 'ok   %-12s %4ds   %s free' "$name" $((SECONDS - start)) "$(free_disk)")")
}

# Free space where target/ lives, e.g. "41G": CI machines differ widely, and a full disk shows up
# as a confusing compiler error, so every step's line in the summary records it.
free_disk() {
  df -h --output=avail "$ROOT" 2>/dev/null | tail -1 | tr -d ' '
}

# prune_if_low DIR...: deletes build output that no later step needs, but only when the disk is
# nearly full (under $MIN_FREE_MB), so a roomy machine keeps its cache for the next run.
MIN_FREE_MB=${MIN_FREE_MB:-8000}
prune_if_low() {
  local avail
  avail=$(df -m --output=avail "$ROOT" 2>/dev/null | tail -1 | tr -d ' ') || true
  if [ -n "$avail" ] && [ "$avail" -lt "$MIN_FREE_MB" ]; then
    echo "only ${avail} MB free: removing $* (no later step needs them)"
    rm -rf "$@"
  fi
}

print_summary() {
  printf '\n\033[1m==> Summary\033[0m\n'
  printf '%s\n' "${SUMMARY[@]}"
  # The runners' own summary lines, step by step.
  for log in "$LOGS"/*.log; do
    [ -f "$log" ] || continue
    grep -hE '^(test result:|e2e [a-z-]+:|Done [0-9]+ runs|M/M/4 customers/s)|[0-9.]+x +[0-9.]+x$' "$log" | sed "s|^|$(basename "$log" .log): |" || true
  done
  printf 'total %ds\n' $((SECONDS - T0))
}

export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# Incremental caches only help the next edit-compile loop, and they double target/'s size.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
echo "free disk at start: $(free_disk)"
WASM=wasm32-unknown-unknown
WASM_TESTS=(--test web_dom --test web_sim)

run_step fmt cargo fmt --all --check
# `--all-targets` skips the `test = false` targets (fidelity, engine_speed): name them.
run_step clippy cargo clippy --locked --all-targets --test fidelity --test engine_speed -- -D warnings
run_step clippy-wasm cargo clippy --locked --target $WASM --lib --bins "${WASM_TESTS[@]}" --test engine_speed -- -D warnings
run_step test cargo test --locked
# Fidelity against queueing theory needs optimized code: the `bench` profile (opt-level 3, no LTO).
run_step fidelity cargo test --locked --profile bench --test fidelity

# Browser tests: wasm-bindgen-test-runner drives /usr/bin/chromium through chromedriver.
WEBDRIVER_JSON="$ROOT/target/webdriver.json"
cat >"$WEBDRIVER_JSON" <<'JSON'
{ "goog:chromeOptions": { "binary": "/usr/bin/chromium", "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] } }
JSON
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$WEBDRIVER_JSON"
export WASM_BINDGEN_TEST_TIMEOUT=120
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
run_step wasm-test cargo test --locked --target $WASM "${WASM_TESTS[@]}"
prune_if_low "$ROOT/target/$WASM/debug"

# Exports: every gallery scenario's Mermaid diagram, and one of names that are Mermaid syntax
# (e2e/mermaid-hostile.sb), must pass the real Mermaid parser and render in Chromium. The
# listing's exit status is checked on its own (a `for` over `$(cli | awk)` would drop it), and
# as many diagrams as the gallery has entries must reach the parser.
check_mermaid() {
  local dir="$ROOT/target/exports" cli=(cargo run --quiet --locked --bin switchboard-cli --)
  local listing ids id n=0
  rm -rf "$dir" && mkdir -p "$dir"
  listing=$("${cli[@]}" gallery) || { echo "switchboard-cli gallery failed"; return 1; }
  ids=$(printf '%s\n' "$listing" | awk 'NF {print $1}')
  [ -n "$ids" ] || { echo "switchboard-cli gallery listed no scenarios"; return 1; }
  for id in $ids; do
    "${cli[@]}" export --format mermaid "gallery:$id" --out "$dir/$id.mmd" ||
      { echo "switchboard-cli export --format mermaid gallery:$id failed"; return 1; }
    n=$((n + 1))
  done
  "${cli[@]}" export --format mermaid e2e/mermaid-hostile.sb --out "$dir/hostile.mmd" ||
    { echo "switchboard-cli export --format mermaid e2e/mermaid-hostile.sb failed"; return 1; }
  node e2e/mermaid-check.mjs "$dir"/*.mmd || return 1
  echo "mermaid: $n gallery diagrams and the hostile one exported, parsed and rendered"
}
run_step mermaid check_mermaid

# Fuzzing (stable toolchain: RUSTC_BOOTSTRAP lets cargo-fuzz pass its sanitizer flags).
# A fixed, small number of inputs per target here; docs/fuzzing.md describes long campaigns.
# Each target starts from the committed seeds (fuzz/seeds/<target>: the gallery, the docs'
# examples and hostile cases, kept current by tests/fuzz_seeds.rs) plus whatever the gitignored
# fuzz/corpus/<target> has grown; new inputs go to the latter.
FUZZ_RUNS=${FUZZ_RUNS:-200000}
mkdir -p fuzz/corpus/parse fuzz/corpus/link_decode
run_step fuzz-parse env RUSTC_BOOTSTRAP=1 cargo fuzz run parse fuzz/corpus/parse fuzz/seeds/parse \
  -- -runs="$FUZZ_RUNS" -max_len=4096
run_step fuzz-link env RUSTC_BOOTSTRAP=1 cargo fuzz run link_decode fuzz/corpus/link_decode \
  fuzz/seeds/link_decode -- -runs="$FUZZ_RUNS" -max_len=8192
prune_if_low "$ROOT/fuzz/target"

run_step build env "${RELEASE_WASM_ENV[@]}" trunk build --release
run_step e2e node e2e/smoke.mjs dist
run_step lazy node e2e/lazy.mjs dist
run_step playground node e2e/playground.mjs dist
run_step share node e2e/share.mjs dist
run_step embed node e2e/embed.mjs dist
run_step host node e2e/host.mjs dist
# No typed work lost: storage refused or full, two tabs, the history, embeds and framed pages.
run_step storage node e2e/storage.mjs dist
# The docs example: builds docs/book with mdbook and checks both embedded frames draw and play.
run_step book node e2e/book.mjs dist
# The bundle under a strict Content-Security-Policy (the sha256 of Trunk's inline loader is taken
# from dist/index.html, so it follows rebuilds).
run_step csp node e2e/csp.mjs dist
# Hostile links and texts: short clear messages, no script, the saved draft kept, still alive, and
# no frame over 100 ms after load (except the known gaps listed in the script).
run_step hostile node e2e/hostile.mjs dist
run_step budget node e2e/budget.mjs dist
# A 1M-message run in the browser must stay under 256 MB (wasm memory + JS heap).
run_step memory node e2e/memory.mjs dist
# Reports the longest frame and log DOM rows while playing at 1,000 msg/s; never fails on timing,
# fails on a console error.
run_step perf node e2e/perf.mjs dist
# Engine speed in wasm (node) vs native, same workload and profile: a report of the ratio; it
# fails when a figure is missing (a ratio it could not compute), never on the values.
run_step wasm-ratio sh benches/wasm_ratio.sh
# Engine vs SimPy on the same M/M/c workload, in one run: a report of the ratio (goal >= 50x);
# `simpy` named here makes a SimPy run that measured nothing a failure, not a "skipped" line.
run_step simpy sh benches/compare.sh 1000000 mmc simpy

# The README's first command: scripts/serve.sh on a free port (its own dist directory, so the
# tested bundle above is untouched), checked in the browser, then stopped. Its output goes to
# its own log (a pipe held by a leftover server would keep this step from ending).
check_serve() {
  local port dir pid status=0 server_log="$LOGS/serve-server.txt"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  dir=$(mktemp -d)
  setsid bash "$ROOT/scripts/serve.sh" --port "$port" --dist "$dir" >"$server_log" 2>&1 &
  pid=$!
  trap 'kill -- -"$pid" 2>/dev/null' EXIT INT TERM
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null && curl -sf "http://127.0.0.1:$port/" >/dev/null 2>&1; then
    node e2e/served.mjs "http://127.0.0.1:$port/" || status=$?
  else
    echo "scripts/serve.sh did not serve on port $port within 240 s; the end of its output:"
    tail -n 30 "$server_log"
    status=1
  fi
  kill -- -"$pid" 2>/dev/null || true
  sleep 1
  kill -KILL -- -"$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  trap - EXIT INT TERM
  rm -rf "$dir"
  return "$status"
}
run_step serve check_serve

print_summary
