#!/usr/bin/env bash
# bench/instructions.sh BIN PATH [VARIABLE=VALUE…] — the CPU instructions one request costs the
# server, counted by valgrind's callgrind: repeatable to a fraction of a percent where wall-clock
# rates swing by tens of percent on a shared machine, so two builds or two settings can be compared
# (a relative measure: instructions are not time, and valgrind runs the threads one at a time).
#
#   bench/instructions.sh /tmp/obs/after /api/hello OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318
#
# The server (every thread: the runtime, SQLite's, the span exporter's) runs under callgrind with
# counting off, on a fresh SQLite file seeded as bench/ab.sh seeds (1 post, 10 comments) and warmed
# up with WARMUP requests (and SETTLE seconds); then counting is on for REQUESTS requests to PATH, one keep-alive
# connection, one at a time, and SETTLE seconds more (the batch exporter's timer: 5 s by default,
# so the spans of those requests are exported within the count). Prints "PATH: N instructions per
# request". Knobs: REQUESTS=2000 WARMUP=300 SETTLE=6 SITE_ROOT=target/site OUT=bench/out/instructions.
# Everything listens on 127.0.0.1; the server is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: bench/instructions.sh BIN PATH [VARIABLE=VALUE…]" >&2; exit 2; }
BIN=$(realpath "$1") URL_PATH=$2
shift 2
REQUESTS=${REQUESTS:-2000} WARMUP=${WARMUP:-300} SETTLE=${SETTLE:-6}
SITE_ROOT=$(realpath "${SITE_ROOT:-target/site}")
OUT=${OUT:-bench/out/instructions}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
command -v valgrind >/dev/null || { echo "valgrind not found (apt-get install valgrind)" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/instructions.XXXXXX")
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
SERVER_PID=""
stop() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
trap 'stop; rm -rf "$TMP"' EXIT

(cd "$TMP" && exec env -i PATH="$PATH" HOME="$HOME" DATABASE_URL="sqlite://$TMP/run.db" \
  LEPTOS_SITE_ADDR="127.0.0.1:$PORT" LEPTOS_SITE_ROOT="$SITE_ROOT" RUST_LOG=warn RATE_LIMIT_PER_MINUTE=0 "$@" \
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$TMP/callgrind.out" "$BIN") \
  >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 600); do
  curl -sf -o /dev/null --max-time 2 "$BASE/api/hello" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server stopped (see $OUT/server.log)" >&2; exit 1; }
  sleep 0.2
done
curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
  -d '{"title":"Seed post","post":"This post exists so that /api/comments/1 has something to return."}' "$BASE/api/post"
for i in $(seq 10); do
  curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d "{\"comment\":\"Seed comment number $i\"}" \
    "$BASE/api/comments/1"
done

requests() { # requests N: GET PATH N times on one keep-alive connection; fails on any non-2xx
  python3 - "$PORT" "$URL_PATH" "$1" <<'EOF'
import http.client, sys
port, path, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for _ in range(count):
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    if response.status // 100 != 2:
        sys.exit(f"{path}: {response.status}")
EOF
}
requests "$WARMUP"
sleep "$SETTLE" # the warm-up's spans exported before counting starts
callgrind_control -i on "$SERVER_PID" >/dev/null
requests "$REQUESTS"
sleep "$SETTLE"
callgrind_control -i off "$SERVER_PID" >/dev/null
stop
total=$(awk '/Collected :/ {print $NF}' "$OUT/server.log" | tail -n 1)
cp "$TMP"/callgrind.out* "$OUT/" 2>/dev/null || true
awk -v total="$total" -v n="$REQUESTS" -v path="$URL_PATH" \
  'BEGIN {printf "%s: %.0f instructions per request (%s in %d requests)\n", path, total / n, total, n}'
