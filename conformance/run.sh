#!/usr/bin/env bash
# The standards' own test suites against a running server (scripts/test.sh runs this against the
# debug build; by hand: start the app, then `conformance/run.sh http://127.0.0.1:3000`):
#
# 1. GraphQL over HTTP: graphql-http's `auditServer` on /api/graphql (graphql-audit.mjs); any error
#    (a MUST) or warning (a SHOULD) fails.
# 2. OpenAPI: /api/openapi.json through openapi-spec-validator (is it a valid OpenAPI 3.1
#    document?) and Redocly's lint (redocly.yaml: the recommended rules, warnings count as errors).
# 3. HTTP API behaviour: schemathesis with every check and every phase (schemathesis.toml).
#
# The server must run with PREVIEW_SECRET and WEBHOOK_SECRET set to the values in this environment
# (schemathesis signs in with them) and without a write rate limit (RATE_LIMIT_PER_MINUTE=0: the
# fuzzer sends hundreds of POSTs in seconds, and 429s would hide the answers it checks). Its
# database should be fresh: one post is created first, so /api/preview has a page to preview.
# Needs `npm ci` in conformance/ and .venv/ (scripts/setup.sh installs both). Stops at the first
# failing suite.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
base_url="${1:?usage: conformance/run.sh <base URL of the running server, e.g. http://127.0.0.1:3000>}"
: "${PREVIEW_SECRET:?set PREVIEW_SECRET to the server's}" "${WEBHOOK_SECRET:?set WEBHOOK_SECRET to the server's}"
venv="$here/../.venv/bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

step() { printf '\n--> %s\n' "$*"; }

step "GraphQL over HTTP: graphql-http audit of $base_url/api/graphql"
timeout 120 node "$here/graphql-audit.mjs" "$base_url/api/graphql"

step "OpenAPI: openapi-spec-validator"
curl -fsS "$base_url/api/openapi.json" -o "$work/openapi.json"
timeout 120 "$venv/openapi-spec-validator" "$work/openapi.json"

step "OpenAPI: Redocly lint (recommended rules, warnings are errors)"
# No telemetry and no update check: this runs offline, in CI.
(cd "$here" && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
  timeout 120 node_modules/.bin/redocly lint --config redocly.yaml "$work/openapi.json")

step "schemathesis: every check, every phase"
# One post, the page /api/preview's documented example slug (/posts/1) points to.
curl -fsS -o /dev/null "$base_url/api/post" -H 'Content-Type: application/json' \
  -d '{"title":"Conformance","post":"The post /api/preview?slug=/posts/1 previews."}'
# Every operation: the documented examples, boundary and invalid values of each parameter and body
# field (coverage), random ones (fuzzing, at most 30 per operation), then chains of calls along the
# links schemathesis infers (stateful). `-c all`: no 5xx; statuses, content types, headers and bodies
# as documented; what the schema allows is accepted and what it refuses is refused (the forms'
# schema allows any text, since invalid form input is answered 303 back to the form); a method a
# path does not document gets 405 with a truthful `Allow`; a missing required header is refused;
# credentials are checked (sent without or with wrong ones); created resources can be read, deleted
# ones cannot. Redirects are not followed, so the 303s and 307s themselves are checked. Run from
# $work, where schemathesis leaves its own files.
(cd "$work" && CONFORMANCE_BASE_URL="$base_url" SCHEMATHESIS_HOOKS="$here/schemathesis_hooks.py" timeout 300 \
  "$venv/schemathesis" --config-file "$here/schemathesis.toml" run "$base_url/api/openapi.json" \
  --checks all --max-examples 30 --max-redirects 0 --request-timeout 10 \
  --generation-database none --no-color)
