/**
 * Blending with more than one prediction column: stacking's meta-model on c = 3 classes and on
 * two regression targets rebuilt here (its meta-features — log-probabilities or raw values, per
 * model and column — and their standardisation computed in the test, then the same inner-CV
 * tuner), and blend()'s nested CV on multiclass and regression rows recomputed fold by fold.
 */
import { describe, it, expect } from "vitest";
import { stack } from "../../src/ensemble/stack.js";
import { nnls } from "../../src/ensemble/nnls.js";
import { blend } from "../../src/ensemble/blend.js";
import type { BlendContext } from "../../src/ensemble/types.js";
import { tuneLinear } from "../../src/heads/linear.js";
import { gaussian } from "../helpers/synthetic.js";
import type { MetricName, Task } from "../../src/config.js";

const ctx = (metric: MetricName, task: Task, y: Float64Array, c: number, folds: Int32Array): BlendContext => ({ task, metric, c, y, seed: 3, rounds: 100, bags: 0, folds });

/** Probabilities [n × k] with the true class favoured by `signal`, noise of its own per model. */
function classModel(y: Float64Array, k: number, signal: number, seed: number): Float64Array {
  const r = gaussian(seed);
  const p = new Float64Array(y.length * k);
  for (let i = 0; i < y.length; i++) {
    const e = Array.from({ length: k }, (_, j) => Math.exp((j === y[i] ? signal : 0) + r()));
    const z = e.reduce((a, b) => a + b, 0);
    e.forEach((v, j) => (p[i * k + j] = v / z));
  }
  return p;
}

/** Meta-features [n × M·c], feature m·c + k; each column standardised by its mean and population sd. */
function standardisedFeatures(preds: Float64Array[], c: number, f: (p: number) => number): { Z: Float64Array; mu: number[]; sd: number[] } {
  const n = preds[0].length / c, d = preds.length * c;
  const X = new Float64Array(n * d);
  preds.forEach((p, m) => {
    for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) X[i * d + m * c + k] = f(p[i * c + k]);
  });
  const mu = Array.from({ length: d }, (_, j) => Array.from({ length: n }, (_, i) => X[i * d + j]).reduce((a, b) => a + b, 0) / n);
  const sd = mu.map((u, j) => Math.sqrt(Array.from({ length: n }, (_, i) => (X[i * d + j] - u) ** 2).reduce((a, b) => a + b, 0) / n) || 1);
  return { Z: X.map((v, i) => (v - mu[i % d]) / sd[i % d]), mu, sd };
}

/** Per model: Σ over its c input features and the c outputs of |W|, normalised to sum to one. */
function modelWeights(W: Float64Array, M: number, c: number): number[] {
  const s = Array.from({ length: M }, (_, m) => {
    let t = 0;
    for (let k = 0; k < c; k++) for (let j = 0; j < c; j++) t += Math.abs(W[(m * c + k) * c + j]);
    return t;
  });
  const z = s.reduce((a, b) => a + b, 0);
  return s.map((v) => v / z);
}

describe("stacking with several columns", () => {
  it("3 classes: log-probability features, class strata for the inner CV, weights per model over all 9 of its coefficients", async () => {
    const n = 90, k = 3;
    const y = Float64Array.from({ length: n }, (_, i) => (i * 7) % k);
    const preds = [classModel(y, k, 1.5, 1), classModel(y, k, 0.3, 2)];
    // blocks of 30 rows: another partition than the classes, so that the strata matter
    const folds = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 30));
    const m = await stack(preds, ctx("logloss", "multiclass", y, k, folds));
    const clip = (p: number) => Math.log(Math.min(1 - 1e-7, Math.max(1e-7, p)));
    const { Z } = standardisedFeatures(preds, k, clip);
    // the tuner sorts the rows of the matrix it is given by inner fold: hand it a copy
    const { model } = await tuneLinear("multiclass", Z.slice(), n, 2 * k, y, k, y, 3);
    const want = modelWeights(model.W, 2, k);
    (m.weights as number[]).forEach((w, i) => expect(w).toBeCloseTo(want[i], 12));
    expect(want[0]).toBeGreaterThan(want[1]);
    // applied to the fitted rows: softmax of the linear model on the standardised features
    const out = m.apply(preds);
    for (let i = 0; i < n; i++) {
      const logits = Array.from({ length: k }, (_, j) => model.b[j] + Array.from({ length: 2 * k }, (_, f) => Z[i * 2 * k + f] * model.W[f * k + j]).reduce((a, b) => a + b, 0));
      const mx = Math.max(...logits), e = logits.map((v) => Math.exp(v - mx)), s = e.reduce((a, b) => a + b, 0);
      e.forEach((v, j) => expect(out[i * k + j]).toBeCloseTo(v / s, 12));
    }
  });

  it("2 regression targets: raw features, the blend's folds as inner-CV strata", async () => {
    const r = gaussian(6);
    const n = 60, c = 2;
    const y = Float64Array.from({ length: n * c }, () => r());
    const preds = [0.3, 0.9].map((s) => y.map((v) => v + s * r()));
    const folds = Int32Array.from({ length: n }, (_, i) => [2, 0, 1, 1][i % 4]);
    const m = await stack(preds, ctx("mcrmse", "regression", y, c, folds));
    const { Z } = standardisedFeatures(preds, c, (p) => p);
    const { model } = await tuneLinear("regression", Z.slice(), n, 2 * c, y, c, folds, 3);
    const want = modelWeights(model.W, 2, c);
    (m.weights as number[]).forEach((w, i) => expect(w).toBeCloseTo(want[i], 12));
    const out = m.apply(preds);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < c; j++) {
        const v = model.b[j] + Array.from({ length: 2 * c }, (_, f) => Z[i * 2 * c + f] * model.W[f * c + j]).reduce((a, b) => a + b, 0);
        expect(out[i * c + j]).toBeCloseTo(v, 12);
      }
  });
});

/** Multiclass log loss of probabilities [n × k] against class indices, clipped at 1e-15. */
function mlogloss(y: ArrayLike<number>, p: Float64Array, k: number): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    let z = 0;
    for (let j = 0; j < k; j++) z += Math.min(1 - 1e-15, Math.max(1e-15, p[i * k + j]));
    s -= Math.log(Math.min(1 - 1e-15, Math.max(1e-15, p[i * k + y[i]])) / z);
  }
  return s / y.length;
}

describe("blend() with several columns", () => {
  it("3 classes: one class index per row, k probabilities per row, fold by fold", async () => {
    const n = 75, k = 3;
    const y = Float64Array.from({ length: n }, (_, i) => (i * 2) % k);
    const preds = [classModel(y, k, 1.2, 4), classModel(y, k, 0.8, 5), classModel(y, k, 0.1, 6)];
    const folds = Int32Array.from({ length: n }, (_, i) => (i * 4) % 3);
    const c = ctx("logloss", "multiclass", y, k, folds);
    const r = await blend("nnls", { names: ["a", "b", "z"], oof: preds, test: preds, ctx: c }, ["label"]);
    const full = await nnls(preds, c);
    expect(r.weights).toEqual({ a: (full.weights as number[])[0], b: (full.weights as number[])[1], z: (full.weights as number[])[2] });
    expect(r.oofScore).toBeCloseTo(mlogloss(y, full.apply(preds), k), 12);
    for (const f of [0, 1, 2]) {
      const fit = [...y.keys()].filter((i) => folds[i] !== f), held = [...y.keys()].filter((i) => folds[i] === f);
      const rows = (p: Float64Array, idx: number[]) => Float64Array.from(idx.flatMap((i) => Array.from(p.subarray(i * k, i * k + k))));
      const mf = await nnls(preds.map((p) => rows(p, fit)), { ...c, y: Float64Array.from(fit, (i) => y[i]), folds: Int32Array.from(fit, (i) => folds[i]) });
      expect(r.nestedFolds[f]).toBeCloseTo(mlogloss(held.map((i) => y[i]), mf.apply(preds.map((p) => rows(p, held))), k), 12);
    }
  });

  it("stacking inside the nested CV sees the folds of the rows it is fitted on", async () => {
    const rnd = gaussian(8);
    const n = 48;
    const y = Float64Array.from({ length: n }, () => rnd());
    const preds = [0.4, 0.8].map((s) => y.map((v) => v + s * rnd()));
    const folds = Int32Array.from({ length: n }, (_, i) => [0, 1, 2, 2, 1, 0, 1][i % 7]);
    const c = ctx("rmse", "regression", y, 1, folds);
    const r = await blend("stack", { names: ["a", "b"], oof: preds, test: preds, ctx: c }, ["target"]);
    for (const f of [0, 1, 2]) {
      const fit = [...y.keys()].filter((i) => folds[i] !== f), held = [...y.keys()].filter((i) => folds[i] === f);
      const sub = (a: Float64Array, idx: number[]) => Float64Array.from(idx, (i) => a[i]);
      const m = await stack(preds.map((p) => sub(p, fit)), { ...c, y: sub(y, fit), folds: Int32Array.from(fit, (i) => folds[i]) });
      const out = m.apply(preds.map((p) => sub(p, held)));
      const rmse = Math.sqrt(held.reduce((s, i, a) => s + (out[a] - y[i]) ** 2, 0) / held.length);
      expect(r.nestedFolds[f]).toBeCloseTo(rmse, 12);
    }
  });
});
