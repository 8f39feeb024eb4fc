#!/usr/bin/env bash
# Regenerates .sqlx/, the compile-time query cache of both database rooms, after a query or a
# migration changed. Commit the result: builds and CI check every query against it (SQLX_OFFLINE).
#
# sqlx's query macros check against one live database per compilation (DATABASE_URL), while a cached
# query records which backend it belongs to. So the crate is checked twice into the same folder: once
# against a scratch SQLite file built from migrations/sqlite/, with the PostgreSQL room left out
# (`--cfg sqlx_prepare="sqlite"`, see src/db/mod.rs), and once against a throwaway PostgreSQL cluster
# with migrations/postgres/ applied and the SQLite room left out. (`cargo sqlx prepare` would empty
# the folder on each run.) A cached file is named after the hash of its SQL text alone: a query with
# the same text in both rooms would land in one file, so this script fails when that happens.
#
# Needs the sqlite3 command and PostgreSQL's server binaries (scripts/setup.sh installs both).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/throwaway-postgres.sh

scratch=$(mktemp -d)
trap 'throwaway_postgres_stop; rm -rf "$scratch"' EXIT

cat migrations/sqlite/*.sql | sqlite3 "$scratch/prepare.db"
throwaway_postgres_start fsync=off
for migration in migrations/postgres/*.sql; do
  psql -q -v ON_ERROR_STOP=1 "$THROWAWAY_POSTGRES_URL" -f "$migration" >/dev/null
done

rm -rf .sqlx && mkdir .sqlx
# check_room ROOM DATABASE_URL: checks the library, with only ROOM's queries in it, against DATABASE_URL.
check_room() {
  echo "==> checking the $1 room's queries against a live database"
  # `touch` makes cargo re-run the macros even when nothing else changed. The cfg goes to this crate
  # only (cargo rustc), so the dependencies keep their build.
  touch src/db/mod.rs src/db/"$1"/*.rs
  RUSTFLAGS="--cfg erase_components" SQLX_OFFLINE=false DATABASE_URL="$2" SQLX_OFFLINE_DIR="$PWD/.sqlx" \
    cargo rustc --lib --features ssr --profile check --quiet -- --cfg "sqlx_prepare=\"$1\""
}
check_room sqlite "sqlite://$scratch/prepare.db"
sqlite_queries=$(ls .sqlx)
check_room postgres "$THROWAWAY_POSTGRES_URL"

for file in $sqlite_queries; do
  if ! grep -q '"db_name": "SQLite"' ".sqlx/$file"; then
    echo "error: a PostgreSQL query has the same SQL text as a SQLite one, so they share .sqlx/$file:" >&2
    echo "make the texts differ (see the header of src/db/postgres/mod.rs)" >&2
    exit 1
  fi
done

echo "==> checking that the whole crate builds from the cache alone"
RUSTFLAGS="--cfg erase_components" SQLX_OFFLINE=true cargo check --features ssr --all-targets --quiet
echo "==> .sqlx/ now holds $(ls .sqlx | wc -l) queries: $(grep -l '"db_name": "SQLite"' .sqlx/* | wc -l) SQLite, $(grep -l '"db_name": "PostgreSQL"' .sqlx/* | wc -l) PostgreSQL"
