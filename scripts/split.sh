#!/usr/bin/env bash
# Trunk's post_build hook (Trunk.toml): splits a release build's wasm in two with scripts/split.mjs,
# so the first load fetches only what the first render runs. Debug builds are left whole, and
# SWITCHBOARD_NO_SPLIT=1 leaves a release build whole too.
set -euo pipefail
[ "${TRUNK_PROFILE:-}" = release ] || exit 0
if [ -n "${SWITCHBOARD_NO_SPLIT:-}" ]; then
  echo "split: SWITCHBOARD_NO_SPLIT is set, the wasm stays whole"
  exit 0
fi
source "$(dirname "$0")/setup.sh"
[ -x "$WASM_SPLIT" ] ||
  fail "no wasm-split at $WASM_SPLIT" "run scripts/serve.sh or scripts/test.sh once (they install it), or set SWITCHBOARD_NO_SPLIT=1"
[ -d "$ROOT/e2e/node_modules/playwright-core" ] ||
  fail "playwright-core is not installed" "run scripts/serve.sh or scripts/test.sh once, or set SWITCHBOARD_NO_SPLIT=1"
exec node "$ROOT/scripts/split.mjs" "$TRUNK_STAGING_DIR"
