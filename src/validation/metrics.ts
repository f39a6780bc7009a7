/**
 * Competition metrics. Predictions and targets are row-major [n × c] Float64Arrays:
 * binary c = 1 (probability of class 1), multiclass c = classes (probabilities, target one-hot
 * or class index), regression c = targets.
 */
import type { MetricName } from "../config.js";

export interface MetricSpec {
  name: MetricName;
  /** true when larger is better */
  greater: boolean;
}

export const METRICS: Record<MetricName, MetricSpec> = {
  auc: { name: "auc", greater: true },
  logloss: { name: "logloss", greater: false },
  accuracy: { name: "accuracy", greater: true },
  rmse: { name: "rmse", greater: false },
  mcrmse: { name: "mcrmse", greater: false },
};

/** 1-based ranks of `p`, ties sharing their average rank. */
export function averageRanks(p: ArrayLike<number>): Float64Array {
  const n = p.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[a] - p[b]);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && p[idx[j + 1]] === p[idx[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[idx[k]] = r;
    i = j + 1;
  }
  return ranks;
}

/** ROC AUC with ties counted half (Mann–Whitney U via average ranks). */
export function auc(y: ArrayLike<number>, p: ArrayLike<number>): number {
  const n = y.length;
  const ranks = averageRanks(p);
  let pos = 0, sumPos = 0;
  for (let i = 0; i < n; i++)
    if (y[i] === 1) {
      pos++;
      sumPos += ranks[i];
    }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (sumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

const EPS = 1e-15;

/** Log loss; binary (c = 1) or multiclass (c = classes, y = class index per row), clipped like scikit-learn. */
export function logloss(y: ArrayLike<number>, p: ArrayLike<number>, c: number): number {
  const n = y.length;
  let s = 0;
  if (c === 1) {
    for (let i = 0; i < n; i++) {
      const q = Math.min(1 - EPS, Math.max(EPS, p[i]));
      s -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
    }
  } else {
    for (let i = 0; i < n; i++) {
      // renormalise after clipping, as scikit-learn does
      let z = 0;
      for (let k = 0; k < c; k++) z += Math.min(1 - EPS, Math.max(EPS, p[i * c + k]));
      s -= Math.log(Math.min(1 - EPS, Math.max(EPS, p[i * c + y[i]])) / z);
    }
  }
  return s / n;
}

/**
 * Summed log loss of each row's probability of its own class (binary: p or 1 − p), clipped below
 * at ε and, unless `clipHigh` is false, above at 1 − ε; rows are not renormalised: the validation
 * loss of the linear models' λ searches. It is not `logloss` on purpose: `logloss` clips p before
 * taking 1 − p and renormalises a multiclass row by its clipped sum, and that sum is not exactly 1
 * in many rows (softmax rows of random logits in [−3, 3], 10⁵ rows: the row's log term moves in
 * 18 % of the rows for 3 classes, 28 % for 43). The searches' losses are written to scores.json
 * (tfidf's `innerLoss`) or pick λ, so each keeps the arithmetic its outputs were computed with. The pooled heads' search
 * never clipped above (`clipHigh` false); clipping there would change its loss whenever a
 * probability rounds to within 1e-15 of 1.
 */
export function summedLogLoss(y: ArrayLike<number>, p: ArrayLike<number>, c: number, clipHigh = true): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const q = c === 1 ? (y[i] === 1 ? p[i] : 1 - p[i]) : p[i * c + y[i]];
    s -= Math.log(clipHigh ? Math.min(1 - EPS, Math.max(EPS, q)) : Math.max(q, EPS));
  }
  return s;
}

/** Accuracy: binary thresholds at 0.5; multiclass takes the arg-max (first on ties). */
export function accuracy(y: ArrayLike<number>, p: ArrayLike<number>, c: number): number {
  const n = y.length;
  let ok = 0;
  for (let i = 0; i < n; i++) {
    let pred: number;
    if (c === 1) pred = p[i] >= 0.5 ? 1 : 0;
    else {
      pred = 0;
      for (let k = 1; k < c; k++) if (p[i * c + k] > p[i * c + pred]) pred = k;
    }
    if (pred === y[i]) ok++;
  }
  return ok / n;
}

/** RMSE over all cells. */
export function rmse(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i] - p[i]) ** 2;
  return Math.sqrt(s / y.length);
}

/** Mean column-wise RMSE (Feedback Prize ELL). */
export function mcrmse(y: ArrayLike<number>, p: ArrayLike<number>, c: number): number {
  const n = y.length / c;
  let total = 0;
  for (let k = 0; k < c; k++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += (y[i * c + k] - p[i * c + k]) ** 2;
    total += Math.sqrt(s / n);
  }
  return total / c;
}

/**
 * Scores predictions. `y` holds class indices (binary/multiclass, length n) or targets
 * (regression, n × c); `p` is n × c.
 */
export function score(metric: MetricName, y: ArrayLike<number>, p: ArrayLike<number>, c: number): number {
  switch (metric) {
    case "auc":
      return auc(y, p);
    case "logloss":
      return logloss(y, p, c);
    case "accuracy":
      return accuracy(y, p, c);
    case "rmse":
      return rmse(y, p);
    case "mcrmse":
      return mcrmse(y, p, c);
  }
}

/** True when score a beats score b under this metric. */
export function better(metric: MetricName, a: number, b: number): boolean {
  return METRICS[metric].greater ? a > b : a < b;
}
