"""scikit-learn's side of the tfidf benchmark (src/bench/tfidfBench.ts runs it with /usr/bin/python3).

Reads a JSON job: {"train": [[col, ...], ...], "y": [0/1 ...], "folds": [k per row],
"inner": [[inner fold per training row of outer fold f, in row order], ...], "options": TfidfOptions}.
Per outer fold: TfidfVectorizer word + char_wb blocks fitted on the fold's training rows (hstack of
separately l2-normalised blocks), then LogisticRegression (lbfgs) on each λ of the grid on the
same inner folds as poolblend (C = 1/(n·λ), the same tol on the gradient of sklearn's objective,
the same max_iter, each fit from zero as GridSearchCV does), the λ of least inner log loss refit on
the fold's training rows, OOF probabilities. Writes {"seconds", "cv", "lambdas", "peakRssMB", ...}
as JSON on stdout (peak RSS includes the job's texts, as poolblend's does). `--probe` only prints the scikit-learn version (exit 0 when importable).
"""
import json
import resource
import sys
import time
import warnings

if len(sys.argv) > 1 and sys.argv[1] == "--probe":
    import sklearn  # noqa: F401  (exit status tells whether it is importable)

    print(sklearn.__version__)
    sys.exit(0)

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score


def peak_rss_mb():
    """This process's own peak (VmHWM): getrusage's maxrss carries the parent's peak across fork and exec."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def block(kind, o, opts, ncols):
    """One vectoriser with poolblend's options; several text columns are analysed one by one."""
    analyzer = "word" if kind == "word" else "char_wb"
    common = dict(
        min_df=float(o["minDf"]) if o["minDf"] < 1 else int(o["minDf"]),
        max_df=float(o["maxDf"]) if o["maxDf"] <= 1 else int(o["maxDf"]),
        max_features=o["maxFeatures"], sublinear_tf=opts["sublinearTf"], smooth_idf=opts["smoothIdf"],
        norm="l2", dtype=np.float32,
    )
    if ncols == 1:
        return TfidfVectorizer(analyzer=analyzer, ngram_range=tuple(o["ngram"]), lowercase=opts["lowercase"], **common), lambda docs: [d[0] for d in docs]
    base = TfidfVectorizer(analyzer=analyzer, ngram_range=tuple(o["ngram"]), lowercase=opts["lowercase"]).build_analyzer()
    return TfidfVectorizer(analyzer=lambda doc: [t for col in doc for t in base(col)], **common), lambda docs: docs


def vectorise(opts, train_docs, other_docs):
    ncols = len(train_docs[0])
    mats_tr, mats_o = [], []
    for kind in ("word", "char"):
        if opts.get(kind) is None:
            continue
        v, prep = block(kind, opts[kind], opts, ncols)
        mats_tr.append(v.fit_transform(prep(train_docs)))
        mats_o.append(v.transform(prep(other_docs)))
    return sp.hstack(mats_tr).tocsr(), sp.hstack(mats_o).tocsr()


def fit(X, y, lam, opts):
    # mean loss + λ/2‖w‖²  ==  (C·Σloss + ½‖w‖²)·λ with C = 1/(n·λ): the gradient test ‖∇‖∞ ≤ tol·λ
    # on poolblend's objective is sklearn's tol on its own
    return LogisticRegression(C=1.0 / (X.shape[0] * lam), tol=opts["tol"], max_iter=opts["maxIter"]).fit(X, y)


def main():
    job = json.load(open(sys.argv[1], encoding="utf-8"))
    opts, docs, y, folds = job["options"], job["train"], np.asarray(job["y"]), np.asarray(job["folds"])
    grid = sorted(set(opts["lambdas"]), reverse=True)
    warnings.simplefilter("ignore", ConvergenceWarning)
    t0, c0 = time.perf_counter(), time.process_time()
    oof = np.zeros(len(docs))
    chosen, fits = [], 0
    for f in range(int(folds.max()) + 1):
        tr, va = np.where(folds != f)[0], np.where(folds == f)[0]
        Xtr, Xva = vectorise(opts, [docs[i] for i in tr], [docs[i] for i in va])
        ytr, inner = y[tr], np.asarray(job["inner"][f])
        loss = np.zeros(len(grid))
        for g, lam in enumerate(grid):
            for k in range(int(inner.max()) + 1):
                itr, iva = np.where(inner != k)[0], np.where(inner == k)[0]
                m = fit(Xtr[itr], ytr[itr], lam, opts)
                fits += 1
                loss[g] += log_loss(ytr[iva], m.predict_proba(Xtr[iva])[:, 1], labels=[0, 1]) * len(iva)
        best = grid[int(np.argmin(loss))]
        chosen.append(best)
        oof[va] = fit(Xtr, ytr, best, opts).predict_proba(Xva)[:, 1]
        fits += 1
    seconds = time.perf_counter() - t0
    print(json.dumps({
        "version": sklearn.__version__, "seconds": seconds, "cpuSeconds": time.process_time() - c0,
        "rowsPerSecond": len(docs) / seconds, "cv": roc_auc_score(y, oof), "lambdas": chosen, "fits": fits,
        "peakRssMB": peak_rss_mb(),
    }))


if __name__ == "__main__":
    main()
