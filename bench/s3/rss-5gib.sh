#!/usr/bin/env bash
# The server's peak resident memory (VmHWM) while a 5 GiB object goes up in one PUT and comes back down in one
# GET, both streamed by curl through presigned URLs from a sparse file.   bench/s3/rss-5gib.sh [GiB=5]
set -euo pipefail
source "$(dirname "$0")/common.sh"
gib="${1:-5}"
ensure_bench_packages curl
free_gib="$(df -P -BG "$work" | awk 'NR==2 {print int($4)}')"
if [ "$free_gib" -lt 15 ]; then echo "bench: skipped: $free_gib GiB free under $work, need 15" >&2; exit 0; fi
"$top/kiln" version >/dev/null
machine
start_kiln
truncate -s "${gib}G" "$work/sparse.bin"
hwm() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$kpid/status"; }
rss() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$kpid/status"; }
echo "after start: VmRSS $(rss) MiB, VmHWM $(hwm) MiB"
t0="$(date +%s.%N)"
code="$(curl -sS -X PUT -T "$work/sparse.bin" -H 'Expect:' -o "$work/put.out" -w '%{http_code}' "$(presign PUT big5)")"
t1="$(date +%s.%N)"
[ "$code" = 200 ] || { echo "PUT failed: $code $(cat "$work/put.out")" >&2; exit 1; }
echo "after PUT:   VmRSS $(rss) MiB, VmHWM $(hwm) MiB   ($(awk -v a="$t0" -v b="$t1" -v g="$gib" 'BEGIN {printf "%.1f s, %.0f MB/s", b-a, g*1073.741824/(b-a)}'))"
read -r code size < <(curl -sS -o /dev/null -w '%{http_code} %{size_download}\n' "$(presign GET big5)")
t2="$(date +%s.%N)"
[ "$code" = 200 ] && [ "$size" = "$((gib * 1073741824))" ] || { echo "GET failed: $code $size" >&2; exit 1; }
echo "after GET:   VmRSS $(rss) MiB, VmHWM $(hwm) MiB   ($(awk -v a="$t1" -v b="$t2" -v g="$gib" 'BEGIN {printf "%.1f s, %.0f MB/s", b-a, g*1073.741824/(b-a)}'))"
echo "peak RSS (VmHWM) during a ${gib} GiB PUT + GET: $(hwm) MiB   (goal < 200)"
