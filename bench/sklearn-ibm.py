"""scikit-learn reference fits on the IBM id%5 split, for bench/scoring.bench.ts.

The "ibm strict" setup of shared/datasets/BASELINES.md: library defaults, categories seen fewer
than 5 times in train become __rare__, HistGradientBoosting with native categorical support on
the raw amount, LogisticRegression (lbfgs, max_iter=5000) on one-hot categoricals and the
standardized log1p amount. Fit time includes preprocessing, as in BASELINES.md; scoring the test
set is not timed. Prints one JSON
object: per model the median wall and CPU seconds of `repeats` fits, test ROC-AUC and log-loss.

Usage: python3 bench/sklearn-ibm.py CSV [repeats]
"""

import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

CATEGORICAL = [
    "Supplies Subgroup",
    "Supplies Group",
    "Region",
    "Route To Market",
    "Competitor Type",
    "Client Size By Revenue",
    "Client Size By Employee Count",
    "Revenue From Client Past Two Years",
]
AMOUNT = "Opportunity Amount USD"


def rare_to_other(train, test):
    train, test = train.copy(), test.copy()
    for c in CATEGORICAL:
        counts = train[c].astype(str).value_counts()
        keep = set(counts[counts >= 5].index)
        train[c] = train[c].astype(str).where(train[c].astype(str).isin(keep), "__rare__")
        test[c] = test[c].astype(str).where(test[c].astype(str).isin(keep), "__rare__")
    return train, test


def fit_hgb(train, test):
    tr, te = rare_to_other(train, test)
    cats = {c: sorted(tr[c].unique()) for c in CATEGORICAL}

    def encode(df):
        cols = [df[c].map({v: i for i, v in enumerate(cats[c])}).fillna(-1).to_numpy() for c in CATEGORICAL]
        x = np.column_stack(cols + [df[AMOUNT].to_numpy(dtype=float)])
        x[x == -1] = np.nan
        return x

    model = HistGradientBoostingClassifier(random_state=0, categorical_features=list(range(len(CATEGORICAL))))
    model.fit(encode(tr), tr["lost"])
    return lambda: model.predict_proba(encode(te))[:, 1]


def fit_logreg(train, test):
    tr, te = rare_to_other(train, test)
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ("amt", make_pipeline(FunctionTransformer(np.log1p), StandardScaler()), [AMOUNT]),
        ]
    )
    model = make_pipeline(pre, LogisticRegression(C=1.0, max_iter=5000))
    model.fit(tr[CATEGORICAL + [AMOUNT]], tr["lost"])
    return lambda: model.predict_proba(te[CATEGORICAL + [AMOUNT]])[:, 1]


def main():
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    df = pd.read_csv(path)
    df["lost"] = (df["Opportunity Result"] == "Loss").astype(int)
    is_test = df["Opportunity Number"] % 5 == 0
    train, test = df[~is_test], df[is_test]
    out = {"sklearn": __import__("sklearn").__version__, "nTrain": int(len(train)), "nTest": int(len(test))}
    for name, fit in (("hgb", fit_hgb), ("logreg", fit_logreg)):
        walls, cpus, p = [], [], None
        for _ in range(repeats):
            c0, t0 = time.process_time(), time.perf_counter()
            predict = fit(train, test)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            p = predict()
        out[name] = {
            "wall": float(np.median(walls)),
            "cpu": float(np.median(cpus)),
            "auc": float(roc_auc_score(test["lost"], p)),
            "logLoss": float(log_loss(test["lost"], p)),
        }
    print(json.dumps(out))


main()
