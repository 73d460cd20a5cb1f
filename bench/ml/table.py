#!/usr/bin/env python3
"""Joins Kiln's results with the stored reference metrics and the peers' times measured now."""
import json
import sys

kiln, reference, peers = (json.load(open(p)) for p in sys.argv[1:4])


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


print("| dataset | algorithm | metric | Kiln | reference | peer | Kiln train+predict s (2 processes) | Kiln in-process train s | peer train+predict s (now) |")
print("|---|---|---|---|---|---|---|---|---|")
for k in kiln:
    ref = first_peer(reference["results"], k["dataset"], k["algorithm"], k["metric"])
    now = first_peer(peers["results"], k["dataset"], k["algorithm"], k["metric"]) if peers else None
    pt = timing(peers["results"], now) if now else None
    if "reference" in k:
        # No shared reference (Factorization Machines): bench.py computed a baseline itself.
        ref = dict(value=k["reference"], peer=k["peer"])
        pt = k.get("peer_s")
    rv = f"{ref['value']:.4f}" if ref and abs(ref["value"]) < 1e6 else (f"{ref['value']:.4e}" if ref else "")
    kv = f"{k['kiln']:.4f}" if abs(k["kiln"]) < 1e6 else f"{k['kiln']:.4e}"
    print(f"| {k['dataset']} | {k['algorithm']} | {k['metric']} | {kv} | {rv} | {ref['peer'] if ref else ''} | "
          f"{k['train_s'] + k['predict_s']:.2f} | {k['internal_train_s']} | {'' if pt is None else f'{pt:.2f}'} |")

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
