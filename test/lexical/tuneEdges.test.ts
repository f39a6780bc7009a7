/**
 * The λ tuner's corners: inner folds that receive no rows (more inner folds than training rows of
 * a class) are skipped, and every path point is the summed validation loss of the non-empty inner
 * folds over all rows, as fits from zero give it.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CsrMatrix } from "../../src/lexical/foldMatrix.js";
import { fitLogistic, predictRows, toProbabilities, zeroModel } from "../../src/lexical/sparseLinear.js";
import { tuneSparse } from "../../src/lexical/tune.js";
import { stratifiedFolds } from "../../src/folds/kfold.js";

const fx = JSON.parse(readFileSync(new URL("../fixtures/tfidf/linear.json", import.meta.url), "utf8")) as { n: number; d: number; cells: [number, number, number][]; yBinary: number[] };
const X = CsrMatrix.fromTriples(fx.n, fx.d, fx.cells);

describe("tuning with more inner folds than rows", () => {
  it("empty inner folds are skipped; the path is the loss of the others over all rows", () => {
    const rows = Int32Array.from({ length: 7 }, (_, i) => i * 11);
    const y = Float64Array.from(rows, (r) => fx.yBinary[r]);
    const innerK = 9;
    const inner = stratifiedFolds(y, innerK, 4);
    const used = [...new Set(inner)];
    expect(used.length).toBeLessThan(innerK);
    const r = tuneSparse("binary", X, rows, y, 1, y, 4, { lambdas: [0.1, 0.01], innerK, patience: 0, tol: 1e-10, maxIter: 5000 });
    expect(r.path.map((p) => p.lambda)).toEqual([0.1, 0.01]);
    for (const p of r.path) {
      let s = 0;
      for (const f of used) {
        const tr = [...rows.keys()].filter((i) => inner[i] !== f), va = [...rows.keys()].filter((i) => inner[i] === f);
        const m = zeroModel(fx.d, 1);
        fitLogistic(X, Int32Array.from(tr, (i) => rows[i]), tr.map((i) => y[i]), m, p.lambda, { gtol: 1e-12, ftol: 0, maxIter: 5000 });
        const q = toProbabilities(predictRows(X, Int32Array.from(va, (i) => rows[i]), m), 1);
        va.forEach((i, a) => (s -= Math.log(y[i] === 1 ? q[a] : 1 - q[a])));
      }
      // the tuner's fits stop at scipy's relative-decrease rule: ~1e-5
      expect(p.loss[0]).toBeCloseTo(s / rows.length, 4);
    }
    expect(r.model.x.every(Number.isFinite)).toBe(true);
  });
});
