#!/usr/bin/env bash
# bench/ab-postgres.sh — two builds of the server on PostgreSQL, A/B, interleaved: for a change whose
# effect is smaller than the noise between two bench/run.sh sessions on a shared machine.
#
#   bench/ab-postgres.sh /tmp/server-a /tmp/server-b 3     # binary A, binary B, rounds
#
# Each round runs A then B (then B then A in the next round, so neither always goes first), each on
# a fresh database of the same throwaway cluster (PostgreSQL's default settings — fsync and
# `synchronous_commit` on — as bench/run.sh's), seeded like bench/run.sh's (1 post, 10 comments),
# then wrk (-t1 -c32, 2 s warm-up, 8 s measured) on POST /api/post, GET /api/comments/1 and GET /.
# Prints one line per row with req/s, p99, errors, and the CPU time (100% = one core) of the server
# (srv%), of PostgreSQL's processes (db%) and of the rest of the machine, wrk included (other%).
# Binaries: release builds copied out of target/release/ (they serve target/site/ for the pages).
# Loopback only; everything it starts stops at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
[ $# -eq 3 ] || { echo "usage: bench/ab-postgres.sh BINARY_A BINARY_B ROUNDS" >&2; exit 2; }
declare -A BIN=([A]=$1 [B]=$2)
ROUNDS=$3
PORT=${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
BASE="http://127.0.0.1:$PORT"
SERVER_PID=""
CLK_TCK=$(getconf CLK_TCK)

source scripts/throwaway-postgres.sh
trap '[ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null; throwaway_postgres_stop' EXIT
throwaway_postgres_start max_connections=200 >/dev/null
POSTMASTER=$(head -n 1 "$THROWAWAY_POSTGRES_DIR/data/postmaster.pid")
echo "PostgreSQL $(psql -Atc 'SHOW server_version' "$THROWAWAY_POSTGRES_URL"):" \
  "fsync=$(psql -Atc 'SHOW fsync' "$THROWAWAY_POSTGRES_URL")" \
  "synchronous_commit=$(psql -Atc 'SHOW synchronous_commit' "$THROWAWAY_POSTGRES_URL")"
POST_BODY='{"title":"Benchmark post","post":"Posted by wrk from bench.sh; a short body of about one hundred bytes in total."}'

cpu_ticks() { # utime + stime of a process (and of its reaped children), in clock ticks
  local s
  { read -r s <"/proc/$1/stat"; } 2>/dev/null || { echo 0; return; }
  awk '{print $12 + $13 + $14 + $15}' <<<"${s##*) }"
}
db_ticks() { # the postmaster and its backends
  local total kids="" child
  total=$(cpu_ticks "$POSTMASTER")
  { read -r kids <"/proc/$POSTMASTER/task/$POSTMASTER/children"; } 2>/dev/null || true
  for child in $kids; do total=$((total + $(cpu_ticks "$child"))); done
  echo "$total"
}
sys_busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
now_ms() { date +%s%3N; }

row() { # row BUILD NAME METHOD PATH [BODY]
  local build=$1 name=$2 method=$3 path=$4 body=${5:-} s0 d0 m0 t0 result
  WRK_METHOD=$method WRK_BODY=$body timeout 60 wrk -t1 -c32 -d2s -s bench/wrk.lua "$BASE$path" >/dev/null
  s0=$(cpu_ticks "$SERVER_PID") d0=$(db_ticks) m0=$(sys_busy) t0=$(now_ms)
  result=$(WRK_METHOD=$method WRK_BODY=$body timeout 60 wrk -t1 -c32 -d8s --latency -s bench/wrk.lua "$BASE$path" | grep '^RESULT')
  awk -v build="$build" -v name="$name" -v hz="$CLK_TCK" -v ms=$(($(now_ms) - t0)) \
    -v srv=$(($(cpu_ticks "$SERVER_PID") - s0)) -v db=$(($(db_ticks) - d0)) -v all=$(($(sys_busy) - m0)) \
    -v result="$result" 'BEGIN {
      n = split(result, fields, " ")
      for (i = 2; i <= n; i++) { split(fields[i], kv, "="); v[kv[1]] = kv[2] }
      share = 100 / hz / (ms / 1000)
      printf "%s %-9s %6.0f req/s  p99 %6.2f ms  errors %d  srv%% %3.0f  db%% %3.0f  other%% %3.0f\n", build, name,
        v["rps"], v["p99_us"] / 1000, v["err_status"] + v["err_connect"] + v["err_timeout"],
        srv * share, db * share, (all - srv - db) * share
    }'
}

for round in $(seq "$ROUNDS"); do
  order="A B"; [ $((round % 2)) -eq 1 ] || order="B A"
  for build in $order; do
    url=$(throwaway_postgres_database "ab_${round}_${build,,}")
    (cd "$(mktemp -d)" && exec env -i PATH="$PATH" DATABASE_URL="$url" LEPTOS_SITE_ADDR="127.0.0.1:$PORT" \
      LEPTOS_SITE_ROOT="$ROOT/target/site" RUST_LOG=warn RATE_LIMIT_PER_MINUTE=0 "${BIN[$build]}") >/dev/null 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do curl -sf -o /dev/null "$BASE/api/hello" && break; sleep 0.1; done
    curl -sf -o /dev/null -H 'Content-Type: application/json' -d '{"title":"Seed post","post":"Seed"}' "$BASE/api/post"
    for i in $(seq 10); do
      curl -sf -o /dev/null -H 'Content-Type: application/json' -d "{\"comment\":\"Seed comment $i\"}" "$BASE/api/comments/1"
    done
    row "$build" post POST /api/post "$POST_BODY"
    row "$build" comments GET /api/comments/1
    row "$build" ssr GET /
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  done
done
