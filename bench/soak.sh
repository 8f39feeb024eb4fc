#!/usr/bin/env bash
# bench/soak.sh — a server under a long load: requests/s per window and the memory curve, so that a
# slow leak, a heap that keeps what one burst needed, or throughput that sags over a minute shows.
#
#   bench/soak.sh URL PID [OUT]     e.g. bench/soak.sh http://127.0.0.1:3300/ 12345 bench/out/soak
#
# Runs wrk against URL in back-to-back windows (each a wrk run of its own, so every window reports its
# own requests/s and p99; the connections are opened again at each window's start) while it samples
# the process PID's VmRSS and RssAnon from /proc every SOAK_SAMPLE seconds. Prints a markdown table,
# one row per window, then a summary line that bench/run.sh reads (`SOAK hwm_kb=… first_rps=…
# last_rps=…`); the samples and the raw wrk output go to OUT (default: a temporary folder, removed).
#
# Knobs (environment):
#   SOAK_PLAN="60:32 20:256"   phases, each SECONDS:CONNECTIONS, in order (default: a minute at 32
#                              connections, then 20 s at 256)
#   SOAK_WINDOW=10             seconds per window (each phase's length must be a multiple of it)
#   SOAK_SAMPLE=0.5            seconds between two memory samples
#   THREADS=1                  wrk -t
# Bounded: every wrk run has a `timeout`, and the sampler stops with this script.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 2 ] || { echo "usage: bench/soak.sh URL PID [OUT]" >&2; exit 2; }
URL=$1 PID=$2
SOAK_PLAN=${SOAK_PLAN:-60:32 20:256}
SOAK_WINDOW=${SOAK_WINDOW:-10}
SOAK_SAMPLE=${SOAK_SAMPLE:-0.5}
THREADS=${THREADS:-1}
if [ -n "${3:-}" ]; then
  OUT=$3; mkdir -p "$OUT"
else
  OUT=$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX"); REMOVE_OUT=1
fi

die() { echo "bench/soak.sh: $*" >&2; exit 1; }
kill -0 "$PID" 2>/dev/null || die "no process $PID"
command -v wrk >/dev/null || die "wrk not found (bench/run.sh installs it)"

SAMPLER_PID=""
cleanup() {
  if [ -n "$SAMPLER_PID" ]; then kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; fi
  if [ -n "${REMOVE_OUT:-}" ]; then rm -rf "$OUT"; fi
}
trap cleanup EXIT

# One line per sample: milliseconds since the start, VmRSS and RssAnon in KiB. Shell builtins only,
# so the sampler costs next to no CPU.
status_fields() { # status_fields PID -> "RSS ANON HWM" in KiB
  local k v u rss=0 anon=0 hwm=0
  { while read -r k v u; do
      case $k in VmRSS:) rss=$v ;; RssAnon:) anon=$v ;; VmHWM:) hwm=$v ;; esac
    done <"/proc/$1/status"; } 2>/dev/null || true
  echo "$rss $anon $hwm"
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
START_MS=$(now_ms)
: >"$OUT/rss.txt"
( while kill -0 "$PID" 2>/dev/null; do
    read -r rss anon _ <<<"$(status_fields "$PID")"
    echo "$(( $(now_ms) - START_MS )) $rss $anon" >>"$OUT/rss.txt"
    sleep "$SOAK_SAMPLE"
  done ) &
SAMPLER_PID=$!

mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k / 1024}'; }
# The largest and the last of the samples between two instants (ms since the start).
rss_between() { # rss_between FROM_MS TO_MS -> "MAX_RSS LAST_RSS LAST_ANON" in KiB
  awk -v a="$1" -v b="$2" '$1 >= a && $1 <= b { if ($2 > max) max = $2; last = $2; anon = $3 }
    END { printf "%d %d %d\n", max, last, anon }' "$OUT/rss.txt"
}

read -r rss0 anon0 _ <<<"$(status_fields "$PID")"
echo "Soak: wrk -t$THREADS, phases (seconds:connections) $SOAK_PLAN, ${SOAK_WINDOW}-second windows, on $URL"
echo "Before: VmRSS $(mib "$rss0") MiB (anonymous $(mib "$anon0") MiB)."
echo
echo "| window | connections | req/s | p50 ms | p99 ms | errors | RSS max MiB | RSS at end MiB | anonymous at end MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
t=0 n=0 first_rps="" last_rps="" errors_total=0
declare -A PHASE_FIRST PHASE_LAST
for phase in $SOAK_PLAN; do
  seconds=${phase%%:*} conns=${phase#*:}
  [ $((seconds % SOAK_WINDOW)) -eq 0 ] || die "phase $phase: not a multiple of $SOAK_WINDOW s"
  for _ in $(seq $((seconds / SOAK_WINDOW))); do
    n=$((n + 1))
    from=$(( $(now_ms) - START_MS ))
    timeout $((SOAK_WINDOW + 30)) wrk -t"$THREADS" -c"$conns" -d"${SOAK_WINDOW}s" --timeout 5s --latency \
      -s bench/wrk.lua "$URL" >"$OUT/window-$n.txt" 2>&1 || true
    to=$(( $(now_ms) - START_MS ))
    line=$(grep '^RESULT ' "$OUT/window-$n.txt") || die "window $n: no RESULT line (see $OUT/window-$n.txt)"
    kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    rps=$(kv rps)
    errors=$(( $(kv err_connect) + $(kv err_read) + $(kv err_write) + $(kv err_timeout) + $(kv err_status) ))
    errors_total=$((errors_total + errors))
    read -r max last anon <<<"$(rss_between "$from" "$to")"
    printf '| %d–%d s | %d | %.0f | %.2f | %.2f | %d | %s | %s | %s |\n' "$t" $((t + SOAK_WINDOW)) "$conns" "$rps" \
      "$(awk -v u="$(kv p50_us)" 'BEGIN{print u / 1000}')" "$(awk -v u="$(kv p99_us)" 'BEGIN{print u / 1000}')" \
      "$errors" "$(mib "$max")" "$(mib "$last")" "$(mib "$anon")"
    [ -n "${PHASE_FIRST[$phase]:-}" ] || PHASE_FIRST[$phase]=$rps
    PHASE_LAST[$phase]=$rps
    [ -n "$first_rps" ] || first_rps=$rps
    t=$((t + SOAK_WINDOW))
  done
done
first_phase=${SOAK_PLAN%% *}
first_rps=${PHASE_FIRST[$first_phase]} last_rps=${PHASE_LAST[$first_phase]}
read -r _ _ hwm <<<"$(status_fields "$PID")"
read -r rss anon _ <<<"$(status_fields "$PID")"
echo
echo "RSS (MiB) every 5 s: $(awk '$1 >= next_at { printf "%s%.1f", sep, $2 / 1024; sep = " "; next_at += 5000 }' "$OUT/rss.txt")."
echo "After: VmRSS $(mib "$rss") MiB (anonymous $(mib "$anon") MiB), VmHWM $(mib "$hwm") MiB; last window of the first phase" \
  "at $(awk -v a="$last_rps" -v b="$first_rps" 'BEGIN{printf "%+.0f%%", 100 * (a - b) / b}') of its first."
echo "SOAK hwm_kb=$hwm rss_kb=$rss anon_kb=$anon first_rps=$first_rps last_rps=$last_rps errors=$errors_total"
