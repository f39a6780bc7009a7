/**
 * The blend weights of nnls against optima found here by other means: for least squares on the
 * simplex, an exhaustive active-set search (every support, its equality-constrained least squares
 * solved by Gaussian elimination, the best feasible one kept); for log loss, the KKT conditions of
 * the simplex-constrained minimum (equal partial derivatives on the support, no smaller ones off it).
 */
import { describe, it, expect } from "vitest";
import { nnls, simplexLeastSquares } from "../../src/ensemble/nnls.js";
import type { BlendContext } from "../../src/ensemble/types.js";
import { gaussian } from "../helpers/synthetic.js";
import type { MetricName, Task } from "../../src/config.js";

const ctx = (metric: MetricName, task: Task, y: Float64Array, c = 1): BlendContext => ({
  task, metric, c, y, seed: 1, rounds: 100, bags: 0, folds: Int32Array.from({ length: y.length / (task === "regression" ? c : 1) }, (_, i) => i % 3),
});

/** Solves A x = b (n × n, row-major) by Gaussian elimination with partial pivoting; undefined when singular. */
function solve(A: number[][], b: number[]): number[] | undefined {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]]);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(M[i][k]) > Math.abs(M[p][k])) p = i;
    if (Math.abs(M[p][k]) < 1e-10 * Math.max(1, ...M.map((r) => Math.abs(r[k])))) return undefined;
    [M[k], M[p]] = [M[p], M[k]];
    for (let i = k + 1; i < n; i++) {
      const f = M[i][k] / M[k][k];
      for (let j = k; j <= n; j++) M[i][j] -= f * M[k][j];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = M[i][n];
    for (let j = i + 1; j < n; j++) s -= M[i][j] * x[j];
    x[i] = s / M[i][i];
  }
  return x;
}

const sse = (cols: Float64Array[], y: Float64Array, w: number[]): number => {
  let s = 0;
  for (let r = 0; r < y.length; r++) {
    let p = 0;
    cols.forEach((c, m) => (p += w[m] * c[r]));
    s += (p - y[r]) ** 2;
  }
  return s;
};

/** min ‖Σ w_m a_m − y‖² over w ≥ 0, Σw = 1 by trying every support (on data scaled to unit rms: the weights do not change). */
function exhaustive(unscaled: Float64Array[], yUnscaled: Float64Array): { w: number[]; f: number } {
  const M = unscaled.length;
  const rms = Math.sqrt(yUnscaled.reduce((s, v) => s + v * v, 0) / yUnscaled.length);
  const cols = unscaled.map((c) => c.map((v) => v / rms)), y = yUnscaled.map((v) => v / rms);
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);
  let best = { w: [] as number[], f: Infinity };
  for (let mask = 1; mask < 1 << M; mask++) {
    const S = [...Array(M).keys()].filter((m) => mask & (1 << m));
    // [G_SS 1; 1ᵀ 0][w; μ] = [b_S; 1]
    const A = S.map((i) => [...S.map((j) => dot(cols[i], cols[j])), 1]);
    A.push([...S.map(() => 1), 0]);
    const x = solve(A, [...S.map((i) => dot(cols[i], y)), 1]);
    if (!x || x.slice(0, S.length).some((v) => v < -1e-12)) continue;
    const w = new Array<number>(M).fill(0);
    S.forEach((m, a) => (w[m] = Math.max(0, x[a])));
    const f = sse(cols, y, w);
    if (f < best.f) best = { w, f };
  }
  return { w: best.w, f: sse(unscaled, yUnscaled, best.w) };
}

/** Random problems: M models, each y plus its own bias and noise, some far off, on a given scale. */
function problem(seed: number, M: number, n: number, scale: number): { cols: Float64Array[]; y: Float64Array } {
  const r = gaussian(seed);
  const y = Float64Array.from({ length: n }, () => scale * r());
  const cols = Array.from({ length: M }, (_, m) => {
    const bias = (m % 3 === 2 ? 2 : 0.3) * r() * scale, noise = (0.2 + m / M) * scale;
    return y.map((v) => v + bias + noise * r());
  });
  return { cols, y };
}

describe("simplex least squares against an exhaustive active-set search", () => {
  it.each([
    [1, 2, 1], [2, 3, 1], [3, 4, 1], [4, 5, 1], [5, 6, 1], [6, 3, 1e3], [7, 4, 1e-3], [8, 5, 1e6], [9, 6, 1e-5], [10, 4, 1],
  ])("seed %i: %i models on the scale %f", (seed, M, scale) => {
    const { cols, y } = problem(seed, M, 40, scale);
    const ref = exhaustive(cols, y);
    const w = simplexLeastSquares(cols, y);
    // the KKT system's ridge, 1e-12·(G_mm + 1), is absolute when the Gram entries are far below 1
    // (data on the scale 1e-3): it moves the weights by ~1e-8 there
    const tol = scale < 1 ? 1e-7 : 1e-9;
    w.forEach((v, m) => expect(Math.abs(v - ref.w[m])).toBeLessThan(tol));
    expect(w.every((v) => v >= 0)).toBe(true);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    expect(sse(cols, y, w)).toBeLessThanOrEqual(ref.f * (1 + tol));
  });

  it("the optimum at a vertex, on an edge and inside", () => {
    const y = Float64Array.from([0, 1, 2, 3, 4]);
    // the vertex: one model is y exactly
    const exact = Float64Array.from(y), off = y.map((v) => v + 3), wobble = y.map((v, i) => v + (i % 2 ? 2 : -2));
    expect(simplexLeastSquares([off, exact, wobble], y)).toEqual([0, 1, 0]);
    // the edge: y + 1 and y − 1 average to y; the third only hurts
    const edge = simplexLeastSquares([y.map((v) => v + 1), y.map((v) => v - 1), wobble], y);
    [0.5, 0.5, 0].forEach((v, m) => expect(edge[m]).toBeCloseTo(v, 11));
    // inside: three models whose errors cancel only with weights 1/2, 1/3, 1/6
    const e1 = [1, 0, -1, 0, 0], e2 = [0, 1, 0, -1, 0];
    const c1 = y.map((v, i) => v + e1[i]), c2 = y.map((v, i) => v + e2[i]);
    const c3 = y.map((v, i) => v - (3 * e1[i] + 2 * e2[i]));
    const inner = simplexLeastSquares([c1, c2, c3], y);
    [1 / 2, 1 / 3, 1 / 6].forEach((v, m) => expect(inner[m]).toBeCloseTo(v, 11));
  });

  it("a model listed twice: the least squares value of the exhaustive search, the pair taking the single model's weight", () => {
    const { cols, y } = problem(11, 3, 30, 1);
    const withTwin = [cols[0], cols[1], cols[1], cols[2]];
    const ref = exhaustive(cols, y);
    const w = simplexLeastSquares(withTwin, y);
    expect(sse(withTwin, y, w)).toBeCloseTo(ref.f, 9);
    expect(w[1] + w[2]).toBeCloseTo(ref.w[1], 9);
    expect(w[0]).toBeCloseTo(ref.w[0], 9);
    expect(w[3]).toBeCloseTo(ref.w[2], 9);
  });

  it("all-zero models: every weighting is optimal, the weights stay finite and sum to one", () => {
    const z = new Float64Array(5);
    const w = simplexLeastSquares([z, z, z], Float64Array.from([1, 2, 3, 4, 5]));
    expect(w.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it("mcrmse: each target column's weights are that column's own exhaustive optimum", async () => {
    const a = problem(21, 3, 30, 1), b = problem(22, 3, 30, 10);
    const inter = (p: Float64Array, q: Float64Array) => Float64Array.from({ length: 60 }, (_, i) => (i % 2 ? q : p)[i >> 1]);
    const preds = a.cols.map((col, m) => inter(col, b.cols[m]));
    const fit = await nnls(preds, ctx("mcrmse", "regression", inter(a.y, b.y), 2));
    const w = fit.weights as number[][];
    [exhaustive(a.cols, a.y).w, exhaustive(b.cols, b.y).w].forEach((ref, k) => ref.forEach((v, m) => expect(Math.abs(w[k][m] - v)).toBeLessThan(1e-9)));
    const out = fit.apply(preds);
    for (let i = 0; i < 60; i++) expect(out[i]).toBeCloseTo(preds.reduce((s, p, m) => s + w[i % 2][m] * p[i], 0), 12);
  });
});

/** ∂/∂w_m of the mean log loss of Σ w_m P_m (binary: column of P(y=1); multiclass: rows × k). */
function loglossGradient(preds: Float64Array[], y: Float64Array, k: number, w: number[]): number[] {
  const n = y.length;
  const g = new Array<number>(preds.length).fill(0);
  for (let i = 0; i < n; i++) {
    const col = k === 1 ? 0 : y[i];
    const at = (p: Float64Array) => (k === 1 ? (y[i] === 1 ? p[i] : 1 - p[i]) : p[i * k + col]);
    const q = preds.reduce((s, p, m) => s + w[m] * at(p), 0);
    preds.forEach((p, m) => (g[m] -= at(p) / q / n));
  }
  return g;
}

/** KKT of min L(w) on the simplex: ∂L/∂w_m equal (= μ) where w_m > 0, at least μ where w_m = 0. */
function expectKkt(g: number[], w: number[], tol: number): void {
  const on = w.map((v, m) => (v > 1e-3 ? m : -1)).filter((m) => m >= 0);
  const mu = on.reduce((s, m) => s + g[m], 0) / on.length;
  for (const m of on) expect(Math.abs(g[m] - mu)).toBeLessThan(tol);
  w.forEach((v, m) => v <= 1e-3 && expect(g[m]).toBeGreaterThan(mu - tol));
}

describe("nnls on log loss meets the KKT conditions", () => {
  it("binary: two useful models share the weight, a harmful one gets none", async () => {
    const r = gaussian(7);
    const n = 300;
    const y = Float64Array.from({ length: n }, (_, i) => (i * 5) % 2);
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    const p1 = y.map((v) => sig((2 * v - 1) * 1.2 + 1.3 * r())), p2 = y.map((v) => sig((2 * v - 1) * 1.0 + 1.3 * r()));
    const bad = y.map((v) => sig(-(2 * v - 1) * 0.5 + r()));
    const preds = [p1, p2, bad];
    const w = (await nnls(preds, ctx("logloss", "binary", y))).weights as number[];
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(w[0]).toBeGreaterThan(0.1);
    expect(w[1]).toBeGreaterThan(0.1);
    expect(w[2]).toBeLessThan(1e-3);
    expectKkt(loglossGradient(preds, y, 1, w), w, 1e-5);
  });

  it("multiclass: 4 classes, three models", async () => {
    const r = gaussian(17);
    const n = 200, k = 4;
    const y = Float64Array.from({ length: n }, (_, i) => i % k);
    const model = (signal: number, noise: number) => {
      const p = new Float64Array(n * k);
      for (let i = 0; i < n; i++) {
        const e = Array.from({ length: k }, (_, j) => Math.exp((j === y[i] ? signal : 0) + noise * r()));
        const z = e.reduce((a, b) => a + b, 0);
        e.forEach((v, j) => (p[i * k + j] = v / z));
      }
      return p;
    };
    const preds = [model(1.5, 1), model(1.2, 1), model(-0.5, 1)];
    const fit = await nnls(preds, ctx("logloss", "multiclass", y, k));
    const w = fit.weights as number[];
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(w[0]).toBeGreaterThan(0.1);
    expect(w[1]).toBeGreaterThan(0.1);
    expectKkt(loglossGradient(preds, y, k, w), w, 1e-5);
    const out = fit.apply(preds);
    for (let i = 0; i < n * k; i += 7) expect(out[i]).toBeCloseTo(preds.reduce((s, p, m) => s + w[m] * p[i], 0), 12);
  });

  it("binary, a model with probabilities 0 and 1: the clip keeps the loss finite and the weight off it", async () => {
    const y = Float64Array.from({ length: 40 }, (_, i) => i % 2);
    const good = y.map((v, i) => (v ? 0.7 : 0.3) + (i % 4 === 0 ? 0.05 : 0));
    const hard = y.map((v, i) => (i % 5 === 0 ? 1 - v : v));
    const w = (await nnls([good, hard], ctx("logloss", "binary", y))).weights as number[];
    expect(w.every(Number.isFinite)).toBe(true);
    expect(w[0]).toBeGreaterThan(w[1]);
    expectKkt(loglossGradient([good, hard], y, 1, w), w, 1e-4);
  });
});
