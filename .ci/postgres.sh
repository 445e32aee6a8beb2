# shellcheck shell=bash
# PostgreSQL for tests: a throwaway cluster on 127.0.0.1:$PG_PORT with trust auth, nothing else.
# Source it (as root) from .ci/run, then call pg_start, and pg_stop when done (run sets a trap).
# Idempotent: a server that already answers on the port is reused; leftovers of a killed one are wiped.
# After pg_start, DATABASE_URL points at database "app" (pytest-django creates test_app itself).

# Not 5432 (Debian's 'main' cluster), and below the kernel's ephemeral range (32768-60999): a port in
# that range can be held in TIME_WAIT by one of the thousands of connections the load tests open.
PG_PORT=${PG_PORT:-5439}
PG_ROOT=${PG_ROOT:-/tmp/ci-pg-$PG_PORT}    # data, socket dir and log; wiped whenever no server answers

pg_install() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "Installing PostgreSQL from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
}

# The server refuses to run as root; cd / so the postgres user never needs to read our directory.
pg_as() { (cd / && su postgres -s /bin/sh -c "$*"); }

pg_start() {
  pg_install
  if ! "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2; then
    pg_as "$PG_BIN/pg_ctl -D $PG_ROOT/data -m immediate stop" >/dev/null 2>&1 || true
    rm -rf "$PG_ROOT" && mkdir -p "$PG_ROOT/sock" && chown -R postgres:postgres "$PG_ROOT"
    pg_as "$PG_BIN/initdb -D $PG_ROOT/data -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync" >/dev/null
    # fsync off: this cluster holds nothing worth keeping, and tests run several times faster.
    pg_as "timeout 60 $PG_BIN/pg_ctl -D $PG_ROOT/data -l $PG_ROOT/log -w -t 30 -o \"-p $PG_PORT -k $PG_ROOT/sock \
-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start" >/dev/null \
      || { cat "$PG_ROOT/log"; return 1; }
  fi
  "$PG_BIN/psql" "postgresql://postgres@127.0.0.1:$PG_PORT/postgres" -v ON_ERROR_STOP=1 -qAt >/dev/null <<'SQL'
SELECT 'CREATE DATABASE app' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'app')\gexec
SQL
  export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/app"
}

pg_stop() {
  [ -n "${PG_BIN:-}" ] || return 0
  pg_as "$PG_BIN/pg_ctl -D $PG_ROOT/data -m fast -w -t 30 stop" >/dev/null 2>&1 || true
}
