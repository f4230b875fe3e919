#!/usr/bin/env bash
# OpenStack Glance (Debian's glance-api, 2:25.x, Images API v2) as a benchmark peer on 127.0.0.1.
# Keystone-less: identity comes from X-* request headers (glance's own "context" middleware with
# no auth_token in front of it). Metadata in sqlite, image data in the "file" store. Everything it
# writes stays under DIR; nothing in /etc/glance or /var/lib/glance is touched.
#
#   bench/scripts/glance-peer.sh install            apt-get glance-api (root; a few hundred packages)
#   bench/scripts/glance-peer.sh start DIR PORT     write config, create the schema, start, wait
#   bench/scripts/glance-peer.sh stop DIR           stop the process group started by 'start'
#
# Env: GLANCE_WORKERS (API worker processes; default: number of CPUs, glance's own default).
# 'start' prints "pid=<pid> db=<sqlite file>" on stdout once /healthcheck answers.
# Requests must carry: X-Identity-Status: Confirmed, X-Project-Id, X-User-Id, X-Roles.
set -euo pipefail

say() { echo "[glance-peer] $*" >&2; }

cmd=${1:?usage: glance-peer.sh install | start DIR PORT | stop DIR}

if [ "$cmd" = install ]; then
  if [ -x /usr/bin/glance-api ]; then say "already installed"; exit 0; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -q --no-install-recommends glance-api >&2
  exit 0
fi

dir=${2:?give a folder}
pidfile=$dir/glance-api.pid

stop_peer() {
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  # 'start' ran glance-api under setsid: its pid is also its process group (parent + workers)
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

if [ "$cmd" = stop ]; then stop_peer; exit 0; fi
[ "$cmd" = start ] || { say "unknown command $cmd"; exit 2; }

port=${3:?give a port}
workers=${GLANCE_WORKERS:-$(nproc)}
[ -x /usr/bin/glance-api ] || { say "glance-api is not installed: run '$0 install'"; exit 3; }

mkdir -p "$dir/images" "$dir/lock" "$dir/log"
db=$dir/glance.sqlite

cat >"$dir/glance-api.conf" <<CONF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $port
workers = $workers
log_file = $dir/log/glance-api.log
use_stderr = false
image_size_cap = 1099511627776
show_image_direct_url = false
delayed_delete = false

[database]
connection = sqlite:///$db

[glance_store]
stores = file
default_store = file
filesystem_store_datadir = $dir/images

[paste_deploy]
flavor = headers
config_file = $dir/api-paste.ini

[oslo_concurrency]
lock_path = $dir/lock

[oslo_policy]
enforce_new_defaults = false
enforce_scope = false

[oslo_messaging_notifications]
driver = noop
CONF

# Debian's paste file, plus one pipeline that builds the request context from X-* headers.
{
  cat /etc/glance/glance-api-paste.ini
  printf '\n[pipeline:glance-api-headers]\n'
  printf 'pipeline = cors healthcheck http_proxy_to_wsgi versionnegotiation osprofiler context rootapp\n'
} >"$dir/api-paste.ini"

if [ ! -f "$db" ]; then
  /usr/bin/glance-manage --config-file "$dir/glance-api.conf" db_sync >"$dir/log/db_sync.log" 2>&1 \
    || { tail -n 20 "$dir/log/db_sync.log" >&2; exit 1; }
fi

stop_peer
setsid /usr/bin/glance-api --config-file "$dir/glance-api.conf" >"$dir/log/stdout.log" 2>&1 </dev/null &
echo $! >"$pidfile"
pid=$(cat "$pidfile")

for _ in $(seq 1 240); do
  if curl -fs -o /dev/null "http://127.0.0.1:$port/healthcheck"; then
    echo "pid=$pid db=$db"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    say "glance-api exited during start-up:"; tail -n 30 "$dir/log/stdout.log" "$dir/log/glance-api.log" >&2 || true
    rm -f "$pidfile"; exit 1
  fi
  sleep 0.25
done
say "glance-api did not answer within 60 s"; stop_peer; exit 1
