#!/usr/bin/env bash
# Runs each Kiln.ML algorithm through `./kiln ml` on the shared datasets (2 threads) and prints
# Kiln's metric beside the stored reference, and Kiln's train+predict time beside the peer's
# (reference.py's scikit-learn / xgboost code, run now on this machine with 2 threads).
# Usage: bench/ml/run.sh            (from anywhere; needs python3-sklearn and python3-xgboost)
#        ML_BENCH_KEEP=DIR bench/ml/run.sh   keeps kiln.json and peers.json in DIR
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
data="$top/../shared/datasets"
cd "$top"
need=(python3-sklearn python3-xgboost python3-pandas python3-statsmodels libopenblas0-pthread libxgboost0)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "bench/ml: missing Debian packages; run: sudo apt-get install -y ${missing[*]}" >&2; exit 1
  fi
fi
./kiln version >/dev/null
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# The libxgboost-direct baseline for the XGBoost rows: a C program making Kiln's C API calls.
cc -O2 -o "$out/xgb_direct" bench/ml/xgb_direct.c /usr/lib/x86_64-linux-gnu/libxgboost.so.0
export XGB_DIRECT="$out/xgb_direct"
echo "== Kiln (./kiln ml, --threads 2)"
/usr/bin/python3 bench/ml/bench.py "$out/kiln.json"
echo "== peers (reference.py, 2 threads)"
/usr/bin/python3 "$data/reference.py" --datasets adult-income california-housing covertype nyc-taxi-anomaly --json "$out/peers.json" >/dev/null
echo
/usr/bin/python3 bench/ml/table.py "$out/kiln.json" "$data/reference-results.json" "$out/peers.json"
# ML_BENCH_KEEP=DIR keeps the two result files, so table.py can print the table again.
if [ -n "${ML_BENCH_KEEP:-}" ]; then mkdir -p "$ML_BENCH_KEEP" && cp "$out/kiln.json" "$out/peers.json" "$ML_BENCH_KEEP/"; fi
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
