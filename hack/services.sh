#!/usr/bin/env bash
# services.sh [CMD [ARG...]]
#
# Starts private test servers on loopback in one temporary directory, exports
# where they are, runs CMD, stops every server and removes the directory.
# The exit status is CMD's. `make test` and `.ci/run` run the test suite
# through it; tests read the variables below and skip without them (fail
# under MODKIT_REQUIRE_TOOLS=1).
#
#   postgres  MODKIT_TEST_PG_URL     PostgreSQL superuser URL (tests create
#                                    their own databases)
#   amqp      MODKIT_TEST_AMQP_URL   RabbitMQ, user guest
#   koji      KOJI_HUB_URL, KOJI_ADMIN, ... (../shared/tools/koji-hub up
#                                    --with-builder: koji 1.35.3's real hub)
#   bodhi     BODHI_URL, BODHI_ADMIN_COOKIE, ... (../shared/tools/bodhi-server
#                                    up, against that hub)
#
# MODKIT_SERVICES=postgres,amqp,koji,bodhi chooses which to start (default:
# all). koji and bodhi come from the workplace's ../shared, which a user's
# clone does not have: they are then left out with a message. A server that
# fails to start is reported with the tail of its log and left out too.
# Without CMD, prints the variables and waits until interrupted (for running
# single tests by hand against the same servers).
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
shared="$root/../shared/tools"
want=",${MODKIT_SERVICES:-postgres,amqp,koji,bodhi},"
dir="$(mktemp -d /tmp/modkit-services.XXXXXX)"
chmod 755 "$dir"
mkdir -p "$dir/logs"

say() { echo "services: $*" >&2; }
wanted() { [[ "$want" == *",$1,"* ]]; }

# free_port prints a loopback TCP port nothing listens on.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# wait_port PORT SECONDS: until something accepts on 127.0.0.1:PORT.
wait_port() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

stops=()
cleanup() {
  local i
  for ((i = ${#stops[@]} - 1; i >= 0; i--)); do
    eval "${stops[$i]}" >/dev/null 2>&1 || true
  done
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

started=()

# --- PostgreSQL ------------------------------------------------------------
start_postgres() {
  local bin="" d
  for d in /usr/lib/postgresql/*/bin /usr/pgsql-*/bin /usr/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && bin="$d"
  done
  if [ -z "$bin" ]; then
    say "postgres: initdb/pg_ctl not found (install postgresql); left out"
    return 1
  fi
  local data="$dir/pg" sock="$dir/pgsock" port run=()
  mkdir -p "$data" "$sock"
  if [ "$(id -u)" -eq 0 ]; then
    # PostgreSQL refuses to run as root.
    chown postgres "$data" "$sock" "$dir/logs" 2>/dev/null || {
      say "postgres: running as root needs the postgres user; left out"
      return 1
    }
    run=(runuser -u postgres --)
  fi
  port="$(free_port)" || return 1
  if ! "${run[@]}" "$bin/initdb" -D "$data" -U modkit --auth=trust -E UTF8 --no-sync \
    >"$dir/logs/initdb.log" 2>&1; then
    say "postgres: initdb failed:"; tail -5 "$dir/logs/initdb.log" >&2; return 1
  fi
  if ! "${run[@]}" "$bin/pg_ctl" -D "$data" -l "$dir/logs/postgresql.log" -w -t 60 \
    -o "-p $port -k $sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null 2>&1; then
    say "postgres: did not start:"; tail -5 "$dir/logs/postgresql.log" >&2; return 1
  fi
  stops+=("${run[*]} $bin/pg_ctl -D $data -m immediate stop")
  export MODKIT_TEST_PG_URL="postgres://modkit@127.0.0.1:$port/postgres?sslmode=disable"
  started+=(postgres)
}

# --- RabbitMQ --------------------------------------------------------------
start_amqp() {
  local srv="" ctl="" d
  for d in /usr/lib/rabbitmq/bin /usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin /usr/sbin; do
    [ -x "$d/rabbitmq-server" ] && [ -x "$d/rabbitmqctl" ] && { srv="$d/rabbitmq-server"; ctl="$d/rabbitmqctl"; break; }
  done
  if [ -z "$srv" ]; then
    say "amqp: rabbitmq-server not found (install rabbitmq-server); left out"
    return 1
  fi
  local base="$dir/rabbitmq" port dist node
  mkdir -p "$base/home" "$base/mnesia" "$base/log"
  port="$(free_port)" || return 1
  dist="$(free_port)" || return 1
  node="modkit$$@localhost"
  : >"$base/enabled_plugins"
  echo "loopback_users.guest = true" >"$base/rabbitmq.conf"
  local env=(env HOME="$base/home" RABBITMQ_NODENAME="$node" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT="$dist" RABBITMQ_MNESIA_BASE="$base/mnesia"
    RABBITMQ_LOG_BASE="$base/log" RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins"
    RABBITMQ_CONFIG_FILE="$base/rabbitmq.conf" RABBITMQ_PID_FILE="$base/pid"
    RABBITMQ_ADVANCED_CONFIG_FILE="$base/advanced.config" RABBITMQ_CONF_ENV_FILE="$base/env.conf")
  setsid "${env[@]}" "$srv" >"$dir/logs/rabbitmq.log" 2>&1 </dev/null &
  local pid=$!
  stops+=("${env[*]} $ctl -n $node stop; kill -TERM -$pid")
  if ! wait_port "$port" 90; then
    say "amqp: RabbitMQ did not start:"; tail -5 "$dir/logs/rabbitmq.log" >&2; return 1
  fi
  export MODKIT_TEST_AMQP_URL="amqp://guest:guest@127.0.0.1:$port/"
  started+=(amqp)
}

# --- koji hub and Bodhi (from ../shared, absent in a user's clone) ---------
start_koji() {
  if [ ! -x "$shared/koji-hub" ]; then
    say "koji: $shared/koji-hub is not present (the workplace's shared tools); left out"
    return 1
  fi
  local out
  if ! out="$("$shared/koji-hub" up --with-builder --dir "$dir/koji" 2>"$dir/logs/koji-hub-up.log")"; then
    say "koji: hub did not start:"; tail -5 "$dir/logs/koji-hub-up.log" >&2; return 1
  fi
  eval "$out"
  export KOJI_HUB_URL KOJI_HUB_DIR KOJI_TOPDIR KOJI_ADMIN KOJI_ADMIN_PASSWORD KOJI_USER KOJI_USER_PASSWORD
  export KOJI_PG KOJI_BUILDER_HOST
  stops+=("$shared/koji-hub down $dir/koji")
  started+=(koji)
}

start_bodhi() {
  if [ ! -x "$shared/bodhi-server" ]; then
    say "bodhi: $shared/bodhi-server is not present (the workplace's shared tools); left out"
    return 1
  fi
  if [ -z "${KOJI_HUB_URL:-}" ]; then
    say "bodhi: needs the koji hub, which did not start; left out"
    return 1
  fi
  local out
  if ! out="$("$shared/bodhi-server" up --dir "$dir/bodhi" 2>"$dir/logs/bodhi-server-up.log")"; then
    say "bodhi: server did not start:"; tail -5 "$dir/logs/bodhi-server-up.log" >&2; return 1
  fi
  eval "$out"
  export BODHI_URL BODHI_DIR BODHI_ADMIN BODHI_ADMIN_COOKIE BODHI_PACKAGER BODHI_PACKAGER_COOKIE
  export BODHI_PG BODHI_KOJI_HUB_URL BODHI_AUTHTKT_SECRET BODHI_MESSAGE_LOG
  stops+=("$shared/bodhi-server down $dir/bodhi")
  started+=(bodhi)
}

t0=$SECONDS
wanted postgres && start_postgres
wanted amqp && start_amqp
wanted koji && start_koji
wanted bodhi && start_bodhi
say "started ${started[*]:-nothing} in $((SECONDS - t0)) s (logs in $dir/logs)"

if [ $# -eq 0 ]; then
  env | grep -E '^(MODKIT_TEST_|KOJI_|BODHI_)' | sort
  say "running until interrupted"
  while :; do sleep 3600; done
fi
"$@"
