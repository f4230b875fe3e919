#!/usr/bin/env bash
# OpenStack Swift (Debian's swift 2.30) as a one-node benchmark peer on 127.0.0.1: proxy with
# tempauth (account "test", user "tester", key "testing"), one object, container and account
# server sharing one device folder, and a private memcached for tempauth's tokens.
# Config, rings, data, logs and pid files all live under DIR.
#
#   bench/scripts/swift-peer.sh install      apt-get the Debian packages (root)
#   bench/scripts/swift-peer.sh start DIR PROXY_PORT BACKEND_PORT MEMCACHED_PORT
#        (object server on BACKEND_PORT, container on +1, account on +2)
#        prints "auth=http://127.0.0.1:PROXY_PORT/auth/v1.0" once every server answers
#   bench/scripts/swift-peer.sh stop DIR     stops the processes 'start' recorded, nothing else
set -euo pipefail

say() { echo "[swift-peer] $*" >&2; }
PY=/usr/bin/python3   # Debian's interpreter: the swift modules are installed for it only

cmd=${1:?usage: swift-peer.sh install | start DIR PROXY_PORT BACKEND_PORT MEMCACHED_PORT | stop DIR}

if [ "$cmd" = install ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -q --no-install-recommends swift swift-proxy swift-object swift-container swift-account memcached >&2
  exit 0
fi

dir=${2:?give a folder}
run=$dir/run

stop_all() {
  local f pid
  for f in "$run"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for f in "$run"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$f"
  done
}

if [ "$cmd" = stop ]; then stop_all; exit 0; fi
[ "$cmd" = start ] || { say "unknown command $cmd"; exit 2; }

proxy_port=${3:?proxy port}
obj_port=${4:?backend port}
cont_port=$((obj_port + 1))
acct_port=$((obj_port + 2))
mc_port=${5:?memcached port}
command -v swift-proxy-server >/dev/null || { say "swift is not installed: run '$0 install'"; exit 3; }

etc=$dir/etc
mkdir -p "$etc" "$run" "$dir/log" "$dir/node/d0"
me=$(id -un)

cat >"$etc/swift.conf" <<CONF
[swift-hash]
swift_hash_path_prefix = plankton-bench
swift_hash_path_suffix = plankton-bench
[storage-policy:0]
name = gold
default = yes
[swift-constraints]
max_file_size = 10737418240
CONF

# server_conf KIND PORT: one backend server's config
server_conf() {
  cat <<CONF
[DEFAULT]
swift_dir = $etc
devices = $dir/node
mount_check = false
bind_ip = 127.0.0.1
bind_port = $2
workers = 0
user = $me
log_level = WARNING
[pipeline:main]
pipeline = $1-server
[app:$1-server]
use = egg:swift#$1
CONF
}
server_conf object "$obj_port" >"$etc/object-server.conf"
server_conf container "$cont_port" >"$etc/container-server.conf"
server_conf account "$acct_port" >"$etc/account-server.conf"

cat >"$etc/proxy-server.conf" <<CONF
[DEFAULT]
swift_dir = $etc
bind_ip = 127.0.0.1
bind_port = $proxy_port
workers = 0
user = $me
log_level = WARNING
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck cache tempauth proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$mc_port
[filter:tempauth]
use = egg:swift#tempauth
user_test_tester = testing .admin
CONF

# Rings: one device, one replica, 2^8 partitions each; built in one interpreter (fast).
"$PY" - "$etc" "$obj_port" "$cont_port" "$acct_port" <<'RINGS'
import sys
from swift.common.ring import RingBuilder
etc = sys.argv[1]
for kind, port in zip(("object", "container", "account"), sys.argv[2:5]):
    builder = RingBuilder(8, 1, 1)
    builder.add_dev({"region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port),
                     "device": "d0", "weight": 1, "meta": ""})
    builder.rebalance()
    builder.get_ring().save(f"{etc}/{kind}.ring.gz")
RINGS

launch() { # NAME COMMAND...: run in its own session so 'stop' can end it with its children
  local name=$1; shift
  setsid "$@" >"$dir/log/$name.log" 2>&1 </dev/null &
  echo $! >"$run/$name.pid"
}
launch memcached memcached -l 127.0.0.1 -p "$mc_port" -U 0 -m 64 -u "$me"
launch account swift-account-server "$etc/account-server.conf"
launch container swift-container-server "$etc/container-server.conf"
launch object swift-object-server "$etc/object-server.conf"
launch proxy swift-proxy-server "$etc/proxy-server.conf"

listening() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/")" != 000 ]; }
for _ in $(seq 1 200); do
  if curl -fs -o /dev/null "http://127.0.0.1:$proxy_port/healthcheck" &&
     listening "$obj_port" && listening "$cont_port" && listening "$acct_port"; then
    echo "auth=http://127.0.0.1:$proxy_port/auth/v1.0"
    exit 0
  fi
  for f in "$run"/*.pid; do
    kill -0 "$(cat "$f")" 2>/dev/null || { say "$(basename "$f" .pid) exited during start-up"; break 2; }
  done
  sleep 0.1
done
say "swift did not come up"
for f in "$dir"/log/*.log; do say "== $f"; tail -n 15 "$f" >&2; done
stop_all
exit 1
