#!/usr/bin/env bash
# bench/ab.sh — interleaved A/B runs: is build B faster than build A, on this noisy machine?
#
#   bench/ab.sh BIN_A BIN_B                 e.g. bench/ab.sh /tmp/before/leptos-api-routes /tmp/after/leptos-api-routes
#
# Two builds measured one at a time and alternately (A B, then B A, …), each on a copy of the same
# seeded database, so that what the machine does meanwhile (other builds on shared cores) falls on
# both about equally; then, per row, the median req/s and p99 of each and B's req/s as a ratio of A's
# within the same round (median and range). Copy the binaries out of target/ first: a build that runs
# meanwhile would replace them. With BASELINE set (the bare axum example), the hello row is also
# measured against it in every round, and "% of axum" is printed for A and B.
#
# Knobs (environment):
#   ROUNDS=3                 A/B pairs (the order alternates from one round to the next)
#   ROWS="hello comments ssr_home post"   any of: hello comments trivia ssr_home ssr_post post
#   CONNS=32 THREADS=1 DURATION=8s WARMUP=2s   wrk settings per row
#   BASELINE=                path to target/release/examples/bench_baseline (optional)
#   PORT=                    default: a free port on 127.0.0.1
#   SITE_ROOT=target/site    LEPTOS_SITE_ROOT of the servers
#   OUT=bench/out/ab         raw wrk output and logs
# Everything listens on 127.0.0.1, every wait and wrk run is bounded, every process started is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

[ $# -eq 2 ] || { echo "usage: bench/ab.sh BIN_A BIN_B" >&2; exit 2; }
BIN_A=$(realpath "$1") BIN_B=$(realpath "$2")
ROUNDS=${ROUNDS:-3}
ROWS=${ROWS:-hello comments ssr_home post}
CONNS=${CONNS:-32} THREADS=${THREADS:-1} DURATION=${DURATION:-8s} WARMUP=${WARMUP:-2s}
BASELINE=${BASELINE:-}
SITE_ROOT=$(realpath "${SITE_ROOT:-target/site}")
OUT=${OUT:-bench/out/ab}
HOST=127.0.0.1
PORT=${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
BASE="http://$HOST:$PORT"

die() { echo "bench/ab.sh: $*" >&2; exit 1; }
for bin in "$BIN_A" "$BIN_B" ${BASELINE:+"$BASELINE"}; do [ -x "$bin" ] || die "$bin is not an executable"; done
command -v wrk >/dev/null || die "wrk not found (bench/run.sh installs it)"
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ab.XXXXXX")
SERVER_PID=""
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
trap 'stop_server; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

wait_ok() { # wait_ok URL: 0 once URL answers 2xx, within 30 s
  for _ in $(seq 3000); do
    case "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1" || true)" in 2??) return 0 ;; esac
    sleep 0.01
  done
  return 1
}
start() { # start BINARY DATABASE_FILE [PATH]: the app reads its address from the environment; the
  # bare axum baseline (PATH given as "") takes it as its argument (the app refuses arguments it does
  # not know).
  local address_argument=()
  if [ "$1" = "$BASELINE" ]; then address_argument=("$HOST:$PORT"); fi
  (cd "$TMP" && exec env -i PATH="$PATH" HOME="$HOME" DATABASE_URL="sqlite://$2" LEPTOS_SITE_ADDR="$HOST:$PORT" \
    LEPTOS_SITE_ROOT="$SITE_ROOT" RUST_LOG=warn RATE_LIMIT_PER_MINUTE=0 "$1" "${address_argument[@]}") >>"$OUT/servers.log" 2>&1 &
  SERVER_PID=$!
  wait_ok "$BASE/${3-api/hello}" || die "$1 did not answer (see $OUT/servers.log)"
}

# The seed, made once with A and copied for every run: 1 post with 10 comments, as bench/run.sh seeds.
start "$BIN_A" "$TMP/seed.db"
curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
  -d '{"title":"Seed post","post":"This post exists so that /api/comments/1 has something to return."}' \
  "$BASE/api/post" || die "seeding failed"
for i in $(seq 10); do
  curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d "{\"comment\":\"Seed comment number $i\"}" \
    "$BASE/api/comments/1" || die "seeding failed"
done
stop_server


POST_BODY='{"title":"Benchmark post","post":"Posted by wrk from bench.sh; a short body of about one hundred bytes in total."}'
declare -A PATH_OF=([hello]=/api/hello [comments]=/api/comments/1 [trivia]=/api/trivia/42 [ssr_home]=/
  [ssr_post]=/posts/1 [post]=/api/post)
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { # utime + stime of a process, in clock ticks
  local s
  read -r s <"/proc/$1/stat"
  awk '{print $12 + $13}' <<<"${s##*) }"
}
row() { # row KEY FILE_PREFIX URL -> "REQ/S P99_MS ERRORS CPU_µS_PER_REQUEST" of one measured wrk run
  local method=GET body="" line ticks
  [ "$1" != post ] || { method=POST; body=$POST_BODY; }
  WRK_METHOD=$method WRK_BODY=$body timeout 120 wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" --timeout 5s \
    -s bench/wrk.lua "$3" >"$2.warmup.txt" 2>&1 || die "warm-up failed (see $2.warmup.txt)"
  ticks=$(cpu_ticks "$SERVER_PID")
  WRK_METHOD=$method WRK_BODY=$body timeout 120 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 5s \
    --latency -s bench/wrk.lua "$3" >"$2.txt" 2>&1 || true
  ticks=$(( $(cpu_ticks "$SERVER_PID") - ticks ))
  line=$(grep '^RESULT ' "$2.txt") || die "no RESULT line in $2.txt"
  awk -v ticks="$ticks" -v hz="$CLK_TCK" '{for (i = 2; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}
        errors = v["err_connect"] + v["err_read"] + v["err_write"] + v["err_timeout"] + v["err_status"]
        printf "%s %.2f %d %.1f\n", v["rps"], v["p99_us"] / 1000, errors, 1e6 * ticks / hz / v["requests"]}' <<<"$line"
}

declare -A RPS P99 CPU
for round in $(seq "$ROUNDS"); do
  order="A B"; [ $((round % 2)) -eq 1 ] || order="B A"
  for which in $order; do
    bin=$BIN_A; [ "$which" = A ] || bin=$BIN_B
    cp "$TMP/seed.db" "$TMP/run.db"
    rm -f "$TMP/run.db-wal" "$TMP/run.db-shm"
    start "$bin" "$TMP/run.db"
    for key in $ROWS; do
      read -r rps p99 errors cpu <<<"$(row "$key" "$OUT/$round-$which-$key" "$BASE${PATH_OF[$key]}")"
      [ "$errors" -eq 0 ] || echo "  round $round $which $key: $errors errors (see $OUT/$round-$which-$key.txt)" >&2
      RPS[$round,$which,$key]=$rps P99[$round,$which,$key]=$p99 CPU[$round,$which,$key]=$cpu
      printf '  round %d %s %-9s %9.0f req/s  p99 %6.2f ms  %6.1f µs CPU per request\n' \
        "$round" "$which" "$key" "$rps" "$p99" "$cpu" >&2
    done
    stop_server
  done
  if [ -n "$BASELINE" ]; then
    start "$BASELINE" "$TMP/unused.db" ""
    read -r rps p99 _ cpu <<<"$(row baseline "$OUT/$round-axum" "$BASE/")"
    RPS[$round,axum]=$rps P99[$round,axum]=$p99 CPU[$round,axum]=$cpu
    printf '  round %d bare axum %9.0f req/s  p99 %6.2f ms  %6.1f µs CPU per request\n' "$round" "$rps" "$p99" "$cpu" >&2
    stop_server
  fi
done

stats() { sort -g | awk '{a[NR] = $1} END{printf "%s [%s–%s]", a[int((NR + 1) / 2)], a[1], a[NR]}'; }
each_round() { # each_round ARRAY KEY: the ARRAY[round,KEY] values, one a line
  local -n values=$1
  for r in $(seq "$ROUNDS"); do echo "${values[$r,$2]}"; done
}
ratios() { # ratios ARRAY KEY_A KEY_B: ARRAY[round,KEY_B] / ARRAY[round,KEY_A] per round
  local -n values=$1
  for r in $(seq "$ROUNDS"); do
    awk -v a="${values[$r,$2]}" -v b="${values[$r,$3]}" 'BEGIN{printf "%.3f\n", b / a}'
  done
}
echo
echo "A: $BIN_A"
echo "B: $BIN_B"
echo "$ROUNDS rounds, order alternating, wrk -t$THREADS -c$CONNS -d$DURATION after $WARMUP; medians [ranges]; $(nproc) cores, load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| row | A req/s | B req/s | B ÷ A | A p99 ms | B p99 ms | A µs CPU/req | B µs CPU/req | B ÷ A CPU |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for key in $ROWS; do
  echo "| ${PATH_OF[$key]} | $(each_round RPS "A,$key" | stats) | $(each_round RPS "B,$key" | stats) |" \
    "$(ratios RPS "A,$key" "B,$key" | stats) | $(each_round P99 "A,$key" | stats) |" \
    "$(each_round P99 "B,$key" | stats) | $(each_round CPU "A,$key" | stats) |" \
    "$(each_round CPU "B,$key" | stats) | $(ratios CPU "A,$key" "B,$key" | stats) |"
done
if [ -n "$BASELINE" ]; then
  echo "| bare axum \`/\` | $(each_round RPS axum | stats) | | | $(each_round P99 axum | stats) | | $(each_round CPU axum | stats) | | |"
  if [[ " $ROWS " == *" hello "* ]]; then
    for which in A B; do
      echo "- /api/hello of $which as a share of bare axum in the same round: req/s $(ratios RPS axum "$which,hello" | stats)," \
        "CPU per request $(ratios CPU "$which,hello" axum | stats)"
    done
  fi
fi
