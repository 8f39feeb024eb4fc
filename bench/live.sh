#!/usr/bin/env bash
# bench/live.sh — live comments under load (issue 23), next to the Next.js anchor in the same run.
#
# For N in $COUNTS (default "1000 5000") streams on one post, in this order for each N: this app on
# SQLite (one release server), the anchor's `next start` (one process), this app on PostgreSQL as
# two instances with the streams split between them (comments posted to the first). Each row is
# examples/bench_live.rs: the servers' resident memory before and with the streams open (per
# stream), then COMMENTS comments 250 ms apart, and the time from each one's 201 to its event on
# every stream (p50, p99, max; events missing or repeated). With N=1000 it also sits IDLE seconds
# with the streams open and counts the servers' CPU time and thread wake-ups (context switches).
# Everything on 127.0.0.1, every process stopped at the end. It first builds the release server and
# the release client (`cargo build --release … --bin leptos-api-routes --example bench_live`, a no-op
# when up to date; BUILD=0 skips it): a debug client reads its sockets slower and inflates every
# latency. The anchor needs its build first (bench/README.md says how; NEXTJS_WORK); WITH_NEXTJS=0
# leaves its rows out.
#
# Knobs: COUNTS="1000 5000" COMMENTS=20 IDLE=60 PORT=3410 NEXT_PORT=3411 PORT_B=3412 OUT=bench/out/live
#        NEXTJS_WORK=~/.cache/leptos-api-routes-bench/nextjs  WITH_NEXTJS=1  WITH_POSTGRES=1  BUILD=1
#        SERVER_BIN=target/release/leptos-api-routes  CLIENT_BIN=target/release/examples/bench_live
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
COUNTS=${COUNTS:-1000 5000}
COMMENTS=${COMMENTS:-20}
IDLE=${IDLE:-60}
PORT=${PORT:-3410}
NEXT_PORT=${NEXT_PORT:-3411}
PORT_B=${PORT_B:-3412}
OUT=${OUT:-bench/out/live}
NEXTJS_WORK=${NEXTJS_WORK:-$HOME/.cache/leptos-api-routes-bench/nextjs}
WITH_NEXTJS=${WITH_NEXTJS:-1}
WITH_POSTGRES=${WITH_POSTGRES:-1}
BUILD=${BUILD:-1}
SERVER_BIN=${SERVER_BIN:-$ROOT/target/release/leptos-api-routes}
CLIENT_BIN=${CLIENT_BIN:-$ROOT/target/release/examples/bench_live}
if [ "$BUILD" = 1 ]; then
  # The release profile chooses its own flags; a RUSTFLAGS left over from a debug shell would change them.
  env -u RUSTFLAGS cargo build --release --locked --features ssr --bin leptos-api-routes --example bench_live
fi
for bin in "$SERVER_BIN" "$CLIENT_BIN"; do
  [ -x "$bin" ] || { echo "bench/live.sh: $bin is missing (BUILD=1 builds it)" >&2; exit 1; }
done
mkdir -p "$OUT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/leptos-api-routes-live.XXXXXX")
# 5 000 streams are 5 000 sockets on each side, plus the servers' own files.
ulimit -n 20000

PIDS=()
source scripts/throwaway-postgres.sh
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  throwaway_postgres_stop
  rm -rf "$TMP"
}
trap cleanup EXIT

wait_up() { # wait_up URL
  for _ in $(seq 300); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "no answer from $1" >&2; exit 1
}
seed() { # seed BASE: one post, id 1
  curl -fsS -o /dev/null "$1/api/post" -H 'Content-Type: application/json' \
    -d '{"title":"Live bench","post":"Streams on this one."}'
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# MIMALLOC_PURGE_DELAY=0: mimalloc gives freed pages back at once instead of at its next busy moment,
# so the idle server's RSS does not include what its start freed (about 19 MiB, which the first
# streams would reuse unseen: 1 000 idle connections then *lowered* the RSS of a fresh server).
app() { # app PORT DATABASE_URL -> sets APP_PID
  DATABASE_URL=$2 LEPTOS_SITE_ADDR="127.0.0.1:$1" LEPTOS_SITE_ROOT=target/site RUST_LOG=warn \
    RATE_LIMIT_PER_MINUTE=0 SSE_MAX_STREAMS=10000 MIMALLOC_PURGE_DELAY=${MIMALLOC_PURGE_DELAY:-0} \
    "$SERVER_BIN" >>"$OUT/app-$1.log" 2>&1 &
  APP_PID=$!
  PIDS+=("$APP_PID")
  wait_up "http://127.0.0.1:$1/api/health"
}

next_app() { # -> sets NEXT_PID
  (cd "$NEXTJS_WORK" && NEXT_TELEMETRY_DISABLED=1 DB_PATH="$TMP/next-$RANDOM.db" \
    exec node node_modules/next/dist/bin/next start -H 127.0.0.1 -p "$NEXT_PORT") >>"$OUT/next.log" 2>&1 &
  NEXT_PID=$!
  PIDS+=("$NEXT_PID")
  wait_up "http://127.0.0.1:$NEXT_PORT/api/hello"
}

row() { # row LABEL N IDLE --server ADDR=PID ...
  local label=$1 n=$2 idle=$3
  shift 3
  local json
  json=$("$CLIENT_BIN" --post 1 --streams "$n" --comments "$COMMENTS" --idle-secs "$idle" "$@")
  echo "$label $json" | tee -a "$OUT/rows.txt"
}

: >"$OUT/rows.txt"
for n in $COUNTS; do
  idle=0
  [ "$n" = 1000 ] && idle=$IDLE
  app "$PORT" "sqlite://$TMP/app-$n.db"
  seed "http://127.0.0.1:$PORT"
  row "app-sqlite" "$n" "$idle" --server "127.0.0.1:$PORT=$APP_PID"
  stop "$APP_PID"

  if [ "$WITH_NEXTJS" = 1 ]; then
    next_app
    seed "http://127.0.0.1:$NEXT_PORT"
    row "nextjs" "$n" "$idle" --server "127.0.0.1:$NEXT_PORT=$NEXT_PID"
    stop "$NEXT_PID"
  fi

  if [ "$WITH_POSTGRES" = 1 ]; then
    [ -n "${THROWAWAY_POSTGRES_URL:-}" ] || throwaway_postgres_start max_connections=100
    database=$(throwaway_postgres_database "live_$n" "$THROWAWAY_POSTGRES_URL")
    app "$PORT" "$database"; a=$APP_PID
    app "$PORT_B" "$database"; b=$APP_PID
    seed "http://127.0.0.1:$PORT"
    row "app-postgres-2" "$n" 0 --server "127.0.0.1:$PORT=$a" --server "127.0.0.1:$PORT_B=$b"
    stop "$a"; stop "$b"
  fi
done
