#!/usr/bin/env bash
# The wasm bundle served two ways, measured in interleaved runs on 127.0.0.1:
#   A: a binary serving target/site from disk, compressing on every request (before the one-file
#      release; also what `cargo leptos watch` does);
#   B: the one-file release, serving what `pack` compressed once (brotli 11, gzip 9) from memory.
#
#   bench/static_assets.sh A_BINARY B_BINARY [ROUNDS]     # e.g.
#   bench/static_assets.sh target/release/leptos-api-routes target/dist/leptos-api-routes 3
#
# For each coding (br, gzip, none) it prints the bytes sent for the wasm, then per round and binary
# the requests/s and mean latency of `wrk -t1 -c1 -d5s` (one connection: latency ≈ server time +
# loopback), and the server's CPU time per request (utime+stime from /proc, over the run). Both
# servers listen on free loopback ports with fresh databases and are stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
a_binary=$(realpath "$1")
b_binary=$(realpath "$2")
rounds=${3:-3}
duration=${DURATION:-5s}
site_root="$PWD/target/site"
work=$(mktemp -d)
a_pid= b_pid=
cleanup() {
  for pid in $a_pid $b_pid; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start NAME BINARY: runs it in its own empty folder with LEPTOS_SITE_ROOT=target/site (which the
# one-file release does not read), prints its port and pid.
start() {
  local name=$1 binary=$2 port
  port=$(free_port)
  mkdir -p "$work/$name"
  (cd "$work/$name" && exec env -i LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_ROOT="$site_root" \
    RUST_LOG=warn RATE_LIMIT_PER_MINUTE=0 "$binary") >"$work/$name.log" 2>&1 &
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/api/health" 2>/dev/null && break
    sleep 0.1
  done
  echo "$port $!"
}
# The wasm URL the home page links.
wasm_url() { curl -fsS "http://127.0.0.1:$1/" | grep -oE '/pkg/[A-Za-z0-9._-]+\.wasm' | head -n 1; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

read -r a_port a_pid < <(start a "$a_binary")
read -r b_port b_pid < <(start b "$b_binary")
a_url="http://127.0.0.1:$a_port$(wasm_url "$a_port")"
b_url="http://127.0.0.1:$b_port$(wasm_url "$b_port")"
ticks_per_second=$(getconf CLK_TCK)

echo "A: $a_binary  ($a_url)"
echo "B: $b_binary  ($b_url)"
for coding in br gzip identity; do
  header="Accept-Encoding: $coding"
  echo
  echo "== $header"
  echo "bytes sent: A $(curl -fsS -H "$header" "$a_url" | wc -c), B $(curl -fsS -H "$header" "$b_url" | wc -c)"
  for round in $(seq "$rounds"); do
    for side in A B; do
      if [ "$side" = A ]; then url=$a_url pid=$a_pid; else url=$b_url pid=$b_pid; fi
      before=$(cpu_ticks "$pid")
      out=$(wrk -t1 -c1 -d"$duration" -H "$header" "$url")
      after=$(cpu_ticks "$pid")
      requests=$(awk '/requests in/ { print $1 }' <<<"$out")
      rate=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
      latency=$(awk '/Latency/ { print $2 }' <<<"$out")
      cpu=$(awk -v t="$((after - before))" -v n="$requests" -v hz="$ticks_per_second" \
        'BEGIN { printf "%.3f", t * 1000 / hz / n }')
      echo "round $round $side: $rate req/s, mean latency $latency, server CPU $cpu ms/request"
    done
  done
done
