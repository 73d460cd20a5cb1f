#!/usr/bin/env bash
# Time from `./kiln serve` (already built) to a healthy endpoint, over N runs, on a data directory
# that already exists (the usual start) and on a new one (first start: master key, root account).
#   bench/startup.sh [runs=10]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
runs="${1:-10}"
ensure_bench_packages curl
"$top/kiln" version >/dev/null   # build first; building is not what this measures
machine

measure() { # label fresh(0/1)
  local data; data="$(mktemp -d)"; local times=()
  for _ in $(seq "$runs"); do
    [ "$2" = 1 ] && { rm -rf "$data"; data="$(mktemp -d)"; }
    local port; port="$(free_port)"
    local t0; t0=$(date +%s%N)
    "$top/kiln" serve --port "$port" --data-dir "$data" >/dev/null 2>&1 &
    local pid=$!
    wait_healthy "http://127.0.0.1:$port" 30
    local t1; t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000000 )))
    kill -TERM "$pid"; wait "$pid" || true
  done
  rm -rf "$data"
  printf '%s\n' "${times[@]}" | sort -n | awk -v label="$1" '{a[NR]=$1} END {printf "%-28s min %d ms  median %d ms  max %d ms  (%d runs)\n", label, a[1], a[int((NR+1)/2)], a[NR], NR}'
}

measure "serve → healthy (existing)" 0
measure "serve → healthy (first start)" 1
