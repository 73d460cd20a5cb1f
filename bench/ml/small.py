#!/usr/bin/env python3
"""Whole-process cost of `kiln ml train` and `kiln ml predict` on the small shared datasets.

For california-housing and adult-income and each of linear-learner, kmeans, pca and knn (the same
hyperparameters as bench.py), runs train then predict REPEAT times and prints, per process, the
fastest wall time, the CPU seconds (user + system) of that run, and the train_seconds Kiln reports in
its final JSON line. CPU seconds move much less than wall time on a loaded machine, so they are the
figure to compare builds with.

Usage: bench/ml/small.py [--kiln PATH] [--repeat N] [--only kmeans,pca]
  (PATH defaults to artifacts/kiln/kiln, which ./kiln publishes; pass a copy of an older build to
  compare before and after.)
"""
import argparse
import json
import os
import resource
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "..", "shared", "datasets")


def timed(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out, wall, cpu


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kiln", default=os.path.join(ROOT, "artifacts", "kiln", "kiln"))
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--only", default="")
    a = p.parse_args()
    only = set(a.only.split(",")) - {""}
    with open(os.path.join(DATA, "california-housing", "meta.json")) as f:
        cal = json.load(f)
    rows = {"california-housing": cal["train_rows"], "adult-income": 39074}
    cases = []
    for ds, task in (("california-housing", "regression"), ("adult-income", "binary_classification")):
        kind = "regressor" if task == "regression" else "binary_classifier"
        cases.append((ds, "linear-learner", [f"predictor_type={kind}"], "text/csv"))
        cases.append((ds, "knn", ["k=10", f"sample_size={rows[ds]}",
                                  "predictor_type=" + ("regressor" if task == "regression" else "classifier")],
                      "text/csv" if task == "regression" else "application/jsonlines; verbose=true"))
        if ds == "california-housing":
            cases.append((ds, "kmeans", ["k=8", "init_method=kmeans++", "extra_center_factor=2", "epochs=3", f"mini_batch_size={rows[ds]}"], "text/csv"))
            cases.append((ds, "pca", ["num_components=3"], "text/csv"))
    tmp = tempfile.mkdtemp(prefix="kiln-small-")
    print(f"{'dataset':<20} {'algorithm':<15} {'train wall':>10} {'cpu':>6} {'in-proc':>8} {'predict wall':>12} {'cpu':>6}")
    for ds, algorithm, hps, accept in cases:
        if only and algorithm not in only:
            continue
        x = os.path.join(tmp, f"{ds}-x.csv")
        if not os.path.exists(x):
            with open(os.path.join(DATA, ds, "sagemaker-test.csv")) as f, open(x, "w") as g:
                for line in f:
                    g.write(line.split(",", 1)[1])
        best_t = best_p = None
        for _ in range(a.repeat):
            out, wall, cpu = timed([a.kiln, "ml", "train", "--algorithm", algorithm, "--train",
                                    os.path.join(DATA, ds, "sagemaker-train.csv"), "--output", tmp, "--threads", "2",
                                    *sum((["--hp", h] for h in hps), [])])
            inproc = json.loads(out.strip().splitlines()[-1])["train_seconds"]
            if best_t is None or wall < best_t[0]:
                best_t = (wall, cpu, inproc)
            _, wall, cpu = timed([a.kiln, "ml", "predict", "--model", os.path.join(tmp, "model.tar.gz"), "--input", x,
                                  "--accept", accept, "--threads", "2"])
            if best_p is None or wall < best_p[0]:
                best_p = (wall, cpu)
        print(f"{ds:<20} {algorithm:<15} {best_t[0]:>9.3f}s {best_t[1]:>5.2f}s {best_t[2]:>7.3f}s {best_p[0]:>11.3f}s {best_p[1]:>5.2f}s",
              flush=True)
    print(f"load {' '.join(open('/proc/loadavg').read().split()[:3])}")


if __name__ == "__main__":
    main()
