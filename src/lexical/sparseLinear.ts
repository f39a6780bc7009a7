/**
 * The linear models on a sparse matrix read row by row (never densified): L2-regularised
 * logistic (c = 1), softmax (c ≥ 2 classes) and multi-target ridge. Objective: mean loss over
 * the rows + λ/2·‖W‖², bias unpenalised (sklearn: LogisticRegression C = 1/(n·λ), lbfgs;
 * Ridge alpha = n·λ). W is [d × c] row-major, so one feature's class weights are contiguous.
 * Logistic and softmax fits run minimizeLogistic (marginSearch.ts); ridge runs conjugate gradients.
 */
import type { SparseRows } from "./foldMatrix.js";
import { LbfgsHistory } from "../optim/lbfgs.js";
import { softmaxRows, stableSigmoid } from "../optim/links.js";
import { minimizeLogistic, type LogisticStop } from "./marginSearch.js";

export interface SparseLinear {
  d: number;
  c: number;
  /** [W, b]: the parameter vector the optimiser works on in place */
  x: Float64Array;
  /** views into x */
  W: Float64Array;
  b: Float64Array;
}

/** A zero model of d features and c outputs. */
export function zeroModel(d: number, c: number): SparseLinear {
  const x = new Float64Array(d * c + c);
  return { d, c, x, W: x.subarray(0, d * c), b: x.subarray(d * c) };
}

export interface FitInfo {
  iters: number;
  /** passes over the rows */
  passes: number;
  converged: boolean;
}

/** L-BFGS curvature carried along an L2 path, with the λ it was gathered at. */
export interface PathState {
  history?: LbfgsHistory;
  lambda?: number;
}

/** Fits logistic / softmax in place from `model` (a warm start, or zeros); `path` carries curvature between λs. */
export function fitLogistic(X: SparseRows, rows: Int32Array, y: ArrayLike<number>, model: SparseLinear, lambda: number, o: LogisticStop, path: PathState = {}): FitInfo {
  const { d, c, x } = model;
  path.history ??= new LbfgsHistory(x.length);
  if (path.lambda !== undefined) path.history.shiftL2(lambda - path.lambda, d * c);
  path.lambda = lambda;
  const r = minimizeLogistic(X, rows, y, c, lambda, x, o, path.history);
  return { iters: r.iters, passes: r.evals, converged: r.converged };
}

/** Logits (or ridge outputs) of the given rows, [rows × c]. */
export function predictRows(X: SparseRows, rows: ArrayLike<number>, m: SparseLinear): Float64Array {
  const { c, W, b } = m;
  const out = new Float64Array(rows.length * c);
  const cur = X.cursor();
  for (let p = 0; p < rows.length; p++) {
    cur.at(rows[p]);
    const idx = cur.idx, val = cur.val, o = p * c;
    for (let k = 0; k < c; k++) out[o + k] = b[k];
    for (let e = cur.start; e < cur.end; e++) {
      const v = val[e], j = idx[e] * c;
      for (let k = 0; k < c; k++) out[o + k] += v * W[j + k];
    }
  }
  return out;
}

/** In place: logits → probabilities (stable sigmoid for c = 1, softmax otherwise); regression untouched. */
export function toProbabilities(z: Float64Array, c: number): Float64Array {
  return c === 1 ? stableSigmoid(z) : softmaxRows(z, c);
}

/** Column means of the rows (x̄, for ridge's implicit centring). */
function columnMeans(X: SparseRows, rows: Int32Array): Float64Array {
  const mean = new Float64Array(X.d);
  const cur = X.cursor();
  for (let p = 0; p < rows.length; p++) {
    cur.at(rows[p]);
    const idx = cur.idx, val = cur.val;
    for (let e = cur.start; e < cur.end; e++) mean[idx[e]] += val[e];
  }
  for (let j = 0; j < X.d; j++) mean[j] /= rows.length;
  return mean;
}

/** out[j, k] = Σ_p x_pj · u(p)_k / N: Xᵀ of a per-row vector, fused with the row's own product. */
function ridgePass(X: SparseRows, rows: Int32Array, c: number, out: Float64Array, perRow: (p: number, xw: (k: number) => number, u: Float64Array) => void, P: Float64Array): void {
  const cur = X.cursor(), u = new Float64Array(c);
  const N = rows.length;
  out.fill(0);
  for (let p = 0; p < N; p++) {
    cur.at(rows[p]);
    const idx = cur.idx, val = cur.val, a = cur.start, end = cur.end;
    const xw = (k: number): number => {
      let s = 0;
      for (let e = a; e < end; e++) s += val[e] * P[idx[e] * c + k];
      return s;
    };
    perRow(p, xw, u);
    for (let e = a; e < end; e++) {
      const v = val[e] / N, j = idx[e] * c;
      for (let k = 0; k < c; k++) out[j + k] += v * u[k];
    }
  }
}

/**
 * Ridge, every target at once: per target k, conjugate gradients on the centred normal equations
 * (XcᵀXc/n + λ_k I) w_k = Xcᵀ(y_k − ȳ_k)/n, never forming Xc (Xc p = X p − 1·x̄ᵀp, and
 * Xcᵀu = Xᵀu since u sums to zero); the bias is ȳ − x̄ᵀw. Y is [rows × c]. Warm-starts from model.W.
 */
export function fitRidge(X: SparseRows, rows: Int32Array, Y: Float64Array, model: SparseLinear, lambdas: readonly number[], o: { tol: number; maxIter: number }): FitInfo {
  const { d, c, W } = model, N = rows.length, dc = d * c;
  const xbar = columnMeans(X, rows);
  const ybar = new Float64Array(c);
  for (let p = 0; p < N; p++) for (let k = 0; k < c; k++) ybar[k] += Y[p * c + k] / N;
  const xbarDot = (P: Float64Array, k: number): number => {
    let s = 0;
    for (let j = 0; j < d; j++) s += xbar[j] * P[j * c + k];
    return s;
  };
  const colDot = (a: Float64Array, b: Float64Array, k: number): number => {
    let s = 0;
    for (let j = k; j < dc; j += c) s += a[j] * b[j];
    return s;
  };
  /** out = (XcᵀXc/N + λ) P: every target in one pass over the rows */
  const apply = (P: Float64Array, out: Float64Array): void => {
    const m = Array.from({ length: c }, (_, k) => xbarDot(P, k));
    ridgePass(X, rows, c, out, (_, xw, u) => {
      for (let k = 0; k < c; k++) u[k] = xw(k) - m[k];
    }, P);
    for (let i = 0; i < dc; i++) out[i] += lambdas[i % c] * P[i];
  };
  const B = new Float64Array(dc), R = new Float64Array(dc), Pd = new Float64Array(dc), Q = new Float64Array(dc);
  ridgePass(X, rows, c, B, (p, _, u) => {
    for (let k = 0; k < c; k++) u[k] = Y[p * c + k] - ybar[k];
  }, W);
  apply(W, Q);
  for (let i = 0; i < dc; i++) Pd[i] = R[i] = B[i] - Q[i];
  const bnorm = Array.from({ length: c }, (_, k) => Math.sqrt(colDot(B, B, k)));
  const rs = Array.from({ length: c }, (_, k) => colDot(R, R, k));
  const done = rs.map((r, k) => Math.sqrt(r) <= o.tol * bnorm[k]);
  let it = 0;
  for (; it < o.maxIter && done.some((x) => !x); it++) {
    for (let k = 0; k < c; k++) if (done[k]) for (let j = k; j < dc; j += c) Pd[j] = 0;
    apply(Pd, Q);
    for (let k = 0; k < c; k++) {
      if (done[k]) continue;
      const a = rs[k] / colDot(Pd, Q, k);
      for (let j = k; j < dc; j += c) {
        W[j] += a * Pd[j];
        R[j] -= a * Q[j];
      }
      const rn = colDot(R, R, k), beta = rn / rs[k];
      rs[k] = rn;
      done[k] = Math.sqrt(rn) <= o.tol * bnorm[k];
      for (let j = k; j < dc; j += c) Pd[j] = R[j] + beta * Pd[j];
    }
  }
  for (let k = 0; k < c; k++) model.b[k] = ybar[k] - xbarDot(W, k);
  return { iters: it, passes: it + 4, converged: done.every((x) => x) };
}
