#!/usr/bin/env bash
# GetObject_1KiB: requests/s and p50/p99 of GET of a 1 KiB object through a presigned URL, 32 keep-alive
# connections (wrk), beside nginx serving the same 1 KiB file.   bench/s3/small-get.sh [seconds=10] [connections=32]
set -euo pipefail
source "$(dirname "$0")/common.sh"
seconds="${1:-10}"; conns="${2:-32}"
ensure_bench_packages wrk nginx-light curl
"$top/kiln" version >/dev/null
machine
start_nginx; start_kiln
head -c 1024 /dev/urandom > "$work/www/1k.bin"; chmod 644 "$work/www/1k.bin"
curl -fsS -X PUT -T "$work/www/1k.bin" -H 'Expect:' "$(presign PUT 1k.bin)" >/dev/null
url="$(presign GET 1k.bin)"
cmp <(curl -fsS "$url") "$work/www/1k.bin"

run() { # label url -> prints a row, echoes req/s into $work/<name>.rps
  wrk -t2 -c"$conns" -d10s "$2" >/dev/null  # warm-up: .NET tiers its JIT up under load (3 s was too short on a busy machine)
  local out; out="$(wrk -t2 -c"$conns" -d"${seconds}s" --latency "$2")"
  local rps; rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  printf '%-28s %10s req/s   p50 %-8s p99 %-8s %s\n' "$1" "$rps" "$(awk '$1=="50%" {print $2}' <<<"$out")" \
    "$(awk '$1=="99%" {print $2}' <<<"$out")" "$(awk '/Non-2xx/ {print "non-2xx: " $NF}' <<<"$out")"
  echo "$rps" > "$work/$3.rps"
}
echo "wrk -t2 -c$conns -d${seconds}s"
run "nginx 1 KiB file" "http://127.0.0.1:$nport/1k.bin" nginx
run "kiln GET 1 KiB presigned" "$url" kiln
echo "GetObject_1KiB ratio kiln/nginx: $(ratio "$(cat "$work/kiln.rps")" "$(cat "$work/nginx.rps")")   (goal >= 0.6)"
