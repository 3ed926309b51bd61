#!/usr/bin/env bash
# Sets up a fresh machine (only what is missing), builds Switchboard in release and serves it on
# http://127.0.0.1:8080 with its default scenario. Ctrl+C stops it.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
cd "$ROOT"
ensure_build_tools
step "trunk serve --release on http://127.0.0.1:8080"
exec env "${RELEASE_WASM_ENV[@]}" trunk serve --release "$@"
