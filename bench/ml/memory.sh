#!/usr/bin/env bash
# Peak memory (max RSS from /usr/bin/time -v) of `./kiln ml train`, 2 threads:
#   1. linear-learner, kmeans, pca and factorization-machines on covertype's training set (1x, 74,370
#      rows x 54, 13 MB) and on ten copies of it (10x, 743,700 rows, 132 MB; each copy's first feature
#      shifted by copy/1000 so no two rows repeat), streamed (--stream always) and in memory
#      (--stream never): streaming should stay flat while the in-memory path grows with the input.
#      factorization-machines reads the same rows as text/libsvm (zeros dropped, 0-based indices),
#      its sparse format; no rating data here, so the class index stands in as a regression target;
#   2. every algorithm on covertype, the largest shared dataset, as `./kiln ml train` runs it by default.
# Epochs are cut to 2 in part 1: memory does not depend on them, time does.
# Usage: bench/ml/memory.sh        (from anywhere; needs the Debian package `time`)
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
data="$top/../shared/datasets/covertype"
cd "$top"
if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
  else
    echo "bench/ml: /usr/bin/time missing; run: sudo apt-get install -y time" >&2; exit 1
  fi
fi
./kiln version >/dev/null
kiln="$top/artifacts/kiln/kiln"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

cp "$data/sagemaker-train.csv" "$out/1x.csv"
for copy in $(seq 0 9); do
  awk -F, -v OFS=, -v d="$copy" '{ $2 = $2 + d / 1000; print }' "$data/sagemaker-train.csv"
done >"$out/10x.csv"
for size in 1x 10x; do
  awk -F, '{ line = $1; for (i = 2; i <= NF; i++) if ($i != 0) line = line " " (i - 2) ":" $i; print line }' \
    "$out/$size.csv" >"$out/$size.libsvm"
done

# peak NAME ARGS...: runs kiln ml train and prints its max RSS in MiB and wall time.
peak() {
  local name="$1"; shift
  /usr/bin/time -v -o "$out/time.txt" "$kiln" ml train --threads 2 --output "$out/model" "$@" >"$out/train.log" 2>&1 \
    || { echo "$name: failed"; tail -3 "$out/train.log"; return 1; }
  local kb wall
  kb="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out/time.txt")"
  wall="$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/time.txt")"
  printf '%-44s %8.1f MiB  %s\n' "$name" "$(echo "$kb / 1024" | bc -l)" "$wall"
}

echo "== streaming vs in memory, covertype 1x ($(du -h "$out/1x.csv" | cut -f1)) and 10x ($(du -h "$out/10x.csv" | cut -f1))"
ll=(--algorithm linear-learner --hp predictor_type=multiclass_classifier --hp num_classes=7 --hp epochs=2)
km=(--algorithm kmeans --hp k=7 --hp init_method=kmeans++ --hp epochs=2)
pca=(--algorithm pca --hp num_components=10)
fm=(--algorithm factorization-machines --hp feature_dim=54 --hp num_factors=8 --hp predictor_type=regressor --hp epochs=2)
for mode in always never; do
  for size in 1x 10x; do
    peak "linear-learner  $size  --stream $mode" "${ll[@]}" --train "$out/$size.csv" --stream "$mode"
    peak "kmeans          $size  --stream $mode" "${km[@]}" --train "$out/$size.csv" --stream "$mode"
    peak "pca             $size  --stream $mode" "${pca[@]}" --train "$out/$size.csv" --stream "$mode"
    peak "pca randomized  $size  --stream $mode" "${pca[@]}" --hp algorithm_mode=randomized --train "$out/$size.csv" --stream "$mode"
    peak "fm (libsvm)     $size  --stream $mode" "${fm[@]}" --train "$out/$size.libsvm" --content-type text/libsvm --stream "$mode"
  done
done

echo
echo "== every algorithm on covertype (default mode; bench/ml/bench.py's hyperparameters)"
train=(--train "$data/sagemaker-train.csv")
peak "xgboost" --algorithm xgboost "${train[@]}" --hp tree_method=hist --hp max_depth=6 --hp eta=0.3 --hp num_round=100 \
  --hp objective=multi:softprob --hp num_class=7
peak "linear-learner" --algorithm linear-learner "${train[@]}" --hp predictor_type=multiclass_classifier --hp num_classes=7
peak "kmeans" --algorithm kmeans "${train[@]}" --hp k=7 --hp init_method=kmeans++ --hp epochs=30 --hp mini_batch_size=74370
peak "pca" --algorithm pca "${train[@]}" --hp num_components=10
peak "knn" --algorithm knn "${train[@]}" --hp k=10 --hp predictor_type=classifier --hp sample_size=74370
peak "randomcutforest" --algorithm randomcutforest "${train[@]}" --hp feature_dim=54 --hp num_trees=100 --hp num_samples_per_tree=256
# No rating data here: the class index stands in as a regression target, for the memory figure only.
peak "factorization-machines" --algorithm factorization-machines "${train[@]}" --hp feature_dim=54 --hp num_factors=8 \
  --hp predictor_type=regressor
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
