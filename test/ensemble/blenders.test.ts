import { describe, it, expect } from "vitest";
import { hillclimb } from "../../src/ensemble/hillclimb.js";
import { nnls, simplexLeastSquares } from "../../src/ensemble/nnls.js";
import { rank, normalisedRanks } from "../../src/ensemble/rank.js";
import { stack } from "../../src/ensemble/stack.js";
import { blend } from "../../src/ensemble/blend.js";
import { weightedSum, type BlendContext } from "../../src/ensemble/types.js";
import { score } from "../../src/validation/metrics.js";
import { gaussian } from "../helpers/synthetic.js";
import type { MetricName, Task } from "../../src/config.js";

const ctx = (metric: MetricName, task: Task, y: Float64Array, c = 1, folds?: Int32Array): BlendContext => ({
  task, metric, c, y, seed: 1, rounds: 100, bags: 0, folds: folds ?? Int32Array.from(y, (_, i) => i % 3),
});

/** Best weights on a 0.01 simplex grid over 3 models. */
function gridBest(preds: Float64Array[], c: BlendContext): { w: number[]; s: number } {
  let best = { w: [1, 0, 0], s: NaN };
  for (let a = 0; a <= 100; a++)
    for (let b = 0; a + b <= 100; b++) {
      const w = [a / 100, b / 100, (100 - a - b) / 100];
      const s = score(c.metric, c.y, weightedSum(preds, w), c.c);
      if (Number.isNaN(best.s) || (c.metric === "auc" || c.metric === "accuracy" ? s > best.s : s < best.s)) best = { w, s };
    }
  return best;
}

describe("hillclimb", () => {
  it("follows the hand-traced Caruana selection", async () => {
    // y = 1..4; A = y + 1 (rmse 1), B = y − 0.6 (rmse 0.6), C = y ± 0.8 (rmse 0.8)
    // start B; +A → 0.2; +B → 0.0667; then +A 0.2, +B 0.2, +C 0.206: no gain, stop → A 1/3, B 2/3
    const y = Float64Array.from([1, 2, 3, 4]);
    const A = y.map((v) => v + 1), B = y.map((v) => v - 0.6), C = y.map((v, i) => v + (i % 2 ? -0.8 : 0.8));
    const m = hillclimb([A, B, C], ctx("rmse", "regression", y));
    const w = m.weights as number[];
    expect(w[0]).toBeCloseTo(1 / 3, 12);
    expect(w[1]).toBeCloseTo(2 / 3, 12);
    expect(w[2]).toBe(0);
    expect(score("rmse", y, m.apply([A, B, C]), 1)).toBeCloseTo(0.2 / 3, 12);
  });

  it("bagging averages selections over random halves of the library", async () => {
    const y = Float64Array.from([1, 2, 3, 4]);
    const A = y.map((v) => v + 1), B = y.map((v) => v - 0.6), C = y.map((v, i) => v + (i % 2 ? -0.8 : 0.8));
    const w = hillclimb([A, B, C], { ...ctx("rmse", "regression", y), bags: 20 }).weights as number[];
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(w.every((x) => x >= 0)).toBe(true);
  });
});

describe("nnls against a brute-force weight grid on 3 models", () => {
  const rnd = gaussian(5);
  const n = 300;
  const yReg = Float64Array.from({ length: n }, () => rnd());
  const reg = [0.5, 0.8, 1.2].map((s) => yReg.map((v) => v + s * rnd()));
  const yBin = Float64Array.from({ length: n }, (_, i) => i % 2);
  const bin = [1, 1.5, 2].map((s) => yBin.map((v) => 1 / (1 + Math.exp(-((v * 2 - 1) * 1.2 + s * rnd())))));

  it("rmse: the exact simplex least squares beats or equals every grid point", async () => {
    const c = ctx("rmse", "regression", yReg);
    const w = (await nnls(reg, c)).weights as number[];
    const g = gridBest(reg, c);
    const s = score("rmse", yReg, weightedSum(reg, w), 1);
    expect(s).toBeLessThanOrEqual(g.s + 1e-12);
    w.forEach((x, i) => expect(Math.abs(x - g.w[i])).toBeLessThan(0.02));
  });

  it("logloss: the constrained optimiser matches the grid optimum", async () => {
    const c = ctx("logloss", "binary", yBin);
    const w = (await nnls(bin, c)).weights as number[];
    expect(score("logloss", yBin, weightedSum(bin, w), 1)).toBeLessThanOrEqual(gridBest(bin, c).s + 1e-6);
  });

  it("auc: coordinate search reaches the grid optimum", async () => {
    const c = ctx("auc", "binary", yBin);
    const w = (await nnls(bin, c)).weights as number[];
    expect(score("auc", yBin, weightedSum(bin, w), 1)).toBeGreaterThanOrEqual(gridBest(bin, c).s - 1e-3);
  });

  it("simplex least squares: a model dominated by another gets weight 0", async () => {
    const y = Float64Array.from([0, 1, 2, 3]);
    const w = simplexLeastSquares([y.map((v) => v + 0.1), y.map((v) => v + 5)], y);
    expect(w).toEqual([1, 0]);
  });

  it("simplex least squares is exact beyond 14 models: recovers a planted sparse mix of 18", () => {
    const r = gaussian(33);
    const cols = Array.from({ length: 18 }, () => Float64Array.from({ length: 200 }, () => r()));
    const truth = new Array<number>(18).fill(0);
    [[2, 0.5], [7, 0.3], [15, 0.2]].forEach(([m, w]) => (truth[m] = w));
    const y = weightedSum(cols, truth);
    const w = simplexLeastSquares(cols, y);
    w.forEach((x, m) => expect(Math.abs(x - truth[m])).toBeLessThan(1e-9));
  });

  it("mcrmse: weights per target column", async () => {
    const y2 = Float64Array.from({ length: 2 * n }, () => rnd());
    // model 0 is good on column 0, model 1 on column 1
    const m0 = y2.map((v, i) => v + (i % 2 ? 2 : 0.1) * rnd()), m1 = y2.map((v, i) => v + (i % 2 ? 0.1 : 2) * rnd());
    const w = (await nnls([m0, m1], ctx("mcrmse", "regression", y2, 2))).weights as number[][];
    expect(w[0][0]).toBeGreaterThan(0.9);
    expect(w[1][1]).toBeGreaterThan(0.9);
  });
});

describe("rank and stack", () => {
  it("normalised ranks share ties", async () => {
    expect(Array.from(normalisedRanks([0.3, 0.1, 0.3, 0.9]))).toEqual([0.5, 0, 0.5, 1]);
  });

  it("rank averaging of two models", async () => {
    const y = Float64Array.from([0, 1, 0, 1]);
    const m = rank([Float64Array.from([0.1, 0.9, 0.2, 0.3]), Float64Array.from([10, 30, 20, 40])], ctx("auc", "binary", y));
    // ranks: [0, 1, 1/3, 2/3] and [0, 2/3, 1/3, 1] → mean
    const got = m.apply([Float64Array.from([0.1, 0.9, 0.2, 0.3]), Float64Array.from([10, 30, 20, 40])]);
    [0, 5 / 6, 1 / 3, 5 / 6].forEach((v, i) => expect(got[i]).toBeCloseTo(v, 12));
    expect(() => rank([y], ctx("logloss", "binary", y))).toThrow(/rank needs metric auc/);
  });

  it("stack: the meta-model beats each model when their errors are independent", async () => {
    const rnd = gaussian(9);
    const y = Float64Array.from({ length: 400 }, () => rnd());
    const ms = [y.map((v) => v + 0.5 * rnd()), y.map((v) => v + 0.5 * rnd())];
    const c = ctx("rmse", "regression", y);
    const s = score("rmse", y, (await stack(ms, c)).apply(ms), 1);
    for (const m of ms) expect(s).toBeLessThan(score("rmse", y, m, 1) * 0.85);
  });
});

describe("nested-CV score", () => {
  it("equals the mean over folds of fitting on the other folds and scoring the held-out one", async () => {
    const rnd = gaussian(21);
    const y = Float64Array.from({ length: 90 }, () => rnd());
    const ms = [0.5, 0.7, 0.9].map((s) => y.map((v) => v + s * rnd()));
    const folds = Int32Array.from(y, (_, i) => i % 3);
    const r = await blend("nnls", { names: ["a", "b", "c"], oof: ms, test: ms, ctx: ctx("rmse", "regression", y, 1, folds) }, ["y"]);
    const expected = [0, 1, 2].map((f) => {
      const fit = [...y.keys()].filter((i) => folds[i] !== f), held = [...y.keys()].filter((i) => folds[i] === f);
      const sub = (a: Float64Array, rows: number[]): Float64Array => Float64Array.from(rows, (i) => a[i]);
      const w = gridBest(ms.map((m) => sub(m, fit)), ctx("rmse", "regression", sub(y, fit))).w;
      return score("rmse", sub(y, held), weightedSum(ms.map((m) => sub(m, held)), w), 1);
    });
    r.nestedFolds.forEach((s, f) => expect(Math.abs(s - expected[f])).toBeLessThan(5e-3));
    expect(r.nestedScore).toBeCloseTo(r.nestedFolds.reduce((a, b) => a + b, 0) / 3, 12);
    expect(r.nestedScore).toBeGreaterThan(r.oofScore);
  });
});
