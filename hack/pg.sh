#!/usr/bin/env bash
# pg.sh up DIR | down DIR
# Starts (stops) a private PostgreSQL server with its data and socket in DIR,
# listening on 127.0.0.1 on a free port, trust authentication, superuser
# "postgres". `up` prints shell assignments on stdout, for eval:
#   MODKIT_TEST_PG_URL=postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
#   MODKIT_PG_DIR=DIR
# Run as root, the server runs as the user "postgres" (PostgreSQL refuses
# root). Binaries: PG_BINDIR, else the newest /usr/lib/postgresql/*/bin,
# else /usr/bin (Fedora); initdb, pg_ctl and postgres must be there.
set -euo pipefail

usage() { echo "usage: $0 up DIR | down DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1 dir=$2

bindir=${PG_BINDIR:-}
if [ -z "$bindir" ]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  [ -n "$bindir" ] || bindir=/usr/bin
fi
for p in initdb pg_ctl postgres; do
  [ -x "$bindir/$p" ] || { echo "pg.sh: $bindir/$p not found (install postgresql; or set PG_BINDIR)" >&2; exit 1; }
done

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 30000 ))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return; fi
  done
  echo "pg.sh: no free port found" >&2; exit 1
}

case "$cmd" in
up)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  data=$dir/data
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    as_owner "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  port=$(free_port)
  as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/postgres.log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null ||
    { cat "$dir/postgres.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  echo "MODKIT_TEST_PG_URL='postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable'"
  echo "MODKIT_PG_DIR='$dir'"
  echo "export MODKIT_TEST_PG_URL MODKIT_PG_DIR"
  ;;
down)
  [ -d "$dir/data" ] || exit 0
  as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  ;;
*) usage ;;
esac
