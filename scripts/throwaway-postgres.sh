# A throwaway PostgreSQL cluster on a free loopback port, for scripts/test.sh, bench/run.sh and
# scripts/sqlx-prepare.sh. Source it, then:
#
#   throwaway_postgres_start [SETTING=VALUE…]   # initdb + start; sets THROWAWAY_POSTGRES_URL
#   throwaway_postgres_database NAME            # a new empty database on it; prints its URL
#   throwaway_postgres_stop                     # stops the server and removes its folder
#
# The cluster lives in a temporary folder (data, socket, log), listens on 127.0.0.1 only, trusts
# local connections (user `postgres`, no password) and is gone after throwaway_postgres_stop: call it
# from the sourcing script's EXIT trap. Extra arguments are server settings (`fsync=off` for tests).
# initdb refuses to run as root, so as root the server runs as Debian's `postgres` user.
# Needs PostgreSQL's server binaries (scripts/setup.sh installs Debian's `postgresql`).

THROWAWAY_POSTGRES_DIR=""
THROWAWAY_POSTGRES_URL=""

# The newest installed server binaries: Debian keeps them off PATH, in /usr/lib/postgresql/N/bin.
throwaway_postgres_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$dir" ] && command -v initdb >/dev/null; then dir=$(dirname "$(command -v initdb)"); fi
  [ -n "$dir" ] && [ -x "$dir/initdb" ] || {
    echo "PostgreSQL's server binaries (initdb, pg_ctl) are missing: run scripts/setup.sh" >&2
    return 1
  }
  echo "$dir"
}

throwaway_postgres_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

throwaway_postgres_start() {
  local bin port setting options=""
  bin=$(throwaway_postgres_bin) || return 1
  THROWAWAY_POSTGRES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/throwaway-postgres.XXXXXX")
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$THROWAWAY_POSTGRES_DIR"; fi
  throwaway_postgres_as_owner "$bin/initdb" -D "$THROWAWAY_POSTGRES_DIR/data" -U postgres \
    --auth=trust --no-sync --encoding=UTF8 --locale=C.UTF-8 >"$THROWAWAY_POSTGRES_DIR/initdb.log" 2>&1 || {
    cat "$THROWAWAY_POSTGRES_DIR/initdb.log" >&2
    return 1
  }
  for setting in "$@"; do options+=" -c $setting"; done
  # A free port can be taken between the probe and the start by another program: try a few.
  for _ in 1 2 3 4 5; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if throwaway_postgres_as_owner "$bin/pg_ctl" -D "$THROWAWAY_POSTGRES_DIR/data" -w -t 30 \
      -l "$THROWAWAY_POSTGRES_DIR/server.log" \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$THROWAWAY_POSTGRES_DIR$options" \
      start >/dev/null; then
      THROWAWAY_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
      return 0
    fi
  done
  cat "$THROWAWAY_POSTGRES_DIR/server.log" >&2
  return 1
}

throwaway_postgres_stop() {
  [ -n "$THROWAWAY_POSTGRES_DIR" ] || return 0
  local bin
  if bin=$(throwaway_postgres_bin 2>/dev/null) && [ -f "$THROWAWAY_POSTGRES_DIR/data/postmaster.pid" ]; then
    throwaway_postgres_as_owner "$bin/pg_ctl" -D "$THROWAWAY_POSTGRES_DIR/data" -m immediate -w -t 30 \
      stop >/dev/null 2>&1 || true
  fi
  rm -rf "$THROWAWAY_POSTGRES_DIR"
  THROWAWAY_POSTGRES_DIR="" THROWAWAY_POSTGRES_URL=""
}

# throwaway_postgres_database NAME [SERVER_URL]: a new, empty database NAME (dropped first if it was
# there) on the throwaway cluster, or on SERVER_URL; prints its URL.
throwaway_postgres_database() {
  local server=${2:-$THROWAWAY_POSTGRES_URL}
  PGOPTIONS="--client-min-messages=warning" psql -q -v ON_ERROR_STOP=1 "$server" \
    -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null
  python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' \
    "$server" "$1"
}
