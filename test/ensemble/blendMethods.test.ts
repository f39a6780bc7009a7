/**
 * The blend methods beyond their headline cases: the hill climb's round limit, tie rule and
 * bagging average; nnls on multiclass log loss and on accuracy against a weight grid; rank
 * averaging with one row and with weights; stacking's link functions (its output is affine in
 * the models' logits / log-probabilities / values); and blend()'s bookkeeping.
 */
import { describe, it, expect } from "vitest";
import { climb, hillclimb } from "../../src/ensemble/hillclimb.js";
import { nnls } from "../../src/ensemble/nnls.js";
import { normalisedRanks, rank } from "../../src/ensemble/rank.js";
import { stack } from "../../src/ensemble/stack.js";
import { blend, methodsFor, BLENDERS } from "../../src/ensemble/blend.js";
import { weightedSum, linearBlend, type BlendContext } from "../../src/ensemble/types.js";
import { score } from "../../src/validation/metrics.js";
import { mulberry32 } from "../../src/util/random.js";
import { gaussian } from "../helpers/synthetic.js";
import type { MetricName, Task } from "../../src/config.js";

const ctx = (metric: MetricName, task: Task, y: Float64Array, c = 1, extra: Partial<BlendContext> = {}): BlendContext => ({
  task, metric, c, y, seed: 1, rounds: 100, bags: 0, folds: Int32Array.from({ length: task === "regression" ? y.length / c : y.length }, (_, i) => i % 3), ...extra,
});

/** y = 1..4 and three models: A = y + 1, B = y − 0.6, C = y ± 0.8 (the Caruana trace of blenders.test.ts). */
const Y = Float64Array.from([1, 2, 3, 4]);
const A = Y.map((v) => v + 1), B = Y.map((v) => v - 0.6), C = Y.map((v, i) => v + (i % 2 ? -0.8 : 0.8));

describe("hill climb", () => {
  it("rounds bound the ensemble size; the first round is the best single model", () => {
    expect(climb([A, B, C], ctx("rmse", "regression", Y, 1, { rounds: 1 }), [0, 1, 2])).toEqual([0, 1, 0]);
    // round 2 adds A (B + A: rmse 0.2)
    expect(climb([A, B, C], ctx("rmse", "regression", Y, 1, { rounds: 2 }), [0, 1, 2])).toEqual([1, 1, 0]);
    expect(climb([A, B, C], ctx("rmse", "regression", Y, 1, { rounds: 3 }), [0, 1, 2])).toEqual([1, 2, 0]);
    // a pool without B starts from C (rmse 0.8 < 1)
    expect(climb([A, B, C], ctx("rmse", "regression", Y, 1, { rounds: 1 }), [0, 2])).toEqual([0, 0, 1]);
    expect(climb([A, B, C], ctx("rmse", "regression", Y, 1, { rounds: 1 }), [2, 0])).toEqual([0, 0, 1]);
  });

  it("larger-is-better metrics climb upwards; a tie keeps the smaller ensemble", () => {
    const y = Float64Array.from([0, 0, 1, 1]);
    const good = Float64Array.from([0.1, 0.2, 0.8, 0.9]), bad = Float64Array.from([0.9, 0.8, 0.2, 0.1]);
    expect(climb([bad, good], ctx("auc", "binary", y), [0, 1])).toEqual([0, 1]);
    // adding good again leaves auc at 1: no strict gain, stop at one
    expect(hillclimb([bad, good, good], ctx("auc", "binary", y)).weights).toEqual([0, 1, 0]);
  });

  it("bagging: each bag climbs on a seeded random half of the library, weights averaged over bags", () => {
    const preds = [A, B, C, Y.map((v) => v + 0.3)];
    const c = ctx("rmse", "regression", Y, 1, { bags: 7, seed: 4 });
    const rand = mulberry32(4);
    const want = [0, 0, 0, 0];
    for (let b = 0; b < 7; b++) {
      const pool = [0, 1, 2, 3].filter(() => rand() < 0.5);
      const counts = climb(preds, c, pool.length ? pool : [0, 1, 2, 3]);
      const total = counts.reduce((a, x) => a + x, 0);
      counts.forEach((x, m) => (want[m] += x / total / 7));
    }
    const got = hillclimb(preds, c).weights as number[];
    got.forEach((w, m) => expect(w).toBeCloseTo(want[m], 14));
    expect(got.filter((w) => w > 0).length).toBeGreaterThan(1);
  });
});

describe("nnls beyond rmse", () => {
  /** Best blended score on a 0.02 simplex grid over 3 models. */
  function gridBest(preds: Float64Array[], c: BlendContext): number {
    let best = NaN;
    for (let a = 0; a <= 50; a++)
      for (let b = 0; a + b <= 50; b++) {
        const s = score(c.metric, c.y, weightedSum(preds, [a / 50, b / 50, (50 - a - b) / 50]), c.c);
        if (Number.isNaN(best) || (c.metric === "accuracy" ? s > best : s < best)) best = s;
      }
    return best;
  }

  it("multiclass log loss: softmax weights reach the grid optimum, sum to one", async () => {
    const rnd = gaussian(12);
    const n = 150, k = 3;
    const y = Float64Array.from({ length: n }, (_, i) => i % k);
    const model = (noise: number) => {
      const p = new Float64Array(n * k);
      for (let i = 0; i < n; i++) {
        const z = Array.from({ length: k }, (_, j) => (j === y[i] ? 1.5 : 0) + noise * rnd());
        const e = z.map(Math.exp), s = e.reduce((a, b) => a + b, 0);
        e.forEach((v, j) => (p[i * k + j] = v / s));
      }
      return p;
    };
    const preds = [model(1), model(2), model(3)];
    const c = ctx("logloss", "multiclass", y, k);
    const w = (await nnls(preds, c)).weights as number[];
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(score("logloss", y, weightedSum(preds, w), k)).toBeLessThanOrEqual(gridBest(preds, c) + 1e-6);
    expect(w[0]).toBeGreaterThan(w[2]);
  });

  it("binary log loss: the model with the true probabilities takes the weight", async () => {
    const r = mulberry32(5);
    const truth = Float64Array.from({ length: 400 }, () => 0.05 + 0.9 * r());
    const y = truth.map((p) => (r() < p ? 1 : 0));
    const flat = new Float64Array(400).fill(0.5), flipped = truth.map((p) => 1 - p);
    const w = (await nnls([flat, truth, flipped], ctx("logloss", "binary", y))).weights as number[];
    expect(w[1]).toBeGreaterThan(0.8);
    expect(score("logloss", y, weightedSum([flat, truth, flipped], w), 1)).toBeLessThanOrEqual(gridBest([flat, truth, flipped], ctx("logloss", "binary", y)) + 1e-6);
  });

  it("accuracy: coordinate search finds a blend as accurate as the grid's best", async () => {
    const rnd = gaussian(31);
    const n = 200;
    const y = Float64Array.from({ length: n }, (_, i) => (i * 7) % 2);
    const preds = [0.8, 1.2, 1.6].map((s) => y.map((v) => 1 / (1 + Math.exp(-((v * 2 - 1) + s * rnd())))));
    const c = ctx("accuracy", "binary", y);
    const w = (await nnls(preds, c)).weights as number[];
    expect(w.every((x) => x >= 0)).toBe(true);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(score("accuracy", y, weightedSum(preds, w), 1)).toBeGreaterThanOrEqual(gridBest(preds, c) - 0.01);
    expect(score("accuracy", y, weightedSum(preds, w), 1)).toBeGreaterThan(Math.max(...preds.map((p) => score("accuracy", y, p, 1))));
  });

  it("mcrmse applies each column's own weights", async () => {
    // two rows × two targets; model 0 exact on column 0, model 1 exact on column 1
    const y = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const m0 = Float64Array.from([1, 0, 3, 0, 5, 0]), m1 = Float64Array.from([0, 2, 0, 4, 0, 6]);
    const b = await nnls([m0, m1], ctx("mcrmse", "regression", y, 2));
    expect(b.weights).toEqual([[1, 0], [0, 1]]);
    expect(Array.from(b.apply([m0, m1]))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(b.apply([m1, m0]))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("rmse over two columns shares one set of weights", async () => {
    const y = Float64Array.from([1, 2, 3, 4]);
    const b = await nnls([y.map((v) => v + 1), y.map((v) => v - 1)], ctx("rmse", "regression", y, 2));
    (b.weights as number[]).forEach((w) => expect(w).toBeCloseTo(0.5, 9));
  });
});

describe("rank averaging", () => {
  it("one row ranks at 0.5; weights given are used as given", () => {
    expect(Array.from(normalisedRanks([3]))).toEqual([0.5]);
    const y = Float64Array.from([0, 1, 1]);
    const p = [Float64Array.from([0.1, 0.2, 0.3]), Float64Array.from([3, 2, 1])];
    const m = rank(p, ctx("auc", "binary", y), [0.75, 0.25]);
    expect(m.weights).toEqual([0.75, 0.25]);
    // ranks [0, .5, 1] and [1, .5, 0]
    [0.25, 0.5, 0.75].forEach((v, i) => expect(m.apply(p)[i]).toBeCloseTo(v, 14));
    expect(() => rank(p, ctx("rmse", "regression", y))).toThrow("blend.method rank needs metric auc (it keeps only the order of predictions), not rmse");
  });
});

describe("stacking's link functions", () => {
  const logit = (p: number) => Math.log(p / (1 - p));

  it("binary: logit of the output is affine in the models' logits", async () => {
    const rnd = gaussian(3);
    const y = Float64Array.from({ length: 120 }, (_, i) => i % 2);
    const ms = [1, 2].map((s) => y.map((v) => 1 / (1 + Math.exp(-((2 * v - 1) + s * rnd())))));
    const m = await stack(ms, ctx("logloss", "binary", y));
    const P = [0.2, 0.7], Q = [0.9, 0.4];
    const mid = P.map((p, j) => 1 / (1 + Math.exp(-(logit(p) + logit(Q[j])) / 2)));
    const out = (x: number[]) => logit(m.apply(x.map((v) => Float64Array.of(v)))[0]);
    expect(out(mid)).toBeCloseTo((out(P) + out(Q)) / 2, 9);
    // the clip at 1e-7 bounds the logit of 0 and of 1
    expect(out([0, 0.5])).toBeCloseTo(out([1e-7, 0.5]), 9);
    expect(out([1, 0.5])).toBeCloseTo(out([1 - 1e-7, 0.5]), 9);
    const w = m.weights as number[];
    expect(w[0] + w[1]).toBeCloseTo(1, 12);
    expect(w[0]).toBeGreaterThan(w[1]);
  });

  it("multiclass: log-ratios of the output are affine in the models' log-probabilities", async () => {
    const rnd = gaussian(8);
    const n = 90, k = 3;
    const y = Float64Array.from({ length: n }, (_, i) => i % k);
    const ms = [1, 1.5].map((s) => {
      const p = new Float64Array(n * k);
      for (let i = 0; i < n; i++) {
        const e = Array.from({ length: k }, (_, j) => Math.exp((j === y[i] ? 1 : 0) + s * rnd()));
        const z = e.reduce((a, b) => a + b, 0);
        e.forEach((v, j) => (p[i * k + j] = v / z));
      }
      return p;
    });
    const m = await stack(ms, ctx("logloss", "multiclass", y, k));
    const P = [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], Q = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]];
    const mid = P.map((p, a) => p.map((v, j) => Math.sqrt(v * Q[a][j])));
    const out = (x: number[][]) => {
      const o = m.apply(x.map((v) => Float64Array.from(v)));
      expect(o[0] + o[1] + o[2]).toBeCloseTo(1, 12);
      return [Math.log(o[1] / o[0]), Math.log(o[2] / o[0])];
    };
    const [a, b, c] = [out(mid), out(P), out(Q)];
    a.forEach((v, j) => expect(v).toBeCloseTo((b[j] + c[j]) / 2, 9));
  });

  it("regression: the output is affine in the models' values", async () => {
    const rnd = gaussian(14);
    const y = Float64Array.from({ length: 90 }, () => rnd());
    const ms = [0.3, 0.6].map((s) => y.map((v) => v + s * rnd()));
    const m = await stack(ms, ctx("rmse", "regression", y));
    const out = (x: number[]) => m.apply(x.map((v) => Float64Array.of(v)))[0];
    expect(out([1, 3])).toBeCloseTo((out([0, 2]) + out([2, 4])) / 2, 9);
    expect(out([-1, 3]) - out([1, 3])).toBeLessThan(0);
  });
});

describe("blend bookkeeping", () => {
  it("in-sample score of the full fit, test predictions of the full fit, folds in order, per-target weights named", async () => {
    const rnd = gaussian(41);
    const n = 60;
    const y = Float64Array.from({ length: 2 * n }, () => rnd());
    const ms = [0.3, 0.6].map((s) => y.map((v) => v + s * rnd()));
    const tests = ms.map((m) => m.map((v) => v + 1));
    const c = ctx("mcrmse", "regression", y, 2, { folds: Int32Array.from({ length: n }, (_, i) => [2, 0, 1][i % 3]) });
    const r = await blend("nnls", { names: ["a", "b"], oof: ms, test: tests, ctx: c }, ["u", "v"]);
    const full = await nnls(ms, c);
    const w = full.weights as number[][];
    expect(r.weights).toEqual({ u: { a: w[0][0], b: w[0][1] }, v: { a: w[1][0], b: w[1][1] } });
    expect(Array.from(r.oof)).toEqual(Array.from(full.apply(ms)));
    expect(Array.from(r.test)).toEqual(Array.from(full.apply(tests)));
    expect(r.oofScore).toBe(score("mcrmse", y, full.apply(ms), 2));
    expect(r.method).toBe("nnls");
    expect(r.nestedFolds).toHaveLength(3);
    // fold 0 first: fit on folds 1, 2 (rows with i % 3 ≠ 1), score the rows of fold 0
    const fit = [...Array(n).keys()].filter((i) => i % 3 !== 1), held = [...Array(n).keys()].filter((i) => i % 3 === 1);
    const sub = (a: Float64Array, rows: number[]) => Float64Array.from(rows.flatMap((i) => [a[2 * i], a[2 * i + 1]]));
    const m0 = await nnls(ms.map((m) => sub(m, fit)), { ...c, y: sub(y, fit) });
    expect(r.nestedFolds[0]).toBe(score("mcrmse", sub(y, held), m0.apply(ms.map((m) => sub(m, held))), 2));
    expect(r.seconds).toBeGreaterThanOrEqual(0);
  });

  it("methods per metric; every method is registered", () => {
    expect(methodsFor("auc")).toEqual(["hillclimb", "nnls", "rank", "stack"]);
    expect(methodsFor("logloss")).toEqual(["hillclimb", "nnls", "stack"]);
    expect(Object.keys(BLENDERS).sort()).toEqual(["hillclimb", "nnls", "rank", "stack"]);
    expect(linearBlend([0.5, 0.5]).apply([Float64Array.of(1), Float64Array.of(3)])[0]).toBe(2);
    expect(Array.from(weightedSum([Float64Array.of(1, 2), Float64Array.of(NaN, NaN)], [2, 0]))).toEqual([2, 4]);
  });
});
