#!/usr/bin/env bash
# Regenerates .sqlx/, the compile-time query cache, after a query or a migration changed: builds a
# scratch database from migrations/ and lets sqlx's macros record every query they check.
# Needs the sqlite3 command (Debian: apt-get install sqlite3).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cat migrations/*.sql | sqlite3 "$scratch/prepare.db"
rm -rf .sqlx && mkdir .sqlx
# `touch` makes cargo re-run the macros even when nothing else changed.
touch src/db/mod.rs
RUSTFLAGS="--cfg erase_components" DATABASE_URL="sqlite://$scratch/prepare.db" SQLX_OFFLINE_DIR="$PWD/.sqlx" \
  cargo check --features ssr
echo "==> .sqlx/ now holds $(ls .sqlx | wc -l) queries"
