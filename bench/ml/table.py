#!/usr/bin/env python3
"""Joins Kiln's results with the stored reference metrics and the peers' times measured now.

Two goal columns, from issue 5's "Done when":
  quality: accuracy, AUC, R² and explained variance no more than 0.5 % below the reference; RMSE and
           K-Means inertia no more than 1 % above it (relative).
  time:    for Linear Learner, K-Means, PCA and k-NN, Kiln's train + predict time no more than the
           peer's fit + predict time. It is checked on the in-process column (train_seconds +
           predict_seconds, which Kiln reports itself), because that is the span the peer's figure covers:
           reference.py times fit() and predict() inside one Python process, with the data already
           loaded. The whole-process column (two `kiln` processes: start-up, CSV parsing, model
           archive written and read back) is printed beside it and is what a user waits for.
XGBoost's time goal is the second table (within 5 % of libxgboost called directly).
"""
import json
import sys

kiln, reference, peers = (json.load(open(p)) for p in sys.argv[1:4])
TIMED = {"linear-learner", "kmeans", "pca", "knn"}


def first_peer(results, ds, algorithm, metric):
    """The reference row of the peer closest to Kiln's algorithm (the first one reference.py lists)."""
    for r in results:
        if r["dataset"] == ds and r["algorithm"] == algorithm and r["metric"].startswith(metric):
            return r
    return None


def timing(results, row):
    """Timings sit on a run's first metric row; find that row for the same peer."""
    for r in results:
        if r["dataset"] == row["dataset"] and r["peer"] == row["peer"] and r["train_s"] is not None:
            return r["train_s"] + r["predict_s"]
    return None


def quality(metric, value, ref):
    if ref is None:
        return ""
    if metric in ("rmse",) or metric.startswith("test_inertia"):
        return "met" if value <= ref * 1.01 else "MISSED"
    if metric in ("roc_auc",):
        return "met" if value >= ref else "MISSED"
    return "met" if value >= ref * (1 - 0.005) else "MISSED"


def fmt(v):
    return f"{v:.4f}" if abs(v) < 1e6 else f"{v:.4e}"


print("| dataset | algorithm | metric | Kiln | reference | peer | quality | Kiln whole-process train+predict s (2 processes) "
      "| Kiln in-process train+predict s | peer fit+predict s (now) | peer s (stored) | time goal (in-process vs peer now) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for k in kiln:
    ref = first_peer(reference["results"], k["dataset"], k["algorithm"], k["metric"])
    now = first_peer(peers["results"], k["dataset"], k["algorithm"], k["metric"]) if peers else None
    pt = timing(peers["results"], now) if now else None
    # The peer's time stored in reference-results.json (measured on a quiet machine), to read the
    # figures measured now against when the machine is shared and loaded.
    stored = timing(reference["results"], ref) if ref else None
    if "reference" in k:
        # No shared reference (Factorization Machines): bench.py computed a baseline itself.
        ref = dict(value=k["reference"], peer=k["peer"])
        pt = k.get("peer_s")
        stored = None
    whole = k["train_s"] + k["predict_s"]
    inproc = None
    if k.get("internal_train_s") is not None and k.get("internal_predict_s") is not None:
        inproc = k["internal_train_s"] + k["internal_predict_s"]
    goal = ""
    if k["algorithm"] in TIMED and pt is not None and inproc is not None:
        goal = "met" if inproc <= pt else "MISSED"
    print(f"| {k['dataset']} | {k['algorithm']} | {k['metric']} | {fmt(k['kiln'])} | {fmt(ref['value']) if ref else ''} | "
          f"{ref['peer'] if ref else ''} | {quality(k['metric'], k['kiln'], ref['value'] if ref else None)} | {whole:.2f} | "
          f"{'' if inproc is None else f'{inproc:.3f}'} | {'' if pt is None else f'{pt:.3f}'} | "
          f"{'' if stored is None else f'{stored:.3f}'} | {goal} |")

direct = [k for k in kiln if k.get("direct")]
if direct:
    # Same span on both sides: DMatrix creation through the last round, each round followed by an
    # evaluation on the training set (Kiln's progress line), 2 threads, OMP_WAIT_POLICY=passive.
    print()
    print("| dataset | XGBoost: Kiln in-process train s | libxgboost direct (C) train s | ratio | Kiln train+predict s (2 processes) | direct process s (incl. strtof CSV parse) |")
    print("|---|---|---|---|---|---|")
    for k in direct:
        d = k["direct"]
        print(f"| {k['dataset']} | {k['internal_train_s']:.3f} | {d['train_s']:.3f} | {k['internal_train_s'] / d['train_s']:.3f} | "
              f"{k['train_s'] + k['predict_s']:.2f} | {d['wall_s']:.2f} |")
