/**
 * The sparse linear models against scikit-learn 1.2.1 (test/fixtures/tfidf/make_fixture.py) on a
 * fixed 90 × 24 sparse problem: LogisticRegression (lbfgs, binary and multinomial) with
 * C = 1/(n·λ) (solved by newton-cg to machine precision) and Ridge with alpha = n·λ give the same coefficients, intercepts and predictions.
 * Gradients of the objectives against finite differences.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CsrMatrix } from "../../src/lexical/foldMatrix.js";
import { fitLogistic, fitRidge, predictRows, toProbabilities, zeroModel, type SparseLinear } from "../../src/lexical/sparseLinear.js";
import { logisticObjective } from "../../src/lexical/marginSearch.js";

interface Ref {
  lambda: number;
  coef: number[];
  intercept: number[];
  proba?: number[];
  pred?: number[];
}
const fx = JSON.parse(readFileSync(new URL("../fixtures/tfidf/linear.json", import.meta.url), "utf8")) as {
  n: number;
  d: number;
  cells: [number, number, number][];
  yBinary: number[];
  yMulticlass: number[];
  yRegression: number[][];
  binary: Ref[];
  multiclass: Ref[];
  ridge: Ref[];
};
const X = CsrMatrix.fromTriples(fx.n, fx.d, fx.cells);
const rows = Int32Array.from({ length: fx.n }, (_, i) => i);
const zeros = (c: number): SparseLinear => zeroModel(fx.d, c);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const centred = (b: ArrayLike<number>): number[] => {
  const mean = Array.from(b).reduce((s, v) => s + v, 0) / b.length;
  return Array.from(b, (v) => v - mean);
};
const tight = { gtol: 1e-11, ftol: 0, maxIter: 5000 };

describe("sparse linear models vs scikit-learn", () => {
  for (const ref of fx.binary)
    it(`logistic, λ = ${ref.lambda}`, () => {
      const m = zeros(1);
      const r = fitLogistic(X, rows, fx.yBinary, m, ref.lambda, tight);
      expect(r.converged).toBe(true);
      expect(maxDiff(m.W, ref.coef)).toBeLessThan(1e-5);
      expect(maxDiff(m.b, ref.intercept)).toBeLessThan(1e-5);
      expect(maxDiff(toProbabilities(predictRows(X, rows, m), 1), ref.proba!)).toBeLessThan(1e-6);
    });

  for (const ref of fx.multiclass)
    it(`softmax (3 classes), λ = ${ref.lambda}`, () => {
      const m = zeros(3);
      expect(fitLogistic(X, rows, fx.yMulticlass, m, ref.lambda, tight).converged).toBe(true);
      expect(maxDiff(m.W, ref.coef)).toBeLessThan(1e-5);
      // softmax is unchanged by a shift of every class's bias: compare centred intercepts
      expect(maxDiff(centred(m.b), centred(ref.intercept))).toBeLessThan(1e-5);
      expect(maxDiff(toProbabilities(predictRows(X, rows, m), 3), ref.proba!)).toBeLessThan(1e-6);
    });

  for (const ref of fx.ridge)
    it(`ridge (2 targets at once), λ = ${ref.lambda}`, () => {
      const m = zeros(2);
      const Y = Float64Array.from(fx.yRegression.flat());
      const r = fitRidge(X, rows, Y, m, [ref.lambda, ref.lambda], { tol: 1e-12, maxIter: 1000 });
      expect(r.converged).toBe(true);
      expect(maxDiff(m.W, ref.coef)).toBeLessThan(1e-7);
      expect(maxDiff(m.b, ref.intercept)).toBeLessThan(1e-7);
      expect(maxDiff(predictRows(X, rows, m), ref.pred!)).toBeLessThan(1e-7);
    });

  it("ridge takes a λ per target: each column equals its single-λ fit", () => {
    const Y = Float64Array.from(fx.yRegression.flat());
    const both = zeros(2);
    fitRidge(X, rows, Y, both, [fx.ridge[0].lambda, fx.ridge[1].lambda], { tol: 1e-12, maxIter: 1000 });
    for (let k = 0; k < 2; k++) {
      const ref = fx.ridge[k];
      for (let j = 0; j < fx.d; j++) expect(Math.abs(both.W[j * 2 + k] - ref.coef[j * 2 + k])).toBeLessThan(1e-7);
    }
  });
});

describe("objective gradients vs finite differences", () => {
  for (const [c, byColumns] of [[1, false], [3, false], [3, true]] as const)
    it(`${c === 1 ? "logistic" : "softmax"}${byColumns ? " (column-by-column passes, as for many classes)" : ""}: every coordinate`, () => {
      const y = c === 1 ? fx.yBinary : fx.yMulticlass;
      const f = logisticObjective(X, rows, y, c, 0.03, byColumns);
      const P = fx.d * c + c;
      const x = Float64Array.from({ length: P }, (_, i) => Math.sin(i * 1.7) * 0.8);
      const g = new Float64Array(P), scratch = new Float64Array(P);
      f(x, g);
      const h = 1e-6;
      for (let i = 0; i < P; i++) {
        const xp = Float64Array.from(x), xm = Float64Array.from(x);
        xp[i] += h;
        xm[i] -= h;
        const fd = (f(xp, scratch) - f(xm, scratch)) / (2 * h);
        expect(Math.abs(fd - g[i])).toBeLessThan(1e-7 * Math.max(1, Math.abs(g[i])));
      }
    });
});

describe("many classes: column-by-column passes", () => {
  it("give the row-by-row objective and gradient to rounding", () => {
    const c = 12;
    const y = Array.from(rows, (_, i) => (i * 7) % c);
    const P = fx.d * c + c;
    const x = Float64Array.from({ length: P }, (_, i) => Math.cos(i * 0.37) * 0.6);
    const gr = new Float64Array(P), gc = new Float64Array(P);
    const fr = logisticObjective(X, rows, y, c, 0.01, false)(x, gr);
    const fc = logisticObjective(X, rows, y, c, 0.01, true)(x, gc);
    expect(Math.abs(fr - fc)).toBeLessThan(1e-12 * Math.abs(fr));
    for (let i = 0; i < P; i++) expect(Math.abs(gr[i] - gc[i])).toBeLessThan(1e-12);
  });
});
