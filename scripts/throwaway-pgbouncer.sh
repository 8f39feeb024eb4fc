# A throwaway PgBouncer in session mode in front of a PostgreSQL server, for scripts/test.sh (issue 25:
# the integration suite runs through a pooler; docs/high-availability.md). Source it, then:
#
#   throwaway_pgbouncer_start SERVER_URL   # every database of SERVER_URL's server, pooled by session;
#                                          # sets THROWAWAY_PGBOUNCER_URL (same user and database)
#   throwaway_pgbouncer_stop               # kills it by its pid and removes its folder
#
# Loopback only, a free port, no password (auth_type = trust, as the throwaway cluster), and no
# `ignore_startup_parameters`: the app must send none that PgBouncer refuses. PgBouncer refuses to
# run as root, so as root it runs as Debian's `postgres` user. Needs `pgbouncer` (scripts/setup.sh).

THROWAWAY_PGBOUNCER_DIR=""
THROWAWAY_PGBOUNCER_URL=""
THROWAWAY_PGBOUNCER_PID=""

throwaway_pgbouncer_start() {
  local server=$1 host port user database listen
  read -r host port user database < <(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(p.hostname, p.port or 5432, p.username or "postgres", p.path.lstrip("/") or "postgres")' "$server")
  THROWAWAY_PGBOUNCER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/throwaway-pgbouncer.XXXXXX")
  listen=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf '"%s" ""\n' "$user" >"$THROWAWAY_PGBOUNCER_DIR/users.txt"
  # Each test opens a pool of 16 on a database of its own, a few tests at once.
  cat >"$THROWAWAY_PGBOUNCER_DIR/pgbouncer.ini" <<INI
[databases]
* = host=$host port=$port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $listen
unix_socket_dir = $THROWAWAY_PGBOUNCER_DIR
auth_type = trust
auth_file = $THROWAWAY_PGBOUNCER_DIR/users.txt
pool_mode = session
max_client_conn = 1000
default_pool_size = 40
logfile = $THROWAWAY_PGBOUNCER_DIR/pgbouncer.log
INI
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres: "$THROWAWAY_PGBOUNCER_DIR"
    setpriv --reuid=postgres --regid=postgres --init-groups -- pgbouncer "$THROWAWAY_PGBOUNCER_DIR/pgbouncer.ini" \
      >"$THROWAWAY_PGBOUNCER_DIR/stdout.log" 2>&1 &
  else
    pgbouncer "$THROWAWAY_PGBOUNCER_DIR/pgbouncer.ini" >"$THROWAWAY_PGBOUNCER_DIR/stdout.log" 2>&1 &
  fi
  THROWAWAY_PGBOUNCER_PID=$!
  for _ in $(seq 100); do
    if psql -Atqc 'SELECT 1' "postgres://$user@127.0.0.1:$listen/$database" >/dev/null 2>&1; then
      THROWAWAY_PGBOUNCER_URL="postgres://$user@127.0.0.1:$listen/$database"
      return 0
    fi
    kill -0 "$THROWAWAY_PGBOUNCER_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$THROWAWAY_PGBOUNCER_DIR"/*.log >&2
  return 1
}

throwaway_pgbouncer_stop() {
  if [ -n "$THROWAWAY_PGBOUNCER_PID" ]; then
    kill "$THROWAWAY_PGBOUNCER_PID" 2>/dev/null || true
    wait "$THROWAWAY_PGBOUNCER_PID" 2>/dev/null || true
  fi
  [ -z "$THROWAWAY_PGBOUNCER_DIR" ] || rm -rf "$THROWAWAY_PGBOUNCER_DIR"
  THROWAWAY_PGBOUNCER_DIR="" THROWAWAY_PGBOUNCER_URL="" THROWAWAY_PGBOUNCER_PID=""
}
