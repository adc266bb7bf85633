#!/usr/bin/env bash
# Runs every test of Nexus POS, installing what it needs first.
set -euo pipefail
. "$(dirname "$0")/setup.sh"
cd "$NEXUS_ROOT"

ensure_base
ensure_desktop_packages
ensure_node
ensure_rust
ensure_tauri_driver
ensure_chromium
ensure_postgres
export NEXUS_TEST_PG_URL="$NEXUS_PG_URL"

say "user interface: types, unit tests, build"
build_ui
(cd ui && npm run typecheck && npm test)

say "formatting"
cargo fmt --all -- --check
say "lints"
cargo clippy --workspace --all-targets --locked -- -D warnings
say "tests"
# The terminal keeps its secrets in the OS secret store: give the tests a
# private, unlocked one. The desktop tests start their own X display; the
# console tests run Chromium headless (/usr/bin/chromium, /usr/bin/chromedriver).
rm -rf target/e2e-screenshots
scripts/with-keyring.sh cargo test --workspace --locked --no-fail-fast
say "all tests passed"
