#!/usr/bin/env bash
# A throw-away OpenStack Swift node with the s3api middleware on 127.0.0.1, for the S3 block-store
# tests (test/block-store-s3.test.ts). Debian/Ubuntu packages; everything lives under DIR
# (config, rings, data, pids, logs) — nothing in /etc/swift, no system services.
#
#   scripts/swift-s3.sh install           apt-get the packages (root)
#   scripts/swift-s3.sh start DIR         configure DIR the first time, start, wait until it answers,
#                                         print the test settings on stdout (progress goes to stderr)
#   scripts/swift-s3.sh stop DIR          stop the processes this script started in DIR
#   scripts/swift-s3.sh status DIR
#
# `start` again after one of its processes stopped (killed by a fault test) restarts just that one.
#
# Typical use:
#   set -a; eval "$(scripts/swift-s3.sh start /tmp/plankton-swift)"; set +a
#   node --import tsx --test test/block-store-s3.test.ts
#   scripts/swift-s3.sh stop /tmp/plankton-swift
#
# Ports (env): PLANKTON_SWIFT_PORT proxy/S3 (18080), PLANKTON_SWIFT_BACKEND_PORT object
# (16210; container +1, account +2), PLANKTON_SWIFT_MEMCACHED_PORT (11311).
set -euo pipefail

usage() { echo "usage: $0 install | start DIR | stop DIR | status DIR" >&2; exit 2; }
cmd=${1:-}
[ -n "$cmd" ] || usage

PROXY_PORT=${PLANKTON_SWIFT_PORT:-18080}
OBJECT_PORT=${PLANKTON_SWIFT_BACKEND_PORT:-16210}
CONTAINER_PORT=$((OBJECT_PORT + 1))
ACCOUNT_PORT=$((OBJECT_PORT + 2))
MEMCACHED_PORT=${PLANKTON_SWIFT_MEMCACHED_PORT:-11311}
BUCKET=plankton-test
# Swift's own Python: a pyenv/virtualenv python3 earlier on PATH does not have the swift module.
PY=/usr/bin/python3
SERVICES="memcached account container object proxy"

if [ "$cmd" = install ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends swift swift-proxy swift-object swift-container swift-account memcached curl
  exit 0
fi

[ -n "${2:-}" ] || usage
mkdir -p "$2"
DIR=$(cd "$2" && pwd)
ETC=$DIR/etc RUN=$DIR/run LOG=$DIR/log NODE=$DIR/node
ME=$(id -un)

log() { echo "swift-s3: $*" >&2; }

# The tempauth secret is made once per DIR, so a second `start` prints the same credentials.
configure() {
  mkdir -p "$ETC" "$RUN" "$LOG" "$NODE/d1"
  [ -f "$ETC/proxy-server.conf" ] && return 0
  local secret
  secret=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  echo "$secret" >"$ETC/s3-secret"

  cat >"$ETC/swift.conf" <<EOF
[swift-hash]
swift_hash_path_prefix = plankton-$secret
swift_hash_path_suffix = plankton-test
[storage-policy:0]
name = gold
default = yes
EOF

  # Settings shared by the three storage servers: one device folder, no mount checks, one process.
  local server_defaults="[DEFAULT]
swift_dir = $ETC
devices = $NODE
mount_check = false
disable_fallocate = true
bind_ip = 127.0.0.1
workers = 0
user = $ME"

  local kind port
  for kind in object container account; do
    case $kind in object) port=$OBJECT_PORT ;; container) port=$CONTAINER_PORT ;; account) port=$ACCOUNT_PORT ;; esac
    {
      echo "$server_defaults"
      echo "bind_port = $port"
      echo "[pipeline:main]"
      echo "pipeline = $kind-server"
      echo "[app:$kind-server]"
      echo "use = egg:swift#$kind"
    } >"$ETC/$kind-server.conf"
  done

  # s3api has to come before the auth middleware (it turns the S3 signature into a tempauth
  # identity); the access key is ACCOUNT:USER and the secret is the tempauth key.
  cat >"$ETC/proxy-server.conf" <<EOF
[DEFAULT]
swift_dir = $ETC
bind_ip = 127.0.0.1
bind_port = $PROXY_PORT
workers = 0
user = $ME

[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy slo dlo proxy-logging proxy-server

[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true

[filter:s3api]
use = egg:swift#s3api
location = us-east-1
s3_acl = false

[filter:tempauth]
use = egg:swift#tempauth
user_plankton_tester = $secret .admin

[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$MEMCACHED_PORT

[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
EOF

  # Three one-device, one-replica rings, built in one Python process (swift-ring-builder would
  # need nine invocations of about a second each).
  "$PY" - "$ETC" "$OBJECT_PORT" "$CONTAINER_PORT" "$ACCOUNT_PORT" <<'PY'
import sys
from swift.common.ring import RingBuilder
etc = sys.argv[1]
for kind, port in zip(("object", "container", "account"), sys.argv[2:5]):
    builder = RingBuilder(6, 1, 1)  # 2^6 partitions, 1 replica, min_part_hours 1
    builder.add_dev({"region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port), "device": "d1", "weight": 1, "meta": ""})
    builder.rebalance()
    builder.save(f"{etc}/{kind}.builder")
    builder.get_ring().save(f"{etc}/{kind}.ring.gz")
PY
}

running() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

# Any HTTP answer (even 4xx) means the server listens; curl prints 000 when nothing does.
http_answers() { [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$1/${2:-}")" != 000 ]; }

launch() { # name command...
  local name=$1; shift
  running "$name" && return 0
  "$@" >>"$LOG/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

start() {
  command -v swift-proxy-server >/dev/null && command -v memcached >/dev/null ||
    { log "Swift is not installed: run '$0 install' as root"; exit 1; }
  # Only the ports of the services that are not running must be free (a start after one of
  # them stopped, as the fault tests do, restarts just that one).
  local name port
  for name in proxy object container account; do
    running "$name" && continue
    case $name in proxy) port=$PROXY_PORT ;; object) port=$OBJECT_PORT ;; container) port=$CONTAINER_PORT ;; account) port=$ACCOUNT_PORT ;; esac
    if http_answers "$port"; then log "port $port is taken by another program; choose other ports (see the header of $0)"; exit 1; fi
  done
  configure
  local began=$SECONDS
  launch memcached memcached -l 127.0.0.1 -p "$MEMCACHED_PORT" -U 0 -m 64 -u "$ME"
  launch account swift-account-server "$ETC/account-server.conf" -v
  launch container swift-container-server "$ETC/container-server.conf" -v
  launch object swift-object-server "$ETC/object-server.conf" -v
  launch proxy swift-proxy-server "$ETC/proxy-server.conf" -v
  local i
  for i in $(seq 1 300); do
    if http_answers "$PROXY_PORT" healthcheck && http_answers "$ACCOUNT_PORT" &&
       http_answers "$CONTAINER_PORT" && http_answers "$OBJECT_PORT"; then
      log "up after $((SECONDS - began)) s (logs in $LOG)"
      # Quoted: the URL holds '&', which must survive `eval`.
      echo "PLANKTON_TEST_S3='s3://$BUCKET?endpoint=http://127.0.0.1:$PROXY_PORT&region=us-east-1'"
      echo "AWS_ACCESS_KEY_ID='plankton:tester'"
      echo "AWS_SECRET_ACCESS_KEY='$(cat "$ETC/s3-secret")'"
      return 0
    fi
    for name in $SERVICES; do
      running "$name" || { log "$name exited; last lines of $LOG/$name.log:"; tail -n 20 "$LOG/$name.log" >&2; stop; exit 1; }
    done
    sleep 0.1
  done
  log "no answer after 30 s; logs in $LOG"
  stop
  exit 1
}

# Stops only the processes whose pids this script recorded in DIR.
stop() {
  local pids=() name pid
  for name in proxy object container account memcached; do
    if running "$name"; then
      pid=$(cat "$RUN/$name.pid")
      kill "$pid" 2>/dev/null && pids+=("$pid")
    fi
    rm -f "$RUN/$name.pid"
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}

case $cmd in
  start) start ;;
  stop) stop ;;
  status) for name in $SERVICES; do if running "$name"; then echo "$name running"; else echo "$name stopped"; fi; done ;;
  *) usage ;;
esac
