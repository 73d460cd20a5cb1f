#!/usr/bin/env bash
# PutObject_4KiB: 4 KiB PUTs per second, each to a new key through its own presigned URL, over 32 keep-alive
# connections (wrk + put.lua), beside one loop of write + fsync + rename of 4 KiB files on the same filesystem.
#   bench/s3/small-put.sh [seconds=10] [connections=32]
set -euo pipefail
source "$(dirname "$0")/common.sh"
seconds="${1:-10}"; conns="${2:-32}"
ensure_bench_packages wrk curl
"$top/kiln" version >/dev/null
machine
start_kiln
presign PUTPATHS warm 20000 > "$work/warm.urls"
presign PUTPATHS k 150000 > "$work/put.urls"
wrk -t2 -c"$conns" -d3s -s "$s3dir/put.lua" "http://127.0.0.1:$kport" "$work/warm.urls" 2 >/dev/null
out="$(wrk -t2 -c"$conns" -d"${seconds}s" --latency -s "$s3dir/put.lua" "http://127.0.0.1:$kport" "$work/put.urls" 2)"
kiln="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
total="$(awk '/requests in/ {print $1}' <<<"$out")"
[ "$total" -lt 150000 ] || echo "bench: warning: URLs wrapped around, some PUTs overwrote" >&2
loop="$(/usr/bin/python3 "$s3dir/fsync-loop.py" "$work/loop" "$seconds")"
loopd="$(/usr/bin/python3 "$s3dir/fsync-loop.py" "$work/loopd" "$seconds" --dirsync)"
curl -fsS -o /dev/null "$(presign GET k-$((total / 2)))"  # an acknowledged key reads back
echo "wrk -t2 -c$conns -d${seconds}s, 4 KiB bodies, one new key per request"
printf '%-34s %8s PUT/s   p50 %-8s p99 %-8s %s\n' "kiln PutObject 4 KiB" "$kiln" "$(awk '$1=="50%" {print $2}' <<<"$out")" \
  "$(awk '$1=="99%" {print $2}' <<<"$out")" "$(awk '/Non-2xx/ {print "non-2xx: " $NF}' <<<"$out")"
printf '%-34s %8s files/s\n' "loop write+fsync+rename" "$loop" "loop write+fsync+rename+fsync(dir)" "$loopd"
echo "PutObject_4KiB ratio kiln/fsync loop: $(ratio "$kiln" "$loop")   (goal >= 1); vs loop with dir fsync: $(ratio "$kiln" "$loopd")"
