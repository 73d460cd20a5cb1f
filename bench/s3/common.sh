# Shared by bench/s3/*.sh: a Kiln server and an nginx on the same machine, a bucket, presigned URLs.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
s3dir="$top/bench/s3"
export KILN_ROOT_ACCESS_KEY_ID=AKIABENCHROOT0000001 KILN_ROOT_SECRET_ACCESS_KEY=bench-secret-00000000000000000000000000
# BENCH_KEEP=1 keeps the work directory (with kiln.log and the data dir) for a look afterwards.
# The work directory (Kiln's data dir, nginx's root and the dd / fsync targets) is on one filesystem.
work="$(mktemp -d "${BENCH_DIR:-/tmp}/kiln-bench-s3.XXXXXX")"
cleanup() { [ -f "$work/nginx.pid" ] && nginx -c "$work/nginx.conf" -p "$work" -s stop 2>/dev/null; kill $(jobs -p) 2>/dev/null; wait 2>/dev/null
  if [ -n "${BENCH_KEEP:-}" ]; then echo "bench: kept $work" >&2; else rm -rf "$work"; fi; }
trap cleanup EXIT

start_nginx() { # serves $work/www
  nport="$(free_port)"
  mkdir -p "$work/www"; chmod 755 "$work" "$work/www"
  cat > "$work/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off; sendfile on;
  server { listen 127.0.0.1:$nport; root $work/www; keepalive_requests 1000000; }
}
NGINX
  nginx -c "$work/nginx.conf" -p "$work"
  sleep 0.3
}

start_kiln() { # sets kport and kpid
  kport="$(free_port)"
  "$top/kiln" serve --port "$kport" --data-dir "$work/kiln" >"$work/kiln.log" 2>&1 &
  kpid=$!
  wait_healthy "http://127.0.0.1:$kport" 60
  /usr/bin/python3 "$s3dir/presign.py" "http://127.0.0.1:$kport" mb bench >/dev/null
}

presign() { /usr/bin/python3 "$s3dir/presign.py" "http://127.0.0.1:$kport" "$@"; } # METHOD key [count]

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
