#!/usr/bin/env bash
# bench/observability.sh BIN [MAIN_BIN] — what issue 24's metrics and traces cost, with bench/ab.sh:
# interleaved rounds of the SAME release binary without and with each setting (a wrapper script
# adds the variables), and, with MAIN_BIN, main's binary against this one with both off.
#
#   off vs metrics   METRICS_ADDR=127.0.0.1:0 (a recorder, every request counted and timed)
#   off vs traced    OTEL_EXPORTER_OTLP_ENDPOINT at bench/otlp_sink.py (reads each export, answers 200,
#                    decodes nothing), OTEL_TRACES_SAMPLER=always_on: every request's spans (request,
#                    handler, queries) exported over OTLP/HTTP
#   main vs off      nothing set: the cost of the code being there at all
#
# ROWS (default "hello ssr_home"), ROUNDS (default 3) and the other knobs are ab.sh's; TRACED_SETTINGS
# adds variables to the traced runs (e.g. OTEL_BSP_MAX_EXPORT_BATCH_SIZE=2048). Copy the
# binaries out of target/ first. Everything listens on 127.0.0.1 and is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: bench/observability.sh BIN [MAIN_BIN]" >&2; exit 2; }
BIN=$(realpath "$1")
MAIN_BIN=${2:+$(realpath "$2")}
export ROWS=${ROWS:-hello ssr_home} ROUNDS=${ROUNDS:-3}
OUT=${OUT:-bench/out/observability}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/observability.XXXXXX")
SINK_PID=""
trap '[ -z "$SINK_PID" ] || kill "$SINK_PID" 2>/dev/null; rm -rf "$TMP"' EXIT

SINK_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rm -f "$OUT/sink-counts.txt"
python3 bench/otlp_sink.py "$SINK_PORT" "$OUT/sink-counts.txt" &
SINK_PID=$!

wrapper() { # wrapper NAME VARIABLE=VALUE…: a script that runs BIN with the variables added
  local name=$1; shift
  { echo '#!/bin/sh'; echo "exec env $* '$BIN' \"\$@\""; } >"$TMP/$name"
  chmod +x "$TMP/$name"
  echo "$TMP/$name"
}
OFF=$BIN
METRICS=$(wrapper metrics METRICS_ADDR=127.0.0.1:0)
TRACED=$(wrapper traced OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINK_PORT OTEL_TRACES_SAMPLER=always_on ${TRACED_SETTINGS:-})

run() { # run LABEL A B
  echo "== $1 (A = ${2##*/}, B = ${3##*/})"
  OUT="$OUT/$1" bench/ab.sh "$2" "$3" | tee "$OUT/$1.txt"
}
run off-vs-metrics "$OFF" "$METRICS"
run off-vs-traced "$OFF" "$TRACED"
# The sink writes its counts when stopped.
kill -TERM "$SINK_PID" 2>/dev/null || true
wait "$SINK_PID" 2>/dev/null || true
SINK_PID=""
echo "collector: $(cat "$OUT/sink-counts.txt" 2>/dev/null || echo 'nothing received')"
[ -z "$MAIN_BIN" ] || run main-vs-off "$MAIN_BIN" "$OFF"
