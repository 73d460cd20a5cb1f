#!/usr/bin/env bash
# PutObject_64MiB / GetObject_64MiB: one 64 MiB object, PUT and GET through presigned URLs with curl, beside
# nginx serving the same file and `dd ... conv=fdatasync` writing it; median of N runs each.
#   bench/s3/large.sh [runs=5] [MiB=64]
set -euo pipefail
source "$(dirname "$0")/common.sh"
runs="${1:-5}"; mib="${2:-64}"
ensure_bench_packages nginx-light curl coreutils
"$top/kiln" version >/dev/null
machine
start_nginx; start_kiln
src="$work/www/big.bin"
head -c "$((mib * 1048576))" /dev/urandom > "$src"; chmod 644 "$src"
put_url="$(presign PUT big.bin)"; get_url="$(presign GET big.bin)"

secs() { # command... -> wall seconds
  local t0 t1; t0="$(date +%s.%N)"; "$@" >/dev/null; t1="$(date +%s.%N)"; awk -v a="$t0" -v b="$t1" 'BEGIN {print b-a}'
}
curl_put() { [ "$(curl -sS -X PUT -T "$src" -H 'Expect:' -o /dev/null -w '%{http_code}' "$put_url")" = 200 ]; }
curl_get() { [ "$(curl -sS -o /dev/null -w '%{http_code}' "$1")" = 200 ]; }
dd_write() { dd if="$src" of="$work/dd.out" bs=1M conv=fdatasync status=none; }
dd_read() { dd if="$src" of=/dev/null bs=1M status=none; }

curl_put; cmp <(curl -fsS "$get_url") "$src"   # correct before measured
# Warm-up (~15 s): .NET compiles hot methods again, optimized, on a background thread that shares the
# two cores with the run, and keeps at it for a while (with 40 warm-up GETs `perf` still found a third
# of the server's CPU in the JIT during measured runs; with 150, none). 150 PUTs of a 4 MiB object take
# the PUT path, 150 GETs of the 64 MiB one the GET path.
head -c 4194304 /dev/urandom > "$work/warm.bin"; warm_url="$(presign PUT warm.bin)"
for _ in $(seq 150); do curl -fsS -X PUT -T "$work/warm.bin" -H 'Expect:' -o /dev/null "$warm_url"; curl_get "$get_url"; done
curl_get "http://127.0.0.1:$nport/big.bin"; dd_write; dd_read   # warm caches
for name in dd_write kiln_put nginx_get kiln_get dd_read; do : > "$work/$name.t"; done
for _ in $(seq "$runs"); do
  secs dd_write >> "$work/dd_write.t"
  secs curl_put >> "$work/kiln_put.t"
  secs curl_get "http://127.0.0.1:$nport/big.bin" >> "$work/nginx_get.t"
  secs curl_get "$get_url" >> "$work/kiln_get.t"
  secs dd_read >> "$work/dd_read.t"
done
mbs() { awk -v m="$mib" -v t="$(median < "$work/$1.t")" 'BEGIN {printf "%.0f", m*1.048576/t}'; }
echo "$mib MiB object, median of $runs runs (curl -T / curl -o /dev/null through presigned URLs; dd bs=1M)"
for name in dd_write kiln_put nginx_get kiln_get dd_read; do
  printf '%-10s %6s MB/s  (median %.3f s)\n' "$name" "$(mbs $name)" "$(median < "$work/$name.t")"
done
echo "PutObject_${mib}MiB ratio kiln/dd(conv=fdatasync): $(ratio "$(mbs kiln_put)" "$(mbs dd_write)")   (goal >= 0.8)"
echo "GetObject_${mib}MiB ratio kiln/nginx:             $(ratio "$(mbs kiln_get)" "$(mbs nginx_get)")   (goal >= 0.8)"
echo "GetObject_${mib}MiB ratio kiln/dd read (cached):  $(ratio "$(mbs kiln_get)" "$(mbs dd_read)")"
