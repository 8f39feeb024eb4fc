#!/usr/bin/env bash
# Every check and test of the project, as CI runs it (`make test` calls this after setup):
# formatting, clippy for both halves, the Rust integration tests, the debug build and the standards'
# own suites against it (conformance/: GraphQL over HTTP audit, OpenAPI validators, schemathesis),
# then the one-file release: its own tests (served byte for byte from an empty folder, its container
# image), and Playwright in Chromium against it, copied alone into an empty folder. The Rust
# integration tests and Playwright run twice: on SQLite, then on PostgreSQL (a throwaway cluster this
# script starts, or the server TEST_DATABASE_URL names); the API suite a third time through PgBouncer
# in front of that server. Stops at the first failure; ends with one
# "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# cargo-leptos builds the debug server with this flag; using it here too lets every step share target/.
export RUSTFLAGS="--cfg erase_components"
# Queries are checked at compile time against the committed .sqlx/ cache, not a live database.
export SQLX_OFFLINE=true

log=$(mktemp -d)
server_pid=
source scripts/throwaway-postgres.sh
source scripts/throwaway-pgbouncer.sh
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  throwaway_pgbouncer_stop
  throwaway_postgres_stop
  rm -rf "$log"
}
trap cleanup EXIT

# Each step says when it starts, in seconds since the script did.
step() { printf '\n==> %s (at %d s)\n' "$*" "$SECONDS"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "the floors of src/: no upward import, no circle (scripts/check-floors.py, docs/architecture.md)"
python3 scripts/check-floors.py

step "the docs' links: every file and heading they name exists (scripts/check-links.py)"
python3 scripts/check-links.py

step "clippy, server (ssr)"
cargo clippy --features ssr --all-targets --locked -- -D warnings

step "clippy, browser (hydrate, wasm32)"
cargo clippy --lib --features hydrate --target wasm32-unknown-unknown --locked -- -D warnings

step "Rust integration tests (real server, fresh SQLite file per test)"
# Bounded: a test that hangs fails the run instead of holding CI until its own limit. The tests of
# what only PostgreSQL does (postgres::) run in the PostgreSQL pass below.
timeout 900 cargo test --features ssr --locked -- --skip postgres:: 2>&1 | tee "$log/cargo.txt"

# ---- PostgreSQL (the second backend): a server for the passes below --------------------------------
# The server TEST_DATABASE_URL names (it must let its user create databases), else a throwaway cluster
# on a free loopback port, fsync off (nothing here needs to survive a power cut), removed on exit.
postgres_url=
postgres_server() {
  if [ -n "$postgres_url" ]; then return; fi
  if [ -n "${TEST_DATABASE_URL:-}" ]; then
    postgres_url=$TEST_DATABASE_URL
  else
    # Each test opens a pool of its own, and a few tests run several servers: room for all of them.
    throwaway_postgres_start fsync=off max_connections=300
    postgres_url=$THROWAWAY_POSTGRES_URL
  fi
}

step "Rust integration tests on PostgreSQL (every test again, a fresh database per test)"
postgres_server
# Every target that runs on the suite's database (tests/deploy runs binaries; tests/unit starts none).
TEST_DATABASE_URL=$postgres_url timeout 900 \
  cargo test --features ssr --locked --test api --test server --test postgres --test lambda \
  --test observability 2>&1 |
  tee "$log/cargo-postgres.txt"

# Issue 25 (docs/high-availability.md): DATABASE_URL may name a pooler. The integration suite again,
# through PgBouncer in session mode in front of the same server (scripts/throwaway-pgbouncer.sh);
# transaction mode is tests/postgres/pooler.rs's, when a PgBouncer 1.21 or later is found.
step "Rust integration tests on PostgreSQL through PgBouncer (session mode)"
throwaway_pgbouncer_start "$postgres_url"
TEST_DATABASE_URL=$THROWAWAY_PGBOUNCER_URL timeout 900 \
  cargo test --features ssr --locked --test api 2>&1 | tee "$log/cargo-pgbouncer.txt"
throwaway_pgbouncer_stop

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
# Introspection on (a debug build's default, said here because the audit asks for `__type`). Event
# streams end after 300 ms (SSE_STREAM_LIFETIME_MS), so schemathesis reads their whole body.
export PREVIEW_SECRET=conformance-preview WEBHOOK_SECRET=conformance-webhook
port=$(free_port)
DATABASE_URL="sqlite://$log/conformance/app.db" LEPTOS_SITE_ADDR="127.0.0.1:$port" \
  LEPTOS_SITE_ROOT=target/site RATE_LIMIT_PER_MINUTE=0 RUST_LOG=warn GRAPHQL_INTROSPECTION=true \
  SSE_STREAM_LIFETIME_MS=300 SIGNIN_LIMIT_PER_MINUTE=0 SIGNIN_ADDRESS_LIMIT_PER_MINUTE=0 \
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

# Deployments and bench/run.sh use the release build, whose wasm profile (opt-level z, LTO) fails in
# ways the debug build does not. scripts/release.sh runs it without the debug-only RUSTFLAGS above
# (they would make it a different, slower build), then packs the finished target/site into a copy of
# the binary: target/dist/leptos-api-routes, the one file a deployment copies.
step "one-file release (scripts/release.sh: cargo leptos build --release, then pack)"
scripts/release.sh
release="$PWD/target/dist/leptos-api-routes"

# The tests/deploy tests that `cargo test` above skipped (#[ignore]) for want of the release: it
# serves every file of target/site byte for byte from an empty folder, deploy/Containerfile's
# image, built with buildah, starts, answers, keeps its data in its volume, stops on SIGTERM, and
# the release zipped by deploy/lambda/package.sh runs as a Lambda function against a stand-in of the
# Runtime API (its wasm whole, its glibc within provided.al2023's, its cold starts printed).
step "the one-file release, its container image and its Lambda function (tests/deploy)"
RELEASE_BINARY="$release" timeout 600 \
  cargo test --features ssr --locked --test deploy -- --ignored --test-threads=1 2>&1 | tee -a "$log/cargo.txt"

# The issue's "done when": the release copied alone into an empty folder, with no LEPTOS_SITE_ROOT,
# passes the whole suite (end2end/tests/caching.spec.ts: a second visit downloads only the HTML).
step "Playwright end-to-end tests in Chromium, against the one-file release alone in an empty folder"
mkdir "$log/one-file"
cp "$release" "$log/one-file/"
port=$(free_port)
(cd end2end && E2E_BINARY="$log/one-file/leptos-api-routes" E2E_PORT="$port" npx playwright test) 2>&1 |
  tee "$log/playwright.txt"

step "Playwright end-to-end tests in Chromium, on PostgreSQL"
postgres_server
port=$(free_port)
e2e_database=$(throwaway_postgres_database leptos_api_routes_e2e "$postgres_url")
(cd end2end && E2E_BINARY="$log/one-file/leptos-api-routes" E2E_PORT="$port" \
  E2E_DATABASE_URL="$e2e_database" npx playwright test) 2>&1 |
  tee "$log/playwright-postgres.txt"
# The suite wrote its posts to PostgreSQL, not to a SQLite file by mistake.
e2e_posts=$(psql -Atc 'SELECT COUNT(*) FROM posts' "$e2e_database")
[ "$e2e_posts" -gt 0 ] || { echo "Playwright on PostgreSQL wrote no post to $e2e_database" >&2; exit 1; }

rust_passed=$(awk '/^test result:/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^passed/) sum += $i } END { print sum + 0 }' \
  "$log/cargo.txt" "$log/cargo-postgres.txt" "$log/cargo-pgbouncer.txt")
e2e_passed=0
for run in playwright playwright-postgres; do
  passed=$(grep -E '^ +[0-9]+ passed' "$log/$run.txt" | sed -E 's/^ +([0-9]+) passed.*/\1/' | tail -n 1)
  e2e_passed=$((e2e_passed + ${passed:-0}))
done
printf '\n%s passed, 0 failed\n' "$((rust_passed + e2e_passed))"
