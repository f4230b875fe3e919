#!/usr/bin/env bash
# What one upload costs the server, in CPU seconds per GiB and wall MiB/s (issue 14). Standalone,
# not part of `npm run bench`. Starts `plankton serve --workers 1` (run `npm run build` first: the
# compiled build is what operators run) on a fresh data dir, then for each repeat uploads a fresh
# random file with curl -T: an object PUT, an image upload (v1 POST), and N concurrent object PUTs.
# CPU = utime + stime of every process in the server's process group, before and after.
#
#   bench/scripts/upload-cost.sh [size_mib=1024] [repeats=3] [concurrent=8] [concurrent_mib=256]
#   PLANKTON='node --import tsx OTHER/src/cli/main.ts' bench/scripts/upload-cost.sh …   # another tree
#   UPLOADS='object' …   # only the object PUTs (default 'object image')
set -euo pipefail
SIZE=${1:-1024} REPEATS=${2:-3} CONC=${3:-8} CONC_MIB=${4:-256}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PLANKTON=${PLANKTON:-node $ROOT/bin/plankton.js}
UPLOADS=${UPLOADS:-object image}
WORK=$(mktemp -d "${UPLOAD_COST_DIR:-$ROOT}/.upload-cost.XXXXXX")
PORT=$((20000 + RANDOM % 20000))
SERVER=
cleanup() { [ -n "$SERVER" ] && kill -- "-$SERVER" 2>/dev/null; sleep 0.5; rm -rf "$WORK"; }
trap cleanup EXIT

$PLANKTON user create bench --data-dir "$WORK/data" --json >"$WORK/user.json" 2>/dev/null
TOKEN=$(node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").pop();console.log(JSON.parse(l).token)' "$WORK/user.json")
USERNAME=$(node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").pop();console.log(JSON.parse(l).uuid)' "$WORK/user.json")
setsid $PLANKTON serve --workers 1 --host 127.0.0.1 --port "$PORT" --data-dir "$WORK/data" \
  >"$WORK/server.log" 2>&1 &
SERVER=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 200); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.2; done

ticks() { # utime+stime of the server's process group, in ticks
  local t=0 pid
  for pid in $(pgrep -g "$SERVER"); do
    t=$((t + $(awk '{sub(/^.*\) /,""); print $12 + $13}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo $t
}
fresh() { head -c "$(($2 * 1048576))" /dev/urandom >"$1"; }
report() { # label bytes ticks seconds
  awk -v l="$1" -v b="$2" -v t="$3" -v s="$4" 'BEGIN { g = b / 1073741824;
    printf "%-18s %6.0f MiB  %5.2f s wall  %6.1f MiB/s  CPU %5.2f s  = %4.2f s/GiB  load %s\n",
      l, b / 1048576, s, b / 1048576 / s, t / 100, t / 100 / g, ENVIRON["LOAD"] }'
}
OBJ="$BASE/object-store/v1/$USERNAME"
curl -fsS -X PUT -H "X-Auth-Token: $TOKEN" "$OBJ/c" -o /dev/null

for r in $(seq 1 "$REPEATS"); do
  [[ " $UPLOADS " == *" object "* ]] || break
  fresh "$WORK/f" "$SIZE"; sync
  LOAD=$(cut -d' ' -f1 /proc/loadavg) t0=$(ticks) s0=$(date +%s.%N)
  curl -fsS -T "$WORK/f" -H "X-Auth-Token: $TOKEN" -H 'Expect:' "$OBJ/c/o$r" -o /dev/null
  s1=$(date +%s.%N) t1=$(ticks)
  LOAD=$LOAD report "object PUT #$r" $((SIZE * 1048576)) $((t1 - t0)) "$(echo "$s1 - $s0" | bc)"
  [[ " $UPLOADS " == *" image "* ]] || continue
  fresh "$WORK/f" "$SIZE"; sync
  LOAD=$(cut -d' ' -f1 /proc/loadavg) t0=$(ticks) s0=$(date +%s.%N)
  curl -fsS -T "$WORK/f" -X POST -H "X-Auth-Token: $TOKEN" -H 'Expect:' -H "X-Image-Meta-Name: i$r" \
    -H 'Content-Type: application/octet-stream' "$BASE/image/v1.0/images" -o /dev/null
  s1=$(date +%s.%N) t1=$(ticks)
  LOAD=$LOAD report "image upload #$r" $((SIZE * 1048576)) $((t1 - t0)) "$(echo "$s1 - $s0" | bc)"
done
if [ "$CONC" -gt 0 ]; then
  for r in $(seq 1 "$REPEATS"); do
    for i in $(seq 1 "$CONC"); do fresh "$WORK/c$i" "$CONC_MIB"; done; sync
    LOAD=$(cut -d' ' -f1 /proc/loadavg) t0=$(ticks) s0=$(date +%s.%N)
    pids=()
    for i in $(seq 1 "$CONC"); do
      curl -fsS -T "$WORK/c$i" -H "X-Auth-Token: $TOKEN" -H 'Expect:' "$OBJ/c/r$r-$i" -o /dev/null & pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    s1=$(date +%s.%N) t1=$(ticks)
    LOAD=$LOAD report "${CONC}x${CONC_MIB} #$r" $((CONC * CONC_MIB * 1048576)) $((t1 - t0)) "$(echo "$s1 - $s0" | bc)"
  done
fi
