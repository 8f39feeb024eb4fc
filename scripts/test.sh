#!/usr/bin/env bash
# Every check and test of the project, as CI runs it (`make test` calls this after setup):
# formatting, clippy for both halves, the Rust integration tests, the debug and release builds, then
# Playwright in Chromium against the freshly built (debug) site. Stops at the first failure; ends
# with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# cargo-leptos builds the debug server with this flag; using it here too lets every step share target/.
export RUSTFLAGS="--cfg erase_components"
# Queries are checked at compile time against the committed .sqlx/ cache, not a live database.
export SQLX_OFFLINE=true

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy, server (ssr)"
cargo clippy --features ssr --all-targets --locked -- -D warnings

step "clippy, browser (hydrate, wasm32)"
cargo clippy --lib --features hydrate --target wasm32-unknown-unknown --locked -- -D warnings

step "Rust integration tests (real server, fresh SQLite file per test)"
# Bounded: a test that hangs fails the run instead of holding CI until its own limit.
timeout 900 cargo test --features ssr --locked 2>&1 | tee "$log/cargo.txt"

# Deployments and bench/run.sh use the release build, whose wasm profile (opt-level z, LTO) fails in
# ways the debug build does not: build it too, so it cannot break unnoticed. Without the debug-only
# RUSTFLAGS above (they would make it a different, slower build), and before the debug build, which
# then leaves its own files in target/site for Playwright.
step "release build (cargo leptos build --release)"
env -u RUSTFLAGS cargo leptos build --release

step "build the site (cargo leptos build)"
cargo leptos build

step "Playwright end-to-end tests in Chromium"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd end2end && E2E_PORT="$port" npx playwright test) 2>&1 | tee "$log/playwright.txt"

rust_passed=$(awk '/^test result:/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^passed/) sum += $i } END { print sum + 0 }' "$log/cargo.txt")
e2e_passed=$(grep -E '^ +[0-9]+ passed' "$log/playwright.txt" | sed -E 's/^ +([0-9]+) passed.*/\1/' | tail -n 1)
printf '\n%s passed, 0 failed\n' "$((rust_passed + ${e2e_passed:-0}))"
