#!/usr/bin/env bash
# Requests/s and latency of STS GetCallerIdentity with SigV4 over 32 keep-alive connections,
# side by side with nginx serving a static 1 KiB file on the same machine, both driven by wrk.
#   bench/sigv4-vs-nginx.sh [seconds=10] [connections=32]
# The signed request is made once by botocore and replayed (SigV4 allows it within 15 minutes),
# so wrk measures the server, not a client-side signer.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
seconds="${1:-10}"; conns="${2:-32}"
ensure_bench_packages wrk nginx-light curl python3-botocore
"$top/kiln" version >/dev/null
machine
work="$(mktemp -d)"; trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

# --- nginx, static 1 KiB file
nport="$(free_port)"
head -c 1024 /dev/urandom > "$work/1k.bin"
chmod 755 "$work"; chmod 644 "$work/1k.bin"   # nginx workers run unprivileged
cat > "$work/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:$nport; root $work; keepalive_requests 1000000; }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work"
sleep 0.3

# --- Kiln
kport="$(free_port)"
export KILN_ROOT_ACCESS_KEY_ID=AKIABENCHROOT0000001 KILN_ROOT_SECRET_ACCESS_KEY=bench-secret-00000000000000000000000000
"$top/kiln" serve --port "$kport" --data-dir "$work/kiln" >"$work/kiln.log" 2>&1 &
wait_healthy "http://127.0.0.1:$kport" 60

/usr/bin/python3 - "$kport" > "$work/gci.lua" <<'PY'
import sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
body = "Action=GetCallerIdentity&Version=2011-06-15"
req = AWSRequest(method="POST", url=f"http://127.0.0.1:{sys.argv[1]}/", data=body,
                 headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
SigV4Auth(Credentials("AKIABENCHROOT0000001", "bench-secret-00000000000000000000000000"), "sts", "us-east-1").add_auth(req)
print('wrk.method = "POST"')
print(f'wrk.body = "{body}"')
for k, v in req.headers.items():
    print(f'wrk.headers["{k}"] = "{v}"')
PY


run() { # label url [script]
  # A short warm-up first: .NET tiers its JIT up during the first seconds of load.
  wrk -t2 -c"$conns" -d3s ${3:+-s "$3"} "$2" >/dev/null
  local out; out="$(wrk -t2 -c"$conns" -d"${seconds}s" --latency ${3:+-s "$3"} "$2")"
  local rps p50 p99
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  local non2xx; non2xx="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
  printf '%-34s %10s req/s   p50 %-8s p99 %-8s %s\n' "$1" "$rps" "$p50" "$p99" "${non2xx:+non-2xx: $non2xx}"
  echo "$rps" > "$work/$4.rps"
}

echo "wrk -t2 -c$conns -d${seconds}s"
run "nginx static 1 KiB" "http://127.0.0.1:$nport/1k.bin" "" nginx
run "kiln sts:GetCallerIdentity SigV4" "http://127.0.0.1:$kport/" "$work/gci.lua" kiln
awk -v k="$(cat "$work/kiln.rps")" -v n="$(cat "$work/nginx.rps")" 'BEGIN {printf "ratio kiln/nginx: %.2f\n", k/n}'
nginx -c "$work/nginx.conf" -p "$work" -s stop
