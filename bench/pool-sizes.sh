#!/usr/bin/env bash
# bench/pool-sizes.sh — PostgreSQL pool sizes A/B: the release server on a throwaway cluster with
# DATABASE_MAX_CONNECTIONS=N for each N given, interleaved, on a fresh database seeded like
# bench/run.sh's (1 post, 10 comments), then wrk on /api/comments/1, / and POST /api/post.
#
#   bench/pool-sizes.sh "4 8 16 32" 2      # sizes, rounds (each round runs every size once)
#
# Needs the release build (bench/run.sh or `cargo leptos build --release`), wrk and PostgreSQL's
# server binaries. Loopback only; everything it starts stops at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
source scripts/throwaway-postgres.sh
SIZES=${1:-"8 16"} ROUNDS=${2:-2}
SERVER_BIN=$ROOT/target/release/leptos-api-routes
[ -x "$SERVER_BIN" ] || { echo "no release build at $SERVER_BIN" >&2; exit 1; }
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
SERVER_PID=""
trap '[ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null; throwaway_postgres_stop' EXIT
throwaway_postgres_start max_connections=200
POST_BODY='{"title":"Benchmark post","post":"Posted by wrk from bench.sh; a short body of about one hundred bytes in total."}'

row() { # row SIZE NAME METHOD PATH [BODY]: a 2 s warm-up, then 8 s measured
  local method=$3 body=${5:-}
  WRK_METHOD=$method WRK_BODY=$body timeout 60 wrk -t1 -c32 -d2s -s bench/wrk.lua "$BASE$4" >/dev/null
  WRK_METHOD=$method WRK_BODY=$body timeout 60 wrk -t1 -c32 -d8s --latency -s bench/wrk.lua "$BASE$4" |
    awk -v size="$1" -v name="$2" '/^RESULT/ {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      printf "pool %-3s %-9s %6.0f req/s  p99 %6.2f ms  errors %d\n", size, name, v["rps"], v["p99_us"] / 1000, v["err_status"] + v["err_connect"] + v["err_timeout"]
    }'
}
for round in $(seq "$ROUNDS"); do
  for size in $SIZES; do
    url=$(throwaway_postgres_database "pool_${round}_${size}")
    (cd "$(mktemp -d)" && exec env -i PATH="$PATH" DATABASE_URL="$url" LEPTOS_SITE_ADDR="127.0.0.1:$PORT" \
      LEPTOS_SITE_ROOT="$ROOT/target/site" RUST_LOG=warn RATE_LIMIT_PER_MINUTE=0 \
      DATABASE_MAX_CONNECTIONS="$size" "$SERVER_BIN") >/dev/null 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do curl -sf -o /dev/null "$BASE/api/hello" && break; sleep 0.1; done
    curl -sf -o /dev/null -H 'Content-Type: application/json' -d '{"title":"Seed post","post":"Seed"}' "$BASE/api/post"
    for i in $(seq 10); do
      curl -sf -o /dev/null -H 'Content-Type: application/json' -d "{\"comment\":\"Seed comment $i\"}" "$BASE/api/comments/1"
    done
    row "$size" comments GET /api/comments/1
    row "$size" ssr GET /
    row "$size" post POST /api/post "$POST_BODY"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  done
done
