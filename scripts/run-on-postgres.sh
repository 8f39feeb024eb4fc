#!/usr/bin/env bash
# Runs the app on PostgreSQL without setting up a server: starts a throwaway cluster (see
# throwaway-postgres.sh), points DATABASE_URL at a fresh database on it, and runs `cargo leptos
# watch` (or the command given: `scripts/run-on-postgres.sh target/release/leptos-api-routes`).
# The cluster and its data are removed when the command ends (Ctrl-C). For a lasting database, set
# DATABASE_URL=postgres://… yourself (docs/postgres.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
source scripts/throwaway-postgres.sh
trap throwaway_postgres_stop EXIT
throwaway_postgres_start
DATABASE_URL=$(throwaway_postgres_database app)
export DATABASE_URL
echo "==> PostgreSQL at $DATABASE_URL (removed on exit)"
if [ "$#" -eq 0 ]; then set -- cargo leptos watch; fi
"$@"
