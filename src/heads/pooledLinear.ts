/** The trainer shared by the mean, max and min heads: standardised pooled vector → tuned linear model. */
import type { FeatureSources, FoldResult, FoldTask } from "./types.js";
import { applyStandardizer, fitStandardizer, link, linearForward, tuneLinear } from "./linear.js";
import { takeRows } from "../util/rows.js";

/** Regression targets are standardised per column for training and mapped back for predictions. */
export interface TargetScale {
  mu: Float64Array;
  sd: Float64Array;
}

export function targetScale(y: Float64Array, rows: ArrayLike<number>, c: number): TargetScale {
  const mu = new Float64Array(c), sd = new Float64Array(c);
  for (let i = 0; i < rows.length; i++) for (let k = 0; k < c; k++) mu[k] += y[rows[i] * c + k] / rows.length;
  for (let i = 0; i < rows.length; i++) for (let k = 0; k < c; k++) sd[k] += (y[rows[i] * c + k] - mu[k]) ** 2 / rows.length;
  for (let k = 0; k < c; k++) sd[k] = Math.sqrt(sd[k]) || 1;
  return { mu, sd };
}

/** Trains a linear model on one pooled array ("mean" | "max" | "min") for one fold. */
export async function trainPooledLinear(feature: "mean" | "max" | "min", sources: FeatureSources, t: FoldTask): Promise<FoldResult> {
  const t0 = performance.now();
  const Xtr = sources.train.load(feature);
  const Xte = sources.test.load(feature);
  const d = Xtr.shape[1];
  const X = Xtr.data as Float32Array;
  const std = fitStandardizer(X, d, t.trainIdx);
  const Z = applyStandardizer(X, d, t.trainIdx, std);
  const w = t.task === "regression" ? t.c : 1;
  const y = takeRows(t.y, t.trainIdx, w);
  const strata = Int32Array.from(t.trainIdx, (i) => t.strata[i]);
  const { model, lambda } = await tuneLinear(t.task, Z, t.trainIdx.length, d, y, t.c, strata, t.seed);
  const predict = (src: Float32Array, rows: ArrayLike<number>): Float64Array => link(t.task, linearForward(model, applyStandardizer(src, d, rows, std), rows.length), t.c);
  const testRows = Int32Array.from({ length: Xte.shape[0] }, (_, i) => i);
  return {
    head: t.head,
    fold: t.fold,
    oof: predict(X, t.validIdx),
    test: predict(Xte.data as Float32Array, testRows),
    seconds: (performance.now() - t0) / 1000,
    info: { lambda },
  };
}

/**
 * Reduces T token vectors of width H (row-major [T × H]) feature by feature with `combine`,
 * starting from `init`; a row without tokens gives zeros, never ±Infinity or NaN.
 */
export function maskedReduce(tokens: ArrayLike<number>, T: number, H: number, init: number, combine: (acc: number, v: number) => number, finish: (acc: number, T: number) => number = (a) => a): Float64Array {
  const acc = new Float64Array(H).fill(init);
  for (let t = 0; t < T; t++) for (let j = 0; j < H; j++) acc[j] = combine(acc[j], tokens[t * H + j]);
  return T > 0 ? acc.map((a) => finish(a, T)) : new Float64Array(H);
}
