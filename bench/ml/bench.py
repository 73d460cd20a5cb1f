#!/usr/bin/env python3
"""Kiln's built-in algorithms (through `./kiln ml`) against the reference results and the peers.

For each shared dataset and algorithm: `./kiln ml train` on sagemaker-train.csv, `./kiln ml predict`
on the test features, Kiln's metric computed here with scikit-learn from the predictions (the same
metric code as reference.py), and the wall time of the two kiln processes (start-up and CSV parsing
included) beside the peer's fit + predict time, measured now on this machine by reference.py's own
peer code (data loading excluded there). Usage: run.sh (it builds ./kiln first).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "..", "shared", "datasets")
# The binary ./kiln publishes (run.sh calls ./kiln first): calling the launcher itself would time a
# rebuild whenever another change lands in src/ during the run.
KILN = os.path.join(ROOT, "artifacts", "kiln", "kiln")
THREADS = "2"


def kiln(*args):
    out = subprocess.run([KILN, "ml", *args, "--threads", THREADS], check=True, capture_output=True, text=True)
    return out.stdout


def run(ds, algorithm, hps, accept="text/csv"):
    tmp = tempfile.mkdtemp(prefix="kiln-bench-")
    x_path = os.path.join(tmp, "x.csv")
    with open(os.path.join(DATA, ds, "sagemaker-test.csv")) as f, open(x_path, "w") as g:
        for line in f:
            g.write(line.split(",", 1)[1])
    t0 = time.perf_counter()
    train_out = kiln("train", "--algorithm", algorithm, "--train", os.path.join(DATA, ds, "sagemaker-train.csv"),
                     "--output", tmp, *sum((["--hp", h] for h in hps), []))
    t1 = time.perf_counter()
    pred = kiln("predict", "--model", os.path.join(tmp, "model.tar.gz"), "--input", x_path, "--accept", accept)
    t2 = time.perf_counter()
    summary = json.loads(train_out.strip().splitlines()[-1])
    return pred, t1 - t0, t2 - t1, summary


def load_test(ds):
    import pandas as pd
    te = pd.read_csv(os.path.join(DATA, ds, "sagemaker-test.csv"), header=None).to_numpy(dtype=float)
    tr = pd.read_csv(os.path.join(DATA, ds, "sagemaker-train.csv"), header=None).to_numpy(dtype=float)
    return tr[:, 1:], te[:, 1:], te[:, 0]


def csv_matrix(text):
    return np.array([[float(v) for v in line.split(",")] for line in text.strip().splitlines()])


def main():
    from sklearn import metrics as M
    meta = {d: json.load(open(os.path.join(DATA, d, "meta.json"))) for d in ("adult-income", "california-housing", "covertype")}
    rows = []

    def add(ds, algorithm, metric, value, t_train, t_pred, summary):
        rows.append(dict(dataset=ds, algorithm=algorithm, metric=metric, kiln=value, train_s=t_train, predict_s=t_pred,
                         internal_train_s=summary.get("train_seconds")))
        print(f"  {ds:<20} {algorithm:<15} {metric:<24} {value:.5f}  train {t_train:.2f}s predict {t_pred:.2f}s "
              f"(in-process train {summary.get('train_seconds')}s)", flush=True)

    xgb = ["tree_method=hist", "max_depth=6", "eta=0.3", "num_round=100"]
    for ds, m in meta.items():
        Xtr, Xte, y = load_test(ds)
        task = m["task"]
        # XGBoost
        if task == "binary_classification":
            p, a, b, s = run(ds, "xgboost", xgb + ["objective=binary:logistic"])
            add(ds, "xgboost", "auc", M.roc_auc_score(y, csv_matrix(p)[:, 0]), a, b, s)
        elif task == "multiclass_classification":
            p, a, b, s = run(ds, "xgboost", xgb + ["objective=multi:softprob", f"num_class={m['n_classes']}"])
            add(ds, "xgboost", "accuracy", M.accuracy_score(y, csv_matrix(p).argmax(axis=1)), a, b, s)
        else:
            p, a, b, s = run(ds, "xgboost", xgb + ["objective=reg:squarederror"])
            add(ds, "xgboost", "r2", M.r2_score(y, csv_matrix(p)[:, 0]), a, b, s)
        # Linear Learner
        if task == "binary_classification":
            p, a, b, s = run(ds, "linear-learner", ["predictor_type=binary_classifier"])
            add(ds, "linear-learner", "auc", M.roc_auc_score(y, csv_matrix(p)[:, 1]), a, b, s)
        elif task == "multiclass_classification":
            p, a, b, s = run(ds, "linear-learner", ["predictor_type=multiclass_classifier", f"num_classes={m['n_classes']}"])
            add(ds, "linear-learner", "accuracy", M.accuracy_score(y, csv_matrix(p)[:, 0]), a, b, s)
        else:
            p, a, b, s = run(ds, "linear-learner", ["predictor_type=regressor"])
            add(ds, "linear-learner", "r2", M.r2_score(y, csv_matrix(p)[:, 0]), a, b, s)
        # k-NN (raw features, k=10, like the reference's first kNN peer)
        knn = ["k=10", f"sample_size={len(Xtr)}"]
        if task == "regression":
            p, a, b, s = run(ds, "knn", knn + ["predictor_type=regressor"])
            add(ds, "knn", "r2", M.r2_score(y, csv_matrix(p)[:, 0]), a, b, s)
        else:
            p, a, b, s = run(ds, "knn", knn + ["predictor_type=classifier"], accept="application/jsonlines; verbose=true")
            recs = [json.loads(line) for line in p.splitlines()]
            labels = np.array([r["predicted_label"] for r in recs])
            if task == "binary_classification":
                proba = np.array([np.mean(r["labels"]) for r in recs])
                add(ds, "knn", "auc", M.roc_auc_score(y, proba), a, b, s)
            else:
                add(ds, "knn", "accuracy", M.accuracy_score(y, labels), a, b, s)
        # K-Means and PCA on raw (mean-imputed) features
        col_mean = np.nanmean(Xtr, axis=0)
        Xte_i = np.where(np.isnan(Xte), col_mean, Xte)
        if m.get("kmeans_k"):
            p, a, b, s = run(ds, "kmeans", [f"k={m['kmeans_k']}", "init_method=kmeans++", "epochs=30",
                                            f"mini_batch_size={len(Xtr)}"])
            add(ds, "kmeans", "test_inertia", float((csv_matrix(p)[:, 1] ** 2).sum()), a, b, s)
        if m.get("pca_k"):
            p, a, b, s = run(ds, "pca", [f"num_components={m['pca_k']}"])
            Z = csv_matrix(p)
            C = Xte_i - col_mean
            add(ds, "pca", f"test_explained_var_top{m['pca_k']}", 1 - ((C ** 2).sum() - (Z ** 2).sum()) / (C ** 2).sum(), a, b, s)

    json.dump(rows, open(sys.argv[1] if len(sys.argv) > 1 else "/tmp/kiln-ml-bench.json", "w"), indent=1)


if __name__ == "__main__":
    main()
