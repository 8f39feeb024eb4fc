#!/usr/bin/env bash
# Every check and test of the project, as CI runs it (`make test` calls this after setup):
# formatting, clippy for both halves, the Rust integration tests, the debug and release builds, then
# the standards' suites (conformance/) and Playwright in Chromium against the freshly built (debug)
# site. Stops at the first
# failure; ends with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# cargo-leptos builds the debug server with this flag; using it here too lets every step share target/.
export RUSTFLAGS="--cfg erase_components"
# Queries are checked at compile time against the committed .sqlx/ cache, not a live database.
export SQLX_OFFLINE=true

log=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$log"
}
trap cleanup EXIT

step() { printf '\n==> %s\n' "$*"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

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

# --- The standards' own suites (conformance/run.sh) ------------------------------------------------
step "conformance: GraphQL over HTTP audit, OpenAPI validators, schemathesis (every check, every phase)"
# The debug server just built, on a free port with a fresh database. Rate limiting off: schemathesis
# sends hundreds of POSTs in seconds, and 429s would hide the answers it is checking. Preview mode and
# the webhook on, with the secrets schemathesis signs in with, so their checks (secret, signature) are
# what answers, not "not enabled". What runs, each bounded by `timeout` (about a minute in all):
# - graphql-http's auditServer on /api/graphql: fails on any error (MUST) or warning (SHOULD);
# - openapi-spec-validator and `redocly lint` (recommended rules, warnings as errors) on
#   /api/openapi.json;
# - schemathesis with `--checks all` (no 5xx; statuses, content types, headers and bodies as
#   documented; what the schema allows is accepted and what it refuses is refused; 405 with a
#   truthful `Allow`; missing required headers refused; credentials checked; created resources
#   readable) over the examples, coverage, fuzzing (30 cases per operation) and stateful phases,
#   warnings counted as failures. The document states the text rules exactly (length after
#   trimming, as a pattern) and describes the no-JavaScript forms' bodies apart (any text: invalid
#   input is answered 303 back to the form), so no check has to be left out.
# conformance/run.sh says the same at more length; run it by hand against `cargo leptos watch`.
export PREVIEW_SECRET=conformance-preview WEBHOOK_SECRET=conformance-webhook
port=$(free_port)
DATABASE_URL="sqlite://$log/conformance/app.db" LEPTOS_SITE_ADDR="127.0.0.1:$port" \
  LEPTOS_SITE_ROOT=target/site RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn \
  target/debug/leptos-api-routes >"$log/conformance-server.txt" 2>&1 &
server_pid=$!
for attempt in $(seq 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/api/health" 2>/dev/null && break
  if [ "$attempt" = 100 ] || ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the server did not become healthy:" && cat "$log/conformance-server.txt" && exit 1
  fi
  sleep 0.1
done
conformance/run.sh "http://127.0.0.1:$port"
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=
unset PREVIEW_SECRET WEBHOOK_SECRET
# --- end of the standards' suites ------------------------------------------------------------------

step "Playwright end-to-end tests in Chromium"
port=$(free_port)
(cd end2end && E2E_PORT="$port" npx playwright test) 2>&1 | tee "$log/playwright.txt"

rust_passed=$(awk '/^test result:/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^passed/) sum += $i } END { print sum + 0 }' "$log/cargo.txt")
e2e_passed=$(grep -E '^ +[0-9]+ passed' "$log/playwright.txt" | sed -E 's/^ +([0-9]+) passed.*/\1/' | tail -n 1)
printf '\n%s passed, 0 failed\n' "$((rust_passed + ${e2e_passed:-0}))"
