/**
 * The linear output models of the pooled heads: L2-regularised logistic (binary), softmax
 * (multiclass) and ridge (regression) on standardised features, with the L2 strength chosen by
 * inner cross-validation on the training rows only.
 */
import type { Task } from "../config.js";
import { addGram, cholesky, cholSolve, lbfgs, symmetrize } from "../util/linalg.js";
import { stratifiedFolds } from "../validation/folds.js";
import { rowsWhere, takeRows } from "../util/rows.js";

export interface Standardizer {
  mu: Float64Array;
  sd: Float64Array;
}

/** Per-feature mean and standard deviation over `rows` (sd floored so constant features stay 0). */
export function fitStandardizer(X: ArrayLike<number>, d: number, rows: ArrayLike<number>): Standardizer {
  const mu = new Float64Array(d), sd = new Float64Array(d);
  for (let r = 0; r < rows.length; r++) for (let j = 0; j < d; j++) mu[j] += X[rows[r] * d + j];
  for (let j = 0; j < d; j++) mu[j] /= rows.length;
  for (let r = 0; r < rows.length; r++) for (let j = 0; j < d; j++) sd[j] += (X[rows[r] * d + j] - mu[j]) ** 2;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j] / rows.length) || 1;
  return { mu, sd };
}

/** Standardised copy of the given rows, [rows × d] float64. */
export function applyStandardizer(X: ArrayLike<number>, d: number, rows: ArrayLike<number>, s: Standardizer): Float64Array {
  const out = new Float64Array(rows.length * d);
  for (let r = 0; r < rows.length; r++) for (let j = 0; j < d; j++) out[r * d + j] = (X[rows[r] * d + j] - s.mu[j]) / s.sd[j];
  return out;
}

/** A fitted linear model: W [d × c] row-major, b [c]. */
export interface LinearModel {
  W: Float64Array;
  b: Float64Array;
  d: number;
  c: number;
}

/** Logits (or ridge outputs) of rows of Z [n × d]. */
export function linearForward(m: LinearModel, Z: Float64Array, n: number): Float64Array {
  const { d, c, W, b } = m;
  const out = new Float64Array(n * c);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < c; k++) {
      let s = b[k];
      for (let j = 0; j < d; j++) s += Z[i * d + j] * W[j * c + k];
      out[i * c + k] = s;
    }
  return out;
}

/** In place: logits → probabilities (sigmoid for c = 1, softmax otherwise). */
export function link(task: Task, logits: Float64Array, c: number): Float64Array {
  if (task === "regression") return logits;
  if (c === 1) {
    for (let i = 0; i < logits.length; i++) logits[i] = 1 / (1 + Math.exp(-logits[i]));
    return logits;
  }
  for (let i = 0; i < logits.length; i += c) {
    let mx = -Infinity;
    for (let k = 0; k < c; k++) mx = Math.max(mx, logits[i + k]);
    let z = 0;
    for (let k = 0; k < c; k++) z += logits[i + k] = Math.exp(logits[i + k] - mx);
    for (let k = 0; k < c; k++) logits[i + k] /= z;
  }
  return logits;
}

/**
 * Fits logistic (c = 1) or softmax regression: mean cross-entropy + λ/2‖W‖², bias unpenalised.
 * `y` holds class indices for the n rows of Z.
 */
export function fitLogistic(Z: Float64Array, n: number, d: number, y: ArrayLike<number>, c: number, lambda: number, init?: LinearModel): LinearModel {
  const P = d * c + c;
  const x0 = new Float64Array(P);
  if (init) {
    x0.set(init.W);
    x0.set(init.b, d * c);
  }
  const logits = new Float64Array(n * c);
  const f = (x: Float64Array, g: Float64Array): number => {
    g.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < c; k++) {
        let s = x[d * c + k];
        for (let j = 0; j < d; j++) s += Z[i * d + j] * x[j * c + k];
        logits[i * c + k] = s;
      }
      if (c === 1) {
        const s = logits[i];
        // log(1 + e^s) - y s, computed stably
        loss += Math.max(s, 0) - y[i] * s + Math.log1p(Math.exp(-Math.abs(s)));
        const r = 1 / (1 + Math.exp(-s)) - y[i];
        for (let j = 0; j < d; j++) g[j] += r * Z[i * d + j];
        g[d] += r;
      } else {
        let mx = -Infinity;
        for (let k = 0; k < c; k++) mx = Math.max(mx, logits[i * c + k]);
        let z = 0;
        for (let k = 0; k < c; k++) z += Math.exp(logits[i * c + k] - mx);
        loss += mx + Math.log(z) - logits[i * c + y[i]];
        for (let k = 0; k < c; k++) {
          const r = Math.exp(logits[i * c + k] - mx) / z - (y[i] === k ? 1 : 0);
          for (let j = 0; j < d; j++) g[j * c + k] += r * Z[i * d + j];
          g[d * c + k] += r;
        }
      }
    }
    loss /= n;
    for (let p = 0; p < P; p++) g[p] /= n;
    for (let p = 0; p < d * c; p++) {
      loss += 0.5 * lambda * x[p] * x[p];
      g[p] += lambda * x[p];
    }
    return loss;
  };
  const { x } = lbfgs(f, x0, { maxIter: 300, tol: 1e-5 });
  return { W: x.slice(0, d * c), b: x.slice(d * c), d, c };
}

/** Ridge on standardised Z and targets Y [n × c]: one Cholesky per λ, every target at once. */
export function fitRidge(Z: Float64Array, n: number, d: number, Y: Float64Array, c: number, lambda: number | number[], gram?: Float64Array): LinearModel {
  const lambdas = Array.isArray(lambda) ? lambda : new Array<number>(c).fill(lambda);
  const ym = new Float64Array(c);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) ym[k] += Y[i * c + k] / n;
  // Z is standardised on these rows, so centring is exact; the intercept is the target mean
  const G = gram ?? (() => {
    const g = new Float64Array(d * d);
    addGram(g, Z, d, Int32Array.from({ length: n }, (_, i) => i));
    symmetrize(g, d);
    return g;
  })();
  const XtY = new Float64Array(d * c);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) for (let k = 0; k < c; k++) XtY[j * c + k] += Z[i * d + j] * (Y[i * c + k] - ym[k]);
  const W = new Float64Array(d * c);
  const distinct = [...new Set(lambdas)];
  for (const l of distinct) {
    const A = Float64Array.from(G);
    for (let j = 0; j < d; j++) A[j * d + j] += l * n;
    const sol = cholSolve(cholesky(A, d), d, XtY, c);
    for (let k = 0; k < c; k++) if (lambdas[k] === l) for (let j = 0; j < d; j++) W[j * c + k] = sol[j * c + k];
  }
  return { W, b: ym, d, c };
}

export const LAMBDA_GRID = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1];

/**
 * Chooses λ by inner K-fold on the training rows (mean log loss, or per-target MSE for ridge),
 * then refits on all of them. Returns the model and the chosen λ (one per target for ridge).
 */
export function tuneLinear(task: Task, Z: Float64Array, n: number, d: number, y: Float64Array, c: number, strata: ArrayLike<number>, seed: number, innerK = 3): { model: LinearModel; lambda: number[] } {
  const inner = stratifiedFolds(strata, innerK, seed);
  const grid = task === "regression" ? LAMBDA_GRID.map((l) => l * 10) : LAMBDA_GRID;
  const loss = grid.map(() => new Float64Array(c));
  for (let f = 0; f < innerK; f++) {
    const tr = rowsWhere(inner, (x) => x !== f), va = rowsWhere(inner, (x) => x === f);
    const Ztr = takeRows(Z, tr, d), Zva = takeRows(Z, va, d);
    if (task === "regression") {
      const Ytr = takeRows(y, tr, c), Yva = takeRows(y, va, c);
      const G = new Float64Array(d * d);
      addGram(G, Ztr, d, Int32Array.from({ length: tr.length }, (_, i) => i));
      symmetrize(G, d);
      grid.forEach((l, gi) => {
        const p = linearForward(fitRidge(Ztr, tr.length, d, Ytr, c, l, G), Zva, va.length);
        for (let i = 0; i < va.length; i++) for (let k = 0; k < c; k++) loss[gi][k] += (p[i * c + k] - Yva[i * c + k]) ** 2;
      });
    } else {
      const ytr = takeRows(y, tr, 1), yva = takeRows(y, va, 1);
      let warm: LinearModel | undefined;
      // strong → weak regularisation, each fit warm-started from the previous
      for (let gi = grid.length - 1; gi >= 0; gi--) {
        warm = fitLogistic(Ztr, tr.length, d, ytr, c, grid[gi], warm);
        const p = link(task, linearForward(warm, Zva, va.length), c);
        for (let i = 0; i < va.length; i++) {
          const q = c === 1 ? (yva[i] === 1 ? p[i] : 1 - p[i]) : p[i * c + yva[i]];
          loss[gi][0] -= Math.log(Math.max(q, 1e-15));
        }
      }
    }
  }
  const best = (k: number): number => grid.reduce((bi, _, gi) => (loss[gi][k] < loss[bi][k] ? gi : bi), 0);
  if (task === "regression") {
    const lambda = Array.from({ length: c }, (_, k) => grid[best(k)]);
    return { model: fitRidge(Z, n, d, y, c, lambda), lambda };
  }
  const l = grid[best(0)];
  return { model: fitLogistic(Z, n, d, y, c, l), lambda: [l] };
}
