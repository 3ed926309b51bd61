#!/bin/sh
# Engine speed in wasm vs native on the M/M/c bench workload (benches/support/mmc.rs, as in
# benches/engine.rs): runs tests/engine_speed.rs natively and as wasm in node (wasm-bindgen-test
# in node mode), both with the same optimized `bench` profile, then prints customers/s for each
# and the ratio native/wasm (how many times slower wasm is; the goal is <= 1.5x). A report only:
# it fails if a run fails or a figure is missing (a ratio it could not compute), never on the
# figures' values.
#
# Usage: benches/wasm_ratio.sh
# Needs: the wasm32-unknown-unknown target, wasm-bindgen-test-runner on PATH (scripts/setup.sh
# installs both), node. Speed options go through cargo's environment as usual, e.g.
# CARGO_PROFILE_BENCH_OPT_LEVEL=z CARGO_PROFILE_BENCH_LTO=fat for the release profile's settings.
set -eu
cd "$(dirname "$0")/.."

logs=${CARGO_TARGET_DIR:-target}/wasm-ratio
mkdir -p "$logs"

# run NAME CMD...: runs CMD, keeps its output in $logs/NAME.log, prints its engine_speed lines.
run() {
  name=$1
  shift
  if ! "$@" >"$logs/$name.log" 2>&1; then
    cat "$logs/$name.log" >&2
    echo "wasm_ratio: the $name run failed (output above, also in $logs/$name.log)" >&2
    exit 1
  fi
  grep -o 'engine_speed target=.*' "$logs/$name.log" || {
    echo "wasm_ratio: no engine_speed lines in $logs/$name.log" >&2
    exit 1
  }
}

native=$(run native cargo test --profile bench --test engine_speed -- --nocapture)
# Node mode: the test file does not ask for a browser; make sure nothing in the environment does.
wasm=$(run wasm env -u WASM_BINDGEN_USE_BROWSER -u WASM_BINDGEN_USE_DENO \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --profile bench --target wasm32-unknown-unknown --test engine_speed -- --nocapture)

printf '%s\n%s\n' "$native" "$wasm" | awk '
  {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    t = f["target"]; w = f["workload"]
    best[t, w] = f["best_cps"]; median[t, w] = f["median_cps"]
    if (!(w in seen)) { seen[w] = 1; order[++n] = w }
    customers = f["customers"]; runs = f["runs"]
  }
  END {
    # A ratio needs both figures of both targets for every workload: a missing or zero divisor
    # is a failed measurement, never an "inf" in a report.
    bad = (n == 0)
    for (i = 1; i <= n; i++) {
      w = order[i]
      for (tt = 1; tt <= 2; tt++) {
        t = tt == 1 ? "native" : "wasm"
        if (!(best[t, w] > 0) || !(median[t, w] > 0)) {
          printf "wasm_ratio: no %s figures for workload %s (best %s, median %s)\n", t, w, best[t, w], median[t, w] > "/dev/stderr"
          bad = 1
        }
      }
    }
    if (n == 0) print "wasm_ratio: no engine_speed lines to compare" > "/dev/stderr"
    if (bad) exit 1
    printf "M/M/4 rho=0.8, %s customers per run, best and median of %s runs (customers/s)\n", customers, runs
    printf "%-18s %12s %12s %12s %12s %8s %8s\n", "workload", "native best", "wasm best", "native med", "wasm med", "ratio", "(median)"
    for (i = 1; i <= n; i++) {
      w = order[i]
      printf "%-18s %12d %12d %12d %12d %7.2fx %7.2fx\n", w, best["native", w], best["wasm", w], \
        median["native", w], median["wasm", w], best["native", w] / best["wasm", w], \
        median["native", w] / median["wasm", w]
    }
    print "ratio = native customers/s / wasm customers/s (goal: <= 1.5x)"
  }'
