#!/usr/bin/env bash
# bench/run.sh — the app's benchmark: one command from the project root (also `make bench`).
#
# Installs what is missing (`scripts/setup.sh build`, then wrk from Debian), builds the release app and the
# bare axum baseline (examples/bench_baseline.rs), then, on 127.0.0.1 only, with a fresh database:
# times starts to the first answer, seeds 1 post with 10 comments, weighs what a first visit to `/`
# downloads, runs wrk against each route while sampling the server's memory and the CPU time of
# everything involved. Then the same rows again with the app on PostgreSQL (a throwaway cluster it
# starts), the CPU time of PostgreSQL's processes measured too, and last a soak: a fresh server under
# SSR load for a minute and more (bench/soak.sh). Prints markdown tables (also written to
# bench/results.md, raw output in bench/out/) and stops everything it started. It mirrors the
# Next.js anchor's bench.sh (../shared/anchors/nextjs) so the two tables compare; see bench/README.md.
#
# Knobs (environment):
#   PORT=3300 BASELINE_PORT=3301 UP_PORT=4301  ports on 127.0.0.1 (must be free)
#   THREADS=1 CONNS=32                         wrk -t / -c
#   DURATION=10s WARMUP=3s                     measured run / discarded warm-up run per row
#   COLD_RUNS=9                                starts to time, on a fresh and on an existing database
#   SOAK=1                                     0: skip the soak (bench/soak.sh: a minute of SSR at 32
#   SOAK_PLAN="60:32 20:256"                   connections, then 20 s at 256, on a server of its own)
#   OUT=bench/out                              raw wrk output, logs, the files a first visit loads
#   WITH_NEXTJS=0                              1: also set up and run the anchor's bench.sh first
#                                              (on SQLite, and on PostgreSQL too with WITH_POSTGRES=1)
#   WITH_POSTGRES=1                            0: SQLite only
#   NEXTJS_DIR=../shared/anchors/nextjs        the anchor (read only; built in a copy, see below)
#   NEXTJS_WORK=~/.cache/leptos-api-routes-bench/nextjs   where that copy is installed and built
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$HOME/.cargo/bin:$PATH"

HOST=127.0.0.1
PORT=${PORT:-3300}
BASELINE_PORT=${BASELINE_PORT:-3301}
UP_PORT=${UP_PORT:-4301}
THREADS=${THREADS:-1}
CONNS=${CONNS:-32}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
COLD_RUNS=${COLD_RUNS:-9}
SOAK=${SOAK:-1}
export SOAK_PLAN=${SOAK_PLAN:-60:32 20:256}
OUT=${OUT:-bench/out}
WITH_NEXTJS=${WITH_NEXTJS:-0}
WITH_POSTGRES=${WITH_POSTGRES:-1}
NEXTJS_DIR=${NEXTJS_DIR:-../shared/anchors/nextjs}
NEXTJS_WORK=${NEXTJS_WORK:-$HOME/.cache/leptos-api-routes-bench/nextjs}
BASE="http://$HOST:$PORT"
SERVER_BIN=$ROOT/target/release/leptos-api-routes
BASELINE_BIN=$ROOT/target/release/examples/bench_baseline
RESULTS=$ROOT/bench/results.md

# The anchor's own results (its README, median of 3 runs), used for the "vs Next.js" columns unless
# WITH_NEXTJS=1 measures it in this session. Per anchor route: req/s and p99 in ms.
declare -A NEXT_RPS=([hello]=3333 [comments]=2227 [post]=2131 [trivia]=1455 [ssr]=804)
declare -A NEXT_P99=([hello]=20.7 [comments]=27.8 [post]=28.6 [trivia]=42.5 [ssr]=218)
NEXT_SOURCE="the anchor's README (reference machine, median of 3 runs)"
# The anchor on PostgreSQL: its README has no figures, so only a run in this session gives them.
declare -A NEXT_PG_RPS=() NEXT_PG_P99=()
NEXT_PG_SOURCE="not measured (WITH_NEXTJS=1 measures it)"

die() { echo "bench/run.sh: $*" >&2; exit 1; }
step() { printf '\n==> %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# ---- processes we start, and how they stop --------------------------------------------------------
SERVER_PID="" BASELINE_PID="" UP_PID="" SAMPLER_PID="" TMP=""
stop_pid() { # TERM, up to 5 s to finish, then KILL
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
source scripts/throwaway-postgres.sh
cleanup() {
  stop_pid "$SAMPLER_PID"; SAMPLER_PID=""
  stop_pid "$SERVER_PID"; SERVER_PID=""
  stop_pid "$BASELINE_PID"; BASELINE_PID=""
  stop_pid "$UP_PID"; UP_PID=""
  throwaway_postgres_stop
  [ -z "$TMP" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

wait_ok() { # wait_ok URL [timeout_s]: 0 once URL answers 2xx
  local url=$1 deadline=$(( $(now_ms) + ${2:-30} * 1000 ))
  while [ "$(now_ms)" -lt "$deadline" ]; do
    case "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true)" in
      2??) return 0 ;;
    esac
    sleep 0.01
  done
  return 1
}

# ---- /proc readings (shell builtins only, so sampling costs next to no CPU) ----------------------
status_kb() { # status_kb PID FIELD -> sets KB (VmRSS:, VmHWM: …)
  KB=0
  local k v u
  { while read -r k v u; do
      if [ "$k" = "$2" ]; then KB=$v; break; fi
    done <"/proc/$1/status"; } 2>/dev/null || true
}
rss_kb() { status_kb "$1" VmRSS:; echo "$KB"; }
hwm_kb() { status_kb "$1" VmHWM:; echo "$KB"; }
cpu_ticks() { # utime + stime of a process, in clock ticks
  local s
  { read -r s <"/proc/$1/stat"; } 2>/dev/null || { echo 0; return; }
  awk '{print $12 + $13}' <<<"${s##*) }"
}
tree_ticks() { # cpu_ticks of a process plus its direct children (PostgreSQL: the postmaster and its backends)
  local pid=$1 total child kids=""
  [ "$pid" != 0 ] || { echo 0; return; }
  total=$(cpu_ticks "$pid")
  { read -r kids <"/proc/$pid/task/$pid/children"; } 2>/dev/null || true
  for child in $kids; do total=$((total + $(cpu_ticks "$child"))); done
  echo "$total"
}
CLK_TCK=$(getconf CLK_TCK)
sys_busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
pct() { awk -v c="$1" -v hz="$CLK_TCK" -v ms="$2" 'BEGIN{printf "%.0f", 100 * c / hz / (ms / 1000)}'; }
mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k / 1024}'; }

# ---- install and build -------------------------------------------------------------------------
step "setup (scripts/setup.sh, wrk)"
./scripts/setup.sh build >&2
if ! command -v wrk >/dev/null; then
  echo "  add   wrk from Debian" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
for tool in curl gzip python3 node; do command -v "$tool" >/dev/null || die "$tool not found"; done
# The trivia upstream stub is the anchor's, so both apps are measured against the same one.
[ -f "$NEXTJS_DIR/upstream.js" ] || die "no upstream stub at $NEXTJS_DIR/upstream.js (set NEXTJS_DIR)"

step "build: cargo leptos build --release, and the bare axum baseline"
# The release build chooses its own flags; a RUSTFLAGS left over from a debug shell would change them.
unset RUSTFLAGS
cargo leptos build --release >&2
cargo build --release --locked --example bench_baseline --features ssr >&2
[ -x "$SERVER_BIN" ] && [ -x "$BASELINE_BIN" ] || die "release binaries missing"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT"/*.txt "$OUT"/*.log "$OUT"/*.rsspeak "$OUT"/*.wrkcpu "$OUT"/first-visit "$OUT"/nextjs "$OUT"/nextjs-postgres "$OUT"/soak
TMP=$(mktemp -d "${TMPDIR:-/tmp}/leptos-api-routes-bench.XXXXXX")

# ---- the Next.js anchor, measured first in the same session (optional) -------------------------
if [ "$WITH_NEXTJS" = 1 ]; then
  step "Next.js anchor: install and build a copy in $NEXTJS_WORK, then its bench.sh"
  [ -f "$NEXTJS_DIR/bench.sh" ] || die "no Next.js anchor at $NEXTJS_DIR"
  mkdir -p "$NEXTJS_WORK"
  # A copy (keeping modification times): the anchor's own folder is shared and stays untouched.
  (cd "$NEXTJS_DIR" && tar --exclude=node_modules --exclude=.next --exclude=bench-out -cf - .) |
    (cd "$NEXTJS_WORK" && tar -xf - && chmod -R u+w .)
  (
    cd "$NEXTJS_WORK"
    export NEXT_TELEMETRY_DISABLED=1
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
      npm ci --no-audit --no-fund --loglevel=error
    fi
    if [ ! -f .next/BUILD_ID ] || [ -n "$(find pages lib next.config.js package-lock.json -newer .next/BUILD_ID)" ]; then
      npx next build
    fi
  ) >&2
  OUT="$OUT/nextjs" "$NEXTJS_WORK/bench.sh" >&2 || die "the Next.js bench failed (see $OUT/nextjs)"
  NEXT_SOURCE="the Next.js anchor measured in this session (bench/out/nextjs/results.md)"
  next_row() { # next_row LABEL COLUMN -> that cell of the anchor's table
    awk -F'|' -v l="$1" -v c="$2" '{g=$2; gsub(/^ +| +$/, "", g)} g == l {v=$c; gsub(/ /, "", v); print v}' \
      "$OUT/nextjs/results.md"
  }
  for pair in "hello|GET /api/hello" "comments|GET /api/comments/1" "post|POST /api/post" \
              "trivia|GET /api/trivia/42" "ssr|GET / (SSR)"; do
    key=${pair%%|*} label=${pair#*|}
    NEXT_RPS[$key]=$(next_row "$label" 3)
    NEXT_P99[$key]=$(next_row "$label" 6)
  done
fi

# ---- PostgreSQL: a throwaway cluster for the second half, and the anchor on it ---------------------
# Default server settings (fsync and synchronous_commit on, as a production server has them), on a
# free loopback port; removed on exit. Its CPU time is read from the postmaster and its children.
DB_PID=0
if [ "$WITH_POSTGRES" = 1 ]; then
  step "PostgreSQL: a throwaway cluster"
  throwaway_postgres_start max_connections=200 >&2
  POSTGRES_PID=$(head -n 1 "$THROWAWAY_POSTGRES_DIR/data/postmaster.pid")
  if [ "$WITH_NEXTJS" = 1 ]; then
    step "Next.js anchor on PostgreSQL (its bench.sh with DATABASE_URL)"
    NEXTJS_DATABASE_URL=$(throwaway_postgres_database nextjs)
    DATABASE_URL=$NEXTJS_DATABASE_URL OUT="$OUT/nextjs-postgres" "$NEXTJS_WORK/bench.sh" >&2 ||
      die "the Next.js bench on PostgreSQL failed (see $OUT/nextjs-postgres)"
    NEXT_PG_SOURCE="the Next.js anchor on the same PostgreSQL cluster, this session (bench/out/nextjs-postgres/results.md)"
    for pair in "hello|GET /api/hello" "comments|GET /api/comments/1" "post|POST /api/post" \
                "trivia|GET /api/trivia/42" "ssr|GET / (SSR)"; do
      key=${pair%%|*} label=${pair#*|}
      NEXT_PG_RPS[$key]=$(awk -F'|' -v l="$label" -v c=3 '{g=$2; gsub(/^ +| +$/, "", g)} g == l {v=$c; gsub(/ /, "", v); print v}' "$OUT/nextjs-postgres/results.md")
      NEXT_PG_P99[$key]=$(awk -F'|' -v l="$label" -v c=6 '{g=$2; gsub(/^ +| +$/, "", g)} g == l {v=$c; gsub(/ /, "", v); print v}' "$OUT/nextjs-postgres/results.md")
    done
  fi
fi

# ---- starting our servers ----------------------------------------------------------------------
for p in "$PORT" "$BASELINE_PORT" "$UP_PORT"; do
  if port_in_use "$p"; then die "port $p on $HOST is already in use"; fi
done
DB_DIR=$TMP/db
mkdir -p "$DB_DIR"
DATABASE_URL="sqlite://$DB_DIR/bench.db"

# The server runs from a scratch folder with only these variables, so that neither a developer's
# .env nor their shell can change what is measured.
server_env() { # server_env DATABASE_URL [TRIVIA_API_URL] -> sets SERVER_ENV, an `env -i …` prefix
  SERVER_ENV=(env -i PATH="$PATH" HOME="$HOME" DATABASE_URL="$1" LEPTOS_SITE_ADDR="$HOST:$PORT"
    LEPTOS_SITE_ROOT="$ROOT/target/site" RUST_LOG=warn RATE_LIMIT_PER_MINUTE=0)
  [ -z "${2:-}" ] || SERVER_ENV+=(TRIVIA_API_URL="$2")
}
# 1 post with 10 comments, through the API, as the anchor seeds its own.
seed() {
  local first i n
  first=$(curl -s -X POST -H 'Content-Type: application/json' \
    -d '{"title":"Seed post","post":"This post exists so that /api/comments/1 has something to return."}' \
    "$BASE/api/post")
  [[ $first == '{"id":1,'* ]] || die "expected seed post 1, got $first"
  for i in $(seq 10); do
    curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
      -d "{\"comment\":\"Seed comment number $i\"}" "$BASE/api/comments/1"
  done
  n=$(curl -s "$BASE/api/comments/1" | grep -o '"comment":' | wc -l)
  [ "$n" -eq 10 ] || die "expected 10 seeded comments, got $n"
}
start_server() { # start_server DATABASE_URL [TRIVIA_API_URL]
  server_env "$@"
  (cd "$TMP" && exec "${SERVER_ENV[@]}" "$SERVER_BIN") >>"$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  wait_ok "$BASE/api/hello" 30 || die "the server did not answer (see $OUT/server.log)"
}

# ---- one wrk row ---------------------------------------------------------------------------------
declare -A RPS P50 P90 P99 ERRS SRV WRKC UPC DBC OTHER RSSMAX LABEL
ROWS=()
measure() { # measure KEY LABEL PID METHOD URL BODY EXPECTED_STATUS [SEQ_FROM]
  local key=$1 label=$2 pid=$3 method=$4 url=$5 body=$6 expect=$7 seq=${8:-}
  local check_url=$url code
  [ -z "$seq" ] || check_url="$url$((seq - 1))"
  code=$(curl -s -o "$OUT/$key.check.txt" -w '%{http_code}' -X "$method" \
    ${body:+-H 'Content-Type: application/json' -d "$body"} "$check_url")
  [ "$code" = "$expect" ] || die "$label: expected $expect, got $code (see $OUT/$key.check.txt)"
  echo "  $label" >&2

  WRK_METHOD=$method WRK_BODY=$body WRK_SEQ_FROM=${seq:+$((seq + 500000000))} \
    timeout 300 wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" --timeout 5s -s bench/wrk.lua "$url" \
    >"$OUT/$key.warmup.txt" 2>&1 || die "$label: warm-up failed (see $OUT/$key.warmup.txt)"

  # Sample the server's RSS every 0.1 s while the measured run goes.
  ( peak=0; while kill -0 "$pid" 2>/dev/null; do
      status_kb "$pid" VmRSS:; if [ "$KB" -gt "$peak" ]; then peak=$KB; echo "$peak" >"$OUT/$key.rsspeak"; fi
      sleep 0.1
    done ) &
  SAMPLER_PID=$!
  local c0 u0 d0 s0 t0 c1 u1 d1 s1 t1 wt ms line
  c0=$(cpu_ticks "$pid"); u0=$(cpu_ticks "${UP_PID:-0}"); d0=$(tree_ticks "$DB_PID"); s0=$(sys_busy); t0=$(now_ms)
  # wrk runs in a subshell; once it is reaped, the subshell's cutime+cstime is wrk's CPU time.
  ( WRK_METHOD=$method WRK_BODY=$body WRK_SEQ_FROM=$seq \
      timeout 300 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 5s --latency -s bench/wrk.lua "$url" \
      >"$OUT/$key.txt" 2>&1 || true
    read -r s <"/proc/$BASHPID/stat"; awk '{print $14 + $15}' <<<"${s##*) }" >"$OUT/$key.wrkcpu" )
  c1=$(cpu_ticks "$pid"); u1=$(cpu_ticks "${UP_PID:-0}"); d1=$(tree_ticks "$DB_PID"); s1=$(sys_busy); t1=$(now_ms)
  stop_pid "$SAMPLER_PID"; SAMPLER_PID=""
  ms=$((t1 - t0)); wt=$(cat "$OUT/$key.wrkcpu")
  line=$(grep '^RESULT ' "$OUT/$key.txt") || die "$label: no RESULT line (see $OUT/$key.txt)"
  kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
  LABEL[$key]=$label
  RPS[$key]=$(kv rps)
  P50[$key]=$(awk -v u="$(kv p50_us)" 'BEGIN{printf "%.2f", u / 1000}')
  P90[$key]=$(awk -v u="$(kv p90_us)" 'BEGIN{printf "%.2f", u / 1000}')
  P99[$key]=$(awk -v u="$(kv p99_us)" 'BEGIN{printf "%.2f", u / 1000}')
  ERRS[$key]=$(( $(kv err_connect) + $(kv err_read) + $(kv err_write) + $(kv err_timeout) + $(kv err_status) ))
  SRV[$key]=$(pct $((c1 - c0)) "$ms")
  WRKC[$key]=$(pct "$wt" "$ms")
  UPC[$key]=$(pct $((u1 - u0)) "$ms")
  DBC[$key]=$(pct $((d1 - d0)) "$ms")
  OTHER[$key]=$(pct $(( (s1 - s0) - (c1 - c0) - wt - (u1 - u0) - (d1 - d0) )) "$ms")
  RSSMAX[$key]=$(cat "$OUT/$key.rsspeak" 2>/dev/null || echo 0)
  ROWS+=("$key")
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >"$OUT/machine.txt"

# ---- the ceiling: bare axum ------------------------------------------------------------------------
step "bare axum baseline on :$BASELINE_PORT"
"$BASELINE_BIN" "$HOST:$BASELINE_PORT" >"$OUT/baseline.log" 2>&1 &
BASELINE_PID=$!
wait_ok "http://$HOST:$BASELINE_PORT/" 30 || die "the baseline did not answer (see $OUT/baseline.log)"
measure baseline "GET / — bare axum (ceiling)" "$BASELINE_PID" GET "http://$HOST:$BASELINE_PORT/" "" 200
stop_pid "$BASELINE_PID"; BASELINE_PID=""

# ---- start to first answer -----------------------------------------------------------------------
step "start to first answer, $COLD_RUNS starts on a fresh database, $COLD_RUNS on an existing one"
# The interpreter itself, not a version manager's shim, which the clean environment may not suit.
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
cold_start() { # cold_start DATABASE_URL -> milliseconds from launch to the first 200 on /api/hello
  server_env "$1"
  (cd "$TMP" && "${SERVER_ENV[@]}" "$PYTHON" "$ROOT/bench/first_answer.py" "$BASE/api/hello" -- "$SERVER_BIN") \
    2>>"$OUT/server.log" || die "a start failed (see $OUT/server.log)"
}
COLD_FRESH=() COLD_EXISTING=()
for i in $(seq "$COLD_RUNS"); do
  mkdir -p "$TMP/cold-$i"
  COLD_FRESH+=("$(cold_start "sqlite://$TMP/cold-$i/app.db")")
done
for _ in $(seq "$COLD_RUNS"); do COLD_EXISTING+=("$(cold_start "sqlite://$TMP/cold-1/app.db")"); done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END{print a[int((NR + 1) / 2)]}'; }
range() { printf '%s\n' "$@" | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END{print lo "–" hi}'; }

# ---- the app, trivia without an upstream -----------------------------------------------------------
step "the app on :$PORT (fresh database, no trivia upstream)"
start_server "$DATABASE_URL"
RSS_START=$(rss_kb "$SERVER_PID")
FIRST_SSR_MS=$(curl -s -o /dev/null -w '%{time_total}' "$BASE/" | awk '{printf "%.1f", $1 * 1000}')

seed

# What a first visit to / downloads: the HTML, then every /pkg/ file it links (JS, wasm, CSS).
FV=$OUT/first-visit
mkdir -p "$FV"
curl -sf -o "$FV/index.html" "$BASE/" || die "GET / failed"
HTML_RAW=$(wc -c <"$FV/index.html"); HTML_GZ=$(gzip -9 -c "$FV/index.html" | wc -c)
ASSETS_RAW=0 ASSETS_GZ=0 ASSETS_N=0
printf '%9s %9s  %s\n' raw gzip-9 file >"$FV/sizes.txt"
printf '%9d %9d  %s\n' "$HTML_RAW" "$HTML_GZ" "/ (HTML)" >>"$FV/sizes.txt"
for link in $(grep -oE '/pkg/[A-Za-z0-9._-]+' "$FV/index.html" | sort -u); do
  file=$FV/$(basename "$link")
  curl -sf -o "$file" "$BASE$link" || die "$link is linked from / but does not load"
  raw=$(wc -c <"$file"); gz=$(gzip -9 -c "$file" | wc -c)
  ASSETS_RAW=$((ASSETS_RAW + raw)); ASSETS_GZ=$((ASSETS_GZ + gz)); ASSETS_N=$((ASSETS_N + 1))
  printf '%9d %9d  %s\n' "$raw" "$gz" "$link" >>"$FV/sizes.txt"
done
[ "$ASSETS_N" -gt 0 ] || die "/ links no /pkg/ files"
ASSET_LIST=$(awk 'NR > 2 {printf "%s%s %d B (%d gz)", sep, $3, $1, $2; sep = ", "}' "$FV/sizes.txt")

RSS_IDLE=$(rss_kb "$SERVER_PID")
# The anchor's body, byte for byte.
POST_BODY='{"title":"Benchmark post","post":"Posted by wrk from bench.sh; a short body of about one hundred bytes in total."}'
step "load, wrk -t$THREADS -c$CONNS -d$DURATION after a $WARMUP warm-up"
route_rows() { # route_rows KEY_PREFIX: the rows without an upstream, against the running server
  local k=$1
  measure "${k}hello" "GET /api/hello" "$SERVER_PID" GET "$BASE/api/hello" "" 200
  measure "${k}comments" "GET /api/comments/1 (10 comments)" "$SERVER_PID" GET "$BASE/api/comments/1" "" 200
  measure "${k}trivia_builtin" "GET /api/trivia/42 (built-in facts)" "$SERVER_PID" GET "$BASE/api/trivia/42" "" 200
  measure "${k}ssr_home" "GET / (SSR)" "$SERVER_PID" GET "$BASE/" "" 200
  measure "${k}ssr_post" "GET /posts/1 (SSR, 10 comments)" "$SERVER_PID" GET "$BASE/posts/1" "" 200
  measure "${k}post" "POST /api/post (JSON, ${#POST_BODY} B)" "$SERVER_PID" POST "$BASE/api/post" "$POST_BODY" 201
}
route_rows ""
RSS_AFTER=$(rss_kb "$SERVER_PID")
HWM_A=$(hwm_kb "$SERVER_PID")
POSTS_AFTER=$(curl -s "$BASE/api/post?limit=1" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2)
stop_pid "$SERVER_PID"; SERVER_PID=""

# ---- the app again on the same database, trivia through a stub upstream -----------------------------
step "the app again, trivia through the anchor's upstream stub on :$UP_PORT"
source_of() { curl -s "$1" | grep -o '"source":"[a-z]*"' | cut -d'"' -f4; }
stub_rows() { # stub_rows KEY_PREFIX DATABASE_URL: the trivia rows through the stub; sets HWM_STUB
  local k=$1
  UPSTREAM_PORT=$UP_PORT UPSTREAM_HOST=$HOST node "$NEXTJS_DIR/upstream.js" >>"$OUT/upstream.log" 2>&1 &
  UP_PID=$!
  wait_ok "http://$HOST:$UP_PORT/1" 10 || die "the upstream stub did not start (see $OUT/upstream.log)"
  start_server "$2" "http://$HOST:$UP_PORT"
  [ "$(source_of "$BASE/api/trivia/42")" = upstream ] || die "trivia/42 did not come from the stub"
  measure "${k}trivia_cached" "GET /api/trivia/42 (stub; cached after the 1st)" "$SERVER_PID" GET "$BASE/api/trivia/42" "" 200
  [ "$(source_of "$BASE/api/trivia/42")" = cache ] || die "trivia/42 was not served from the cache"
  measure "${k}trivia_upstream" "GET /api/trivia/{new n} (stub, every time)" "$SERVER_PID" GET "$BASE/api/trivia/" "" 200 1000000000000
  [ "$(source_of "$BASE/api/trivia/7000000000000")" = upstream ] || die "a new number did not reach the stub"
  HWM_STUB=$(hwm_kb "$SERVER_PID")
  stop_pid "$SERVER_PID"; SERVER_PID=""
  stop_pid "$UP_PID"; UP_PID=""
}
stub_rows "" "$DATABASE_URL"
HWM_B=$HWM_STUB

# ---- the same rows, the app on PostgreSQL ------------------------------------------------------------
# Same method, same order, a fresh database seeded the same way; `db%` is PostgreSQL's CPU time.
if [ "$WITH_POSTGRES" = 1 ]; then
  step "the app on PostgreSQL (fresh database on the throwaway cluster), the same rows"
  DB_PID=$POSTGRES_PID
  PG_DATABASE_URL=$(throwaway_postgres_database app)
  start_server "$PG_DATABASE_URL"
  seed
  route_rows pg_
  stop_pid "$SERVER_PID"; SERVER_PID=""
  stub_rows pg_ "$PG_DATABASE_URL"
  HWM_PG=$HWM_STUB
  DB_PID=0
fi

# ---- the soak: a fresh server, a minute of SSR at 32 connections, then 256 ------------------------
SOAK_LINE=""
if [ "$SOAK" = 1 ]; then
  step "soak: GET / on a fresh server, phases (seconds:connections) $SOAK_PLAN"
  mkdir -p "$TMP/soak"
  start_server "sqlite://$TMP/soak/bench.db"
  seed
  bench/soak.sh "$BASE/" "$SERVER_PID" "$OUT/soak" >"$OUT/soak.md" || die "the soak failed (see $OUT/soak)"
  SOAK_LINE=$(grep '^SOAK ' "$OUT/soak.md")
  stop_pid "$SERVER_PID"; SERVER_PID=""
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

# ---- the table -------------------------------------------------------------------------------------
# Which Next.js row each of ours is compared with.
declare -A NEXT_OF=([hello]=hello [comments]=comments [post]=post [trivia_builtin]=trivia
  [trivia_cached]=trivia [trivia_upstream]=trivia [ssr_home]=ssr [ssr_post]=ssr)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.1f", a / b; else print "–" }'; }
MB30_KIB=$(( 30 * 1000 * 1000 / 1024 ))
HWM=$(( HWM_A > HWM_B ? HWM_A : HWM_B ))
HWM=$(( HWM > ${HWM_PG:-0} ? HWM : ${HWM_PG:-0} ))
PEAK_RUN=0
for key in "${ROWS[@]}"; do
  [ "$key" = baseline ] || [ "${RSSMAX[$key]}" -le "$PEAK_RUN" ] || PEAK_RUN=${RSSMAX[$key]}
done
mark() { if [ "$1" = 1 ]; then echo "met"; else echo "**not met**"; fi; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN{ exit !(a >= b) }' && echo 1 || echo 0; }

{
  echo "# leptos-api-routes benchmark"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) · $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB · $(rustc --version | cut -d' ' -f1-2) · $(wrk --version 2>&1 | head -1 | awk '{print $1, $2}') · $(head -1 "$OUT/machine.txt")"
  echo "wrk -t$THREADS -c$CONNS -d$DURATION after a discarded $WARMUP warm-up, on 127.0.0.1; server, wrk and stub share the cores."
  echo "Next.js figures: $NEXT_SOURCE."
  echo
  echo "| route | req/s | of axum | × Next.js | p50 ms | p90 ms | p99 ms | p99 ÷ Next.js | errors | srv% | wrk% | stub% | db% | other% | RSS max MiB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for key in "${ROWS[@]}"; do
    [[ $key != pg_* ]] || continue
    n=${NEXT_OF[$key]:-}
    if [ -n "$n" ]; then
      vs_rps="$(ratio "${RPS[$key]}" "${NEXT_RPS[$n]}")× (${NEXT_RPS[$n]})"
      vs_p99="1/$(ratio "${NEXT_P99[$n]}" "${P99[$key]}") (${NEXT_P99[$n]})"
    else
      vs_rps="–" vs_p99="–"
    fi
    printf '| %s | %.0f | %s%% | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
      "${LABEL[$key]}" "${RPS[$key]}" "$(awk -v a="${RPS[$key]}" -v b="${RPS[baseline]}" 'BEGIN{printf "%.0f", 100 * a / b}')" \
      "$vs_rps" "${P50[$key]}" "${P90[$key]}" "${P99[$key]}" "$vs_p99" "${ERRS[$key]}" \
      "${SRV[$key]}" "${WRKC[$key]}" "${UPC[$key]}" "${DBC[$key]}" "${OTHER[$key]}" "$(mib "${RSSMAX[$key]}")"
  done
  echo
  echo "- **cores**: $(nproc). **errors**: wrk's connect/read/write/timeout errors plus answers ≥ 400; each row's status was checked with curl first."
  echo "- **srv% / wrk% / stub% / db%**: CPU time (user+sys) of the server / wrk / the trivia stub / PostgreSQL's processes (PostgreSQL rows only) over the run (100% = one core); **other%**: the rest of the machine (should be near 0; if not, measure that row again)."
  echo "- **start to first answer** (launch → first 200 on /api/hello, polled every 5 ms): fresh database (file created, migrations applied) median $(median "${COLD_FRESH[@]}") ms [$(range "${COLD_FRESH[@]}")], existing database median $(median "${COLD_EXISTING[@]}") ms [$(range "${COLD_EXISTING[@]}")], $COLD_RUNS starts each. First SSR of / on a fresh process: $FIRST_SSR_MS ms."
  echo "- **server RSS**: $(mib "$RSS_START") MiB just after start, $(mib "$RSS_IDLE") MiB idle after seeding, $(mib "$RSS_AFTER") MiB idle after the load; peak under load $(mib "$PEAK_RUN") MiB (sampled every 0.1 s), VmHWM $(mib "$HWM") MiB."
  echo "- **first visit to /**: HTML $HTML_RAW B ($HTML_GZ B gzip -9) + $ASSETS_N files from /pkg/: $ASSETS_RAW B raw, **$ASSETS_GZ B gzip -9** (each file alone: $ASSET_LIST). The server sends them uncompressed."
  echo "- posts in the database after the POST row: $POSTS_AFTER."
  echo
  echo "Targets (issue #6):"
  echo "- /api/hello ≥ 80% of bare axum: $(awk -v a="${RPS[hello]}" -v b="${RPS[baseline]}" 'BEGIN{printf "%.0f%%", 100 * a / b}') — $(mark "$(ge "${RPS[hello]}" "$(awk -v b="${RPS[baseline]}" 'BEGIN{print 0.8 * b}')")")"
  for key in comments post trivia_upstream trivia_cached trivia_builtin ssr_home ssr_post; do
    n=${NEXT_OF[$key]}
    echo "- ${LABEL[$key]} ≥ 10× Next.js req/s: $(ratio "${RPS[$key]}" "${NEXT_RPS[$n]}")× — $(mark "$(ge "${RPS[$key]}" "$(awk -v b="${NEXT_RPS[$n]}" 'BEGIN{print 10 * b}')")"); p99 ≤ 1/10 of Next.js's: ${P99[$key]} ms vs ${NEXT_P99[$n]} ms — $(mark "$(ge "$(awk -v b="${NEXT_P99[$n]}" 'BEGIN{print b / 10}')" "${P99[$key]}")")"
  done
  echo "- /api/hello p99 ≤ 1/10 of Next.js's: ${P99[hello]} ms vs ${NEXT_P99[hello]} ms — $(mark "$(ge "$(awk -v b="${NEXT_P99[hello]}" 'BEGIN{print b / 10}')" "${P99[hello]}")")"
  echo "- peak RSS under load ≤ 30 MB ($(mib $MB30_KIB) MiB): VmHWM $(mib "$HWM") MiB — $(mark "$(ge $MB30_KIB "$HWM")")"
  echo "- start to first answer ≤ 50 ms: $(median "${COLD_FRESH[@]}") ms (fresh database) — $(mark "$(ge 50 "$(median "${COLD_FRESH[@]}")")")"
  echo "- first visit ≤ 100 kB gzip of JS+wasm+CSS: $ASSETS_GZ B — $(mark "$(ge 100000 "$ASSETS_GZ")")"
  if [ "$WITH_POSTGRES" = 1 ]; then
    echo
    echo "## SQLite and PostgreSQL side by side"
    echo
    echo "The same rows, the same method; PostgreSQL $(psql -Atc 'SHOW server_version' "$PG_DATABASE_URL" 2>/dev/null || echo '?') with its default settings (a throwaway cluster, fsync on), on the same cores. Next.js on PostgreSQL: $NEXT_PG_SOURCE."
    echo
    echo "| route | SQLite req/s | PostgreSQL req/s | SQLite p99 ms | PostgreSQL p99 ms | PostgreSQL × Next.js on PostgreSQL | p99 ÷ Next.js on PostgreSQL | srv% | db% | wrk% | other% |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for key in hello comments trivia_builtin ssr_home ssr_post post trivia_cached trivia_upstream; do
      pg=pg_$key n=${NEXT_OF[$key]:-hello}
      if [ -n "${NEXT_PG_RPS[$n]:-}" ]; then
        vs_rps="$(ratio "${RPS[$pg]}" "${NEXT_PG_RPS[$n]}")× (${NEXT_PG_RPS[$n]})"
        vs_p99="1/$(ratio "${NEXT_PG_P99[$n]}" "${P99[$pg]}") (${NEXT_PG_P99[$n]})"
      else
        vs_rps="–" vs_p99="–"
      fi
      printf '| %s | %.0f | %.0f | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${LABEL[$key]}" \
        "${RPS[$key]}" "${RPS[$pg]}" "${P99[$key]}" "${P99[$pg]}" "$vs_rps" "$vs_p99" \
        "${SRV[$pg]}" "${DBC[$pg]}" "${WRKC[$pg]}" "${OTHER[$pg]}"
    done
    echo
    echo "srv%, db%, wrk%, other%: of the PostgreSQL run. Errors in the PostgreSQL rows: $(for key in "${ROWS[@]}"; do [[ $key == pg_* ]] && echo "${ERRS[$key]}"; done | awk '{s += $1} END {print s + 0}'). Server VmHWM on PostgreSQL: $(mib "${HWM_PG:-0}") MiB."
    if [ -n "${NEXT_PG_RPS[comments]:-}" ]; then
      echo
      echo "Targets (issue 11, against the anchor on PostgreSQL):"
      for key in comments post trivia_upstream trivia_cached ssr_home ssr_post; do
        pg=pg_$key n=${NEXT_OF[$key]}
        echo "- ${LABEL[$key]} ≥ 5× req/s: $(ratio "${RPS[$pg]}" "${NEXT_PG_RPS[$n]}")× — $(mark "$(ge "${RPS[$pg]}" "$(awk -v b="${NEXT_PG_RPS[$n]}" 'BEGIN{print 5 * b}')")"); p99 ≤ 1/5: ${P99[$pg]} ms vs ${NEXT_PG_P99[$n]} ms — $(mark "$(ge "$(awk -v b="${NEXT_PG_P99[$n]}" 'BEGIN{print b / 5}')" "${P99[$pg]}")")"
      done
    fi
  fi
  if [ -n "$SOAK_LINE" ]; then
    soak_kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$SOAK_LINE"; }
    echo
    echo "Targets (issue #14), from the soak below:"
    echo "- VmHWM after the soak ≤ 30 MiB: $(mib "$(soak_kv hwm_kb)") MiB — $(mark "$(ge $((30 * 1024)) "$(soak_kv hwm_kb)")")"
    echo "- SSR req/s of the last 10 s of the first phase within 10% of its first 10 s: $(soak_kv last_rps) vs $(soak_kv first_rps) — $(mark "$(ge "$(soak_kv last_rps)" "$(awk -v f="$(soak_kv first_rps)" 'BEGIN{print 0.9 * f}')")")"
    echo
    echo "## Soak"
    echo
    grep -v '^SOAK ' "$OUT/soak.md"
  fi
  if [ "$WITH_NEXTJS" = 1 ]; then
    echo
    echo "## The Next.js anchor, same session"
    echo
    cat "$OUT/nextjs/results.md"
    if [ "$WITH_POSTGRES" = 1 ]; then
      echo
      echo "## The Next.js anchor on PostgreSQL, same session (its other% includes PostgreSQL's CPU)"
      echo
      cat "$OUT/nextjs-postgres/results.md"
    fi
  fi
} | tee "$RESULTS"
