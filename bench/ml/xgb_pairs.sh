#!/usr/bin/env bash
# Kiln's XGBoost against libxgboost called directly from C (xgb_direct.c), run in interleaved
# pairs so both sides see the same machine load; prints the min and median of each and their ratio.
# The span compared is the same on both sides: DMatrix creation through the last boosting round,
# each round followed by an evaluation on the training set (Kiln's progress line). Both use
# OMP_WAIT_POLICY=passive (Kiln sets it before loading libxgboost, XGBoostNative.cs).
# Usage: bench/ml/xgb_pairs.sh DATASET PAIRS key=value ...   (from the repository root, after ./kiln version)
#   bench/ml/xgb_pairs.sh adult-income 7 tree_method=hist max_depth=6 eta=0.3 num_round=100 objective=binary:logistic
# KILN=DIR runs the kiln in DIR (a copy of an older artifacts/kiln) instead of this tree's.
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ds=$1; pairs=$2; shift 2
data="$top/../shared/datasets/$ds"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cc -O2 -o "$out/xgb_direct" "$top/bench/ml/xgb_direct.c" /usr/lib/x86_64-linux-gnu/libxgboost.so.0
field() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['$1'])"; }
bin="${KILN:-$top/artifacts/kiln}"
kiln=(); direct=()
for _ in $(seq "$pairs"); do
  kiln+=("$("$bin/kiln" ml train --algorithm xgboost --train "$data/sagemaker-train.csv" --output "$out" --threads 2 \
    --hp "$@" | field train_seconds)")
  direct+=("$(OMP_WAIT_POLICY=passive "$out/xgb_direct" "$data/sagemaker-train.csv" "$data/sagemaker-test.csv" "$@" | field train_s)")
done
/usr/bin/python3 - "$ds" "${kiln[*]}" "${direct[*]}" <<'PY'
import statistics as st, sys
k, d = ([float(v) for v in a.split()] for a in sys.argv[2:4])
print(f"{sys.argv[1]}: Kiln train s min {min(k):.3f} median {st.median(k):.3f} | libxgboost direct min {min(d):.3f} "
      f"median {st.median(d):.3f} | Kiln/direct: mins {min(k) / min(d):.3f}, medians {st.median(k) / st.median(d):.3f} ({len(k)} pairs)")
PY
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
