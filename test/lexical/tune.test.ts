/**
 * Choosing λ by inner CV, on the fixed 90 × 24 sparse problem of linear.test.ts: every point of the
 * path equals the inner-CV loss of models fitted independently from zero at that λ (the warm
 * starts, extrapolation and kept curvature change only the route), the chosen λ is the path's
 * minimum, the refit equals a fit on all rows, and patience stops the walk after enough rises.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CsrMatrix } from "../../src/lexical/foldMatrix.js";
import { fitLogistic, fitRidge, predictRows, toProbabilities, zeroModel } from "../../src/lexical/sparseLinear.js";
import { tuneSparse } from "../../src/lexical/tune.js";
import { stratifiedFolds } from "../../src/folds/kfold.js";

const fx = JSON.parse(readFileSync(new URL("../fixtures/tfidf/linear.json", import.meta.url), "utf8")) as {
  n: number; d: number; cells: [number, number, number][]; yBinary: number[]; yMulticlass: number[]; yRegression: number[][];
};
const X = CsrMatrix.fromTriples(fx.n, fx.d, fx.cells);
// the problem's rows in a scrambled order: tuneSparse works on any row subset
const rows = Int32Array.from({ length: fx.n }, (_, i) => (i * 37) % fx.n);
const TIGHT = { gtol: 1e-12, ftol: 0, maxIter: 5000 };
const o = (lambdas: number[], patience = 0) => ({ lambdas, innerK: 3, patience, tol: 1e-9, maxIter: 5000 });

/** Mean inner-CV log loss at λ, every inner model fitted from zero to the optimum. */
function cvLogLoss(y: Float64Array, c: number, lambda: number, seed: number): number {
  const strata = Int32Array.from(y);
  const inner = stratifiedFolds(strata, 3, seed);
  let s = 0;
  for (let f = 0; f < 3; f++) {
    const tr = [...rows.keys()].filter((i) => inner[i] !== f), va = [...rows.keys()].filter((i) => inner[i] === f);
    const m = zeroModel(fx.d, c);
    fitLogistic(X, Int32Array.from(tr, (i) => rows[i]), tr.map((i) => y[i]), m, lambda, TIGHT);
    const p = toProbabilities(predictRows(X, Int32Array.from(va, (i) => rows[i]), m), c);
    va.forEach((i, a) => (s -= Math.log(c === 1 ? (y[i] === 1 ? p[a] : 1 - p[a]) : p[a * c + y[i]])));
  }
  return s / rows.length;
}

describe("tuning λ by inner cross-validation", () => {
  for (const [name, labels, c] of [["binary", fx.yBinary, 1], ["3 classes", fx.yMulticlass, 3]] as const)
    it(`${name}: path losses, the chosen λ and the refit`, () => {
      const y = Float64Array.from(rows, (r) => labels[r]);
      const grid = [1e-3, 0.3, 3e-2, 1e-2, 0.3, 3e-3];
      const r = tuneSparse(c === 1 ? "binary" : "multiclass", X, rows, y, c, y, 5, o(grid));
      expect(r.path.map((p) => p.lambda)).toEqual([0.3, 3e-2, 1e-2, 3e-3, 1e-3]);
      const want = r.path.map((p) => cvLogLoss(y, c, p.lambda, 5));
      // the tuner's fits stop at scipy's relative-decrease rule: losses agree to ~1e-5
      r.path.forEach((p, i) => expect(p.loss[0]).toBeCloseTo(want[i], 4));
      const best = want.indexOf(Math.min(...want));
      expect(r.lambda).toEqual([r.path[best].lambda]);
      const full = zeroModel(fx.d, c);
      fitLogistic(X, rows, y, full, r.lambda[0], TIGHT);
      // softmax biases are free up to a common shift: compare probabilities
      const pt = toProbabilities(predictRows(X, rows, r.model), c), pf = toProbabilities(predictRows(X, rows, full), c);
      for (let i = 0; i < pf.length; i++) expect(pt[i]).toBeCloseTo(pf[i], 4);
      expect(r.notConverged).toBe(0);
      expect(r.passes).toBeGreaterThan(r.refitPasses);
      expect(r.refitPasses).toBeGreaterThan(0);
    });

  it("patience: the walk stops once the loss rose that many steps in a row", () => {
    const y = Float64Array.from(rows, (r) => fx.yBinary[r]);
    const grid = [1, 0.3, 0.1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5];
    const whole = tuneSparse("binary", X, rows, y, 1, y, 2, o(grid, 0)).path.map((p) => p.loss[0]);
    expect(whole).toHaveLength(grid.length);
    for (const patience of [1, 2]) {
      // the first index where the loss has risen `patience` times in a row
      let stop = whole.length - 1, run = 0;
      for (let i = 1; i < whole.length; i++) {
        run = whole[i] > whole[i - 1] ? run + 1 : 0;
        if (run >= patience) {
          stop = i;
          break;
        }
      }
      expect(stop).toBeLessThan(whole.length - 1);
      const r = tuneSparse("binary", X, rows, y, 1, y, 2, o(grid, patience));
      expect(r.path).toHaveLength(stop + 1);
      r.path.forEach((p, i) => expect(p.loss[0]).toBeCloseTo(whole[i], 6));
    }
  });

  it("regression: a λ per target, each the minimum of its own column of the path", () => {
    const Y = Float64Array.from([...rows].flatMap((r) => fx.yRegression[r]));
    const strata = Int32Array.from(rows, (_, i) => i % 3);
    const r = tuneSparse("regression", X, rows, Y, 2, strata, 1, o([1, 0.1, 1e-2, 1e-3, 1e-4]));
    expect(r.lambda).toHaveLength(2);
    for (let k = 0; k < 2; k++) {
      const col = r.path.map((p) => p.loss[k]);
      expect(r.lambda[k]).toBe(r.path[col.indexOf(Math.min(...col))].lambda);
    }
    // per-target squared error over the inner folds, from independent fits
    const inner = stratifiedFolds(strata, 3, 1);
    const lam = r.path[1].lambda;
    const sse = [0, 0];
    for (let f = 0; f < 3; f++) {
      const tr = [...rows.keys()].filter((i) => inner[i] !== f), va = [...rows.keys()].filter((i) => inner[i] === f);
      const m = zeroModel(fx.d, 2);
      fitRidge(X, Int32Array.from(tr, (i) => rows[i]), Float64Array.from(tr.flatMap((i) => [Y[2 * i], Y[2 * i + 1]])), m, [lam, lam], { tol: 1e-12, maxIter: 1000 });
      const p = predictRows(X, Int32Array.from(va, (i) => rows[i]), m);
      va.forEach((i, a) => [0, 1].forEach((k) => (sse[k] += (p[2 * a + k] - Y[2 * i + k]) ** 2)));
    }
    [0, 1].forEach((k) => expect(r.path[1].loss[k]).toBeCloseTo(sse[k] / rows.length, 6));
    const full = zeroModel(fx.d, 2);
    fitRidge(X, rows, Y, full, r.lambda, { tol: 1e-12, maxIter: 1000 });
    for (let i = 0; i < full.x.length; i++) expect(r.model.x[i]).toBeCloseTo(full.x[i], 5);
  });
});
