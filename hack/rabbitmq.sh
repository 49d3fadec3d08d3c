#!/usr/bin/env bash
# rabbitmq.sh up DIR | down DIR
# Starts (stops) a private RabbitMQ node with its database, logs and Erlang
# cookie in DIR, AMQP on 127.0.0.1 on a free port, no management plugin,
# user guest/guest. `up` prints shell assignments on stdout, for eval:
#   MODKIT_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:PORT/
#   MODKIT_RABBITMQ_DIR=DIR
# Needs rabbitmq-server (Debian/Fedora package rabbitmq-server). Run as root,
# the node runs as root with HOME=DIR (its own cookie), not as the system
# rabbitmq user, so it never touches /var/lib/rabbitmq; its epmd is private
# too (own port), and `down` stops both.
set -euo pipefail

usage() { echo "usage: $0 up DIR | down DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1 dir=$2

sbin=${RABBITMQ_SBIN:-}
if [ -z "$sbin" ]; then
  for d in /usr/lib/rabbitmq/bin /usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin /usr/sbin; do
    [ -x "$d/rabbitmq-server" ] && [ -x "$d/rabbitmqctl" ] && { sbin=$d; break; }
  done
fi
[ -n "$sbin" ] || { echo "rabbitmq.sh: rabbitmq-server not found (install rabbitmq-server; or set RABBITMQ_SBIN)" >&2; exit 1; }

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 30000 ))
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return; fi
  done
  echo "rabbitmq.sh: no free port found" >&2; exit 1
}

node_env() {
  # Everything the node and rabbitmqctl need to find this private node.
  local name
  name=$(cat "$dir/nodename")
  export HOME=$dir
  export RABBITMQ_NODENAME=$name
  export RABBITMQ_MNESIA_BASE=$dir/mnesia
  export RABBITMQ_LOG_BASE=$dir/log
  export RABBITMQ_PID_FILE=$dir/rabbitmq.pid
  export RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
  export RABBITMQ_CONFIG_FILE=$dir/rabbitmq
  export RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config
  export RABBITMQ_CONF_ENV_FILE=$dir/rabbitmq-env.conf
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  export RABBITMQ_NODE_PORT=$(cat "$dir/port")
  export RABBITMQ_DIST_PORT=$(cat "$dir/distport")
  # A private epmd on its own port: nothing is shared with other nodes.
  export ERL_EPMD_ADDRESS=127.0.0.1
  export ERL_EPMD_PORT=$(cat "$dir/epmdport")
  export ERL_CRASH_DUMP=$dir/log/erl_crash.dump
}

case "$cmd" in
up)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  mkdir -p "$dir/mnesia" "$dir/log"
  echo "modkit-$(basename "$dir")-$$-$RANDOM@localhost" | tr -c 'A-Za-z0-9@\n-' - >"$dir/nodename"
  free_port >"$dir/port"
  free_port >"$dir/distport"
  free_port >"$dir/epmdport"
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/.erlang.cookie"
  chmod 400 "$dir/.erlang.cookie"
  echo '[].' >"$dir/enabled_plugins"
  : >"$dir/rabbitmq-env.conf"
  # guest may connect from loopback only (the default); keep it explicit.
  printf 'loopback_users.guest = true\nlisteners.tcp.default = 127.0.0.1:%s\n' "$(cat "$dir/port")" >"$dir/rabbitmq.conf"
  echo '[].' >"$dir/advanced.config"
  node_env
  "$sbin/rabbitmq-server" >"$dir/log/stdout.log" 2>&1 &
  echo $! >"$dir/server.pid"
  ok=
  for _ in $(seq 1 120); do
    if "$sbin/rabbitmqctl" -q await_startup >/dev/null 2>&1; then ok=1; break; fi
    kill -0 "$(cat "$dir/server.pid")" 2>/dev/null || break
    sleep 0.5
  done
  if [ -z "$ok" ]; then
    echo "rabbitmq.sh: the node did not start; log:" >&2
    tail -n 40 "$dir/log/stdout.log" >&2
    exit 1
  fi
  echo "MODKIT_TEST_AMQP_URL='amqp://guest:guest@127.0.0.1:$RABBITMQ_NODE_PORT/'"
  echo "MODKIT_RABBITMQ_DIR='$dir'"
  echo "export MODKIT_TEST_AMQP_URL MODKIT_RABBITMQ_DIR"
  ;;
down)
  [ -f "$dir/nodename" ] || exit 0
  dir=$(cd "$dir" && pwd)
  node_env
  "$sbin/rabbitmqctl" -q stop >/dev/null 2>&1 || true
  if [ -f "$dir/server.pid" ]; then
    pid=$(cat "$dir/server.pid")
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill "$pid" 2>/dev/null || true
  fi
  epmd -kill >/dev/null 2>&1 || true
  ;;
*) usage ;;
esac
