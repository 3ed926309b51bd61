#!/bin/sh
# Engine vs SimPy, side by side: runs benches/engine.rs (M/M/c and mixed workloads, tracing on),
# which then runs benches/simpy_mmc.py on the same M/M/c workload and prints the ratio.
#
# The crate's release profile is tuned for wasm size (opt-level "z"); benchmarks inherit it
# unless told otherwise, so this script asks cargo for a speed-optimised bench profile.
# Usage: benches/compare.sh [customers]      (needs python3 and `pip install simpy` for the ratio)
set -eu
cd "$(dirname "$0")/.."
export CARGO_PROFILE_BENCH_OPT_LEVEL=3
export CARGO_PROFILE_BENCH_LTO=fat
export CARGO_PROFILE_BENCH_CODEGEN_UNITS=1
exec cargo bench --bench engine -- "$@"
