#!/usr/bin/env bash
# A disposable PostgreSQL cluster on 127.0.0.1 for the tests (.ci/run uses it). Everything lives
# in DIR: data, socket, log, the chosen port. Durability is switched off: the data is throw-away.
# Needs Debian's `postgresql` package (any version under /usr/lib/postgresql).
#
#   scripts/postgres.sh start DIR   create the cluster the first time, start it, wait until it
#                                   accepts connections, print PG_URL=postgres://… on stdout
#   scripts/postgres.sh stop DIR    fast shutdown (nothing to do if it is not running)
#
# Port: $PLANKTON_PG_PORT, else the first free one from 55432 up (remembered in DIR/port).
# As root, initdb and postgres run as the `postgres` system user (postgres refuses to run as root).
set -euo pipefail

usage() { echo "usage: $0 start DIR | stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
mkdir -p "$2"
DIR=$(cd "$2" && pwd)
DB=plankton

BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -x "$BIN/initdb" ] || { echo "postgres.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }

# Run a server-side command as the postgres user when we are root.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
# True when something already listens on 127.0.0.1:$1.
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$DIR"
    runuser -u postgres -- test -w "$DIR" ||
      { echo "postgres.sh: user postgres cannot reach $DIR (a parent folder is private?)" >&2; exit 1; }
  fi
  # First start: a UTF-8 cluster with the C locale and password-less local access.
  if [ ! -f "$DIR/data/PG_VERSION" ]; then
    as_owner "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$DIR/initdb.log" 2>&1 ||
      { echo "postgres.sh: initdb failed:" >&2; cat "$DIR/initdb.log" >&2; exit 1; }
  fi
  local port
  if [ -f "$DIR/port" ]; then
    port=$(cat "$DIR/port")
  else
    port=${PLANKTON_PG_PORT:-55432}
    if [ -z "${PLANKTON_PG_PORT:-}" ]; then while port_taken "$port"; do port=$((port + 1)); done; fi
    echo "$port" >"$DIR/port"
  fi
  if ! as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; then
    as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 start -o "-p $port -k $DIR \
      -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null ||
      { echo "postgres.sh: the server did not start; last lines of $DIR/server.log:" >&2; tail -n 20 "$DIR/server.log" >&2; exit 1; }
  fi
  # The database the URL names (tests create their own databases next to it).
  local psql=("$BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -qAt)
  [ "$("${psql[@]}" -c "select 1 from pg_database where datname = '$DB'")" = 1 ] || "${psql[@]}" -c "create database $DB"
  echo "PG_URL=postgres://postgres@127.0.0.1:$port/$DB"
}

stop() {
  [ -f "$DIR/data/PG_VERSION" ] || return 0
  as_owner "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1 || return 0
  as_owner "$BIN/pg_ctl" -D "$DIR/data" -m fast -w -t 60 stop >/dev/null
}

case $cmd in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
