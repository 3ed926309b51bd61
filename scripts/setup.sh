#!/usr/bin/env bash
# Installs what Switchboard's build and tests need on a fresh Debian machine of this kind (see
# ../shared/TOOLCHAIN.md for what installs here and what does not). Sourced by serve.sh and test.sh.
# Idempotent: each tool is checked first and skipped when the right version is already there.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TRUNK_VERSION=0.21.14
MDBOOK_VERSION=0.4.52
CARGO_FUZZ_VERSION=0.13.2
SIMPY_VERSION=4.1.2
# Debian's binaryen, for its wasm-split only (scripts/split.mjs); wasm-opt stays npm's 132.
BINARYEN_SPLIT_VERSION=108-1
export WASM_SPLIT="$ROOT/.tools/binaryen-$BINARYEN_SPLIT_VERSION/usr/bin/wasm-split"
export PATH="$HOME/.cargo/bin:$ROOT/e2e/node_modules/.bin:$PATH"

# The release wasm only (Trunk's cargo call in serve.sh and test.sh's build step): std is rebuilt
# from rust-src with panic=immediate-abort, so no panic messages, locations or formatting reach
# the bundle, and std's `optimize_for_size` picks its small sort, float parsing and integer
# formatting (together about 40 KB gzip less). A panic then stops the app with a bare "unreachable"
# in the console. Through the environment of that one command, so native builds, clippy and
# the wasm-bindgen tests keep the stock std and panics with messages. Needs RUSTC_BOOTSTRAP on
# stable. Reference types are off so that binaryen 108's wasm-split can read the module (Trunk's
# post_build hook splits it, scripts/split.mjs); wasm-bindgen then keeps JS objects in a JS array.
# The crate's release profile is opt-level 3 for the native CLI; this environment makes the
# wasm's opt-level "z" (smallest bundle).
# A plain `trunk build --release` without this fails at the split, with a hint;
# `SWITCHBOARD_NO_SPLIT=1 trunk build --release` builds it whole.
RELEASE_WASM_ENV=(
  CARGO_PROFILE_RELEASE_OPT_LEVEL=z
  RUSTC_BOOTSTRAP=1
  CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size
  "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS=-Zunstable-options -Cpanic=immediate-abort -Ctarget-feature=-reference-types"
)

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
have() { printf '    %s\n' "$*"; }
fail() {
  printf '\n\033[31merror:\033[0m %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf '       what to do: %s\n' "$2" >&2
  exit 1
}

# The wasm-bindgen CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock.
wasm_bindgen_lock_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    fail "'$*' needs root" "run this script as root or install sudo"
  fi
}

ensure_wasm_target() {
  if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    have "rust target wasm32-unknown-unknown: installed"
  else
    step "rustup target add wasm32-unknown-unknown"
    rustup target add wasm32-unknown-unknown ||
      fail "could not add the wasm32-unknown-unknown target" "check that rustup can reach its dist server"
  fi
}

ensure_trunk() {
  if trunk --version 2>/dev/null | grep -q "trunk $TRUNK_VERSION\$"; then
    have "trunk $TRUNK_VERSION: installed"
  else
    step "cargo install --locked trunk --version $TRUNK_VERSION (about 7 minutes on 2 cores)"
    cargo install --locked trunk --version "$TRUNK_VERSION" ||
      fail "installing trunk $TRUNK_VERSION failed" "newer Trunk needs a newer rustc; keep $TRUNK_VERSION and retry (crates.io must be reachable)"
  fi
}

ensure_wasm_bindgen() {
  local want
  want=$(wasm_bindgen_lock_version)
  [ -n "$want" ] || fail "no wasm-bindgen in Cargo.lock" "run 'cargo generate-lockfile' in $ROOT"
  if wasm-bindgen --version 2>/dev/null | grep -q "wasm-bindgen $want\$" &&
    command -v wasm-bindgen-test-runner >/dev/null; then
    have "wasm-bindgen-cli $want: installed"
  else
    # Not --locked: the crate's own lockfile names a webpki-roots the registry no longer has.
    step "cargo install wasm-bindgen-cli --version $want (about 2 minutes)"
    cargo install --force wasm-bindgen-cli --version "$want" ||
      fail "installing wasm-bindgen-cli $want failed" "the CLI must equal the wasm-bindgen crate version in Cargo.lock ($want)"
  fi
}

# rust-src for RELEASE_WASM_ENV's rebuilt std, and std's own crates in cargo's cache: Trunk.toml
# makes cargo run --offline, so they must be downloaded here (a no-op once they are).
ensure_rust_src() {
  if rustup component list --installed 2>/dev/null | grep -qx 'rust-src'; then
    have "rust-src: installed"
  else
    step "rustup component add rust-src"
    rustup component add rust-src ||
      fail "could not add the rust-src component" "check that rustup can reach its dist server"
  fi
  (cd "$ROOT" && RUSTC_BOOTSTRAP=1 cargo fetch --locked -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown) ||
    fail "fetching the crates std is built from failed" "check that crates.io is reachable"
}

# binaryen (wasm-opt for Trunk) and playwright-core come from e2e/package-lock.json.
ensure_node_tools() {
  local stamp="$ROOT/e2e/node_modules/.switchboard-lock"
  local want
  want=$(sha256sum "$ROOT/e2e/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$ROOT/e2e/node_modules/.bin/wasm-opt" ]; then
    have "npm tools (binaryen, playwright-core): installed"
  else
    command -v npm >/dev/null || fail "npm is missing" "install Node.js 20 and npm"
    step "npm ci in e2e/ (binaryen for wasm-opt, playwright-core)"
    (cd "$ROOT/e2e" && npm ci --no-audit --no-fund --loglevel=error) ||
      fail "npm ci failed in e2e/" "check that registry.npmjs.org is reachable; e2e/package-lock.json pins the versions"
    echo "$want" >"$stamp"
  fi
  wasm-opt --version | grep -q 'version 132' ||
    fail "wasm-opt on PATH is not binaryen 132" "Debian's binaryen (108) cannot parse rustc 1.95 output; remove it or fix PATH"
}

# wasm-split from Debian's binaryen package, unpacked under .tools/ (not installed: its wasm-opt
# 108 must not shadow npm's 132 on PATH).
ensure_wasm_split() {
  if "$WASM_SPLIT" --version 2>/dev/null | grep -q 'version 108'; then
    have "wasm-split (binaryen $BINARYEN_SPLIT_VERSION): unpacked"
    return
  fi
  step "apt-get download binaryen=$BINARYEN_SPLIT_VERSION (for wasm-split), unpacked into .tools/"
  local tmp
  tmp=$(mktemp -d)
  if ! (cd "$tmp" && apt-get download -q "binaryen=$BINARYEN_SPLIT_VERSION" >/dev/null 2>&1); then
    as_root apt-get update -qq || fail "apt-get update failed" "check that the Debian mirrors are reachable"
    (cd "$tmp" && apt-get download -q "binaryen=$BINARYEN_SPLIT_VERSION") ||
      fail "downloading Debian's binaryen $BINARYEN_SPLIT_VERSION failed" "the release build splits its wasm with its wasm-split; set SWITCHBOARD_NO_SPLIT=1 to build unsplit"
  fi
  rm -rf "$ROOT/.tools/binaryen-$BINARYEN_SPLIT_VERSION"
  mkdir -p "$ROOT/.tools"
  dpkg-deb -x "$tmp"/binaryen_*.deb "$ROOT/.tools/binaryen-$BINARYEN_SPLIT_VERSION" ||
    fail "unpacking binaryen failed" "remove $ROOT/.tools and retry"
  rm -rf "$tmp"
  "$WASM_SPLIT" --version | grep -q 'version 108' || fail "$WASM_SPLIT does not run"
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    have "chromium + chromedriver: installed ($(/usr/bin/chromium --version 2>/dev/null | tr -s ' ' | cut -d' ' -f2))"
  else
    step "apt-get install chromium chromium-driver"
    as_root apt-get update -qq || fail "apt-get update failed" "check that the Debian mirrors are reachable"
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium chromium-driver ||
      fail "installing Debian chromium + chromium-driver failed" "Playwright's own browser download does not work here; Debian's package is required"
  fi
}

ensure_cargo_fuzz() {
  if cargo fuzz --version 2>/dev/null | grep -q "cargo-fuzz $CARGO_FUZZ_VERSION\$"; then
    have "cargo-fuzz $CARGO_FUZZ_VERSION: installed"
  else
    step "cargo install --locked cargo-fuzz --version $CARGO_FUZZ_VERSION (about 2 minutes)"
    cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION" ||
      fail "installing cargo-fuzz $CARGO_FUZZ_VERSION failed" "check that crates.io is reachable"
  fi
}

ensure_mdbook() {
  if mdbook --version 2>/dev/null | grep -q "mdbook v$MDBOOK_VERSION\$"; then
    have "mdbook $MDBOOK_VERSION: installed"
  else
    step "cargo install --locked mdbook --version $MDBOOK_VERSION (about 3 minutes)"
    cargo install --locked mdbook --no-default-features --features search --version "$MDBOOK_VERSION" ||
      fail "installing mdbook $MDBOOK_VERSION failed" "check that crates.io is reachable"
  fi
}

ensure_build_tools() {
  step "Checking build tools"
  command -v cargo >/dev/null || fail "cargo is missing" "install Rust with rustup"
  ensure_wasm_target
  ensure_rust_src
  ensure_node_tools
  ensure_wasm_bindgen
  ensure_trunk
  # The release build profiles its first render in Chromium to split the wasm.
  ensure_wasm_split
  ensure_chromium
}

# SimPy from PyPI, for the engine-vs-SimPy ratio (benches/compare.sh). Debian's Python is
# "externally managed": install into the user site, which touches nothing of the system's.
ensure_simpy() {
  if python3 -c "import simpy, sys; sys.exit(simpy.__version__ != '$SIMPY_VERSION')" 2>/dev/null; then
    have "simpy $SIMPY_VERSION: installed"
  else
    step "pip install --user simpy==$SIMPY_VERSION"
    python3 -m pip install --quiet --user --break-system-packages "simpy==$SIMPY_VERSION" ||
      fail "installing simpy $SIMPY_VERSION failed" "check that PyPI is reachable and python3-pip is installed"
  fi
}

ensure_test_tools() {
  ensure_build_tools
  step "Checking test tools"
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
  ensure_cargo_fuzz
  ensure_mdbook
  ensure_simpy
}
