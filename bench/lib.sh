# Shared by the bench scripts: free ports, a Kiln server in the background, the machine's facts.
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ensure_bench_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "bench: run: sudo apt-get install -y ${missing[*]}" >&2; exit 1
  fi
}

wait_healthy() { # url timeout-seconds
  local deadline=$(( $(date +%s) + ${2:-30} ))
  until curl -fsS -o /dev/null "$1/_kiln/health" 2>/dev/null; do
    [ "$(date +%s)" -ge "$deadline" ] && { echo "bench: $1 never became healthy" >&2; return 1; }
    sleep 0.01
  done
}

machine() {
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo none)"
}
