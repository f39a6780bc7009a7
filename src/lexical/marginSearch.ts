/**
 * L-BFGS specialised to logistic / softmax regression: the line search runs on the rows' margins.
 * Along a direction D the logits are Z + t·(X·D), so one forward pass gives X·D, every trial step
 * costs O(rows · c) without touching the matrix, and one backward pass gives the gradient at the
 * accepted point: an iteration reads each cell twice (as one fused evaluation does), however many
 * steps the search tries.
 */
import type { SparseRows } from "./foldMatrix.js";
import { LbfgsHistory, type LbfgsResult } from "../optim/lbfgs.js";
import { meanLogitLoss } from "../optim/logitLoss.js";

/**
 * The rows' cells by column (CSC), for many classes: a pass then walks W (and the gradient) once in
 * order while the rows' logits or residuals, N × c, stay in cache; row by row it would fetch a
 * random c-wide row of W per cell (43 classes × 54k features = 18 MB: memory-bound).
 */
interface Columns {
  ptr: Int32Array;
  /** position of the cell's row in `rows` */
  pos: Int32Array;
  val: Float32Array;
}

/** Classes from which a pass runs column by column. */
const COLUMN_CLASSES = 8;

function columnsOf(X: SparseRows, rows: Int32Array): Columns {
  const ptr = new Int32Array(X.d + 1);
  const cur = X.cursor();
  for (let p = 0; p < rows.length; p++) {
    cur.at(rows[p]);
    for (let e = cur.start; e < cur.end; e++) ptr[cur.idx[e] + 1]++;
  }
  for (let j = 0; j < X.d; j++) ptr[j + 1] += ptr[j];
  const fill = ptr.slice(0, X.d), pos = new Int32Array(ptr[X.d]), val = new Float32Array(ptr[X.d]);
  for (let p = 0; p < rows.length; p++) {
    cur.at(rows[p]);
    for (let e = cur.start; e < cur.end; e++) {
      const k = fill[cur.idx[e]]++;
      pos[k] = p;
      val[k] = cur.val[e];
    }
  }
  return { ptr, pos, val };
}

/** Z = X·W + b, column by column. */
function forwardColumns(C: Columns, d: number, x: Float64Array, c: number, z: Float64Array): void {
  const dc = d * c;
  for (let o = 0; o < z.length; o += c) for (let k = 0; k < c; k++) z[o + k] = x[dc + k];
  for (let j = 0; j < d; j++) {
    const w = j * c;
    for (let e = C.ptr[j]; e < C.ptr[j + 1]; e++) {
      const v = C.val[e], o = C.pos[e] * c;
      for (let k = 0; k < c; k++) z[o + k] += v * x[w + k];
    }
  }
}

/** g = [Xᵀ·r / N + λ·W, Σr / N], column by column. */
function backwardColumns(C: Columns, d: number, N: number, r: Float64Array, c: number, lambda: number, x: Float64Array, g: Float64Array): void {
  const dc = d * c;
  g.fill(0);
  for (let j = 0; j < d; j++) {
    const w = j * c;
    for (let e = C.ptr[j]; e < C.ptr[j + 1]; e++) {
      const v = C.val[e], o = C.pos[e] * c;
      for (let k = 0; k < c; k++) g[w + k] += v * r[o + k];
    }
  }
  for (let o = 0; o < N * c; o += c) for (let k = 0; k < c; k++) g[dc + k] += r[o + k];
  for (let i = 0; i < g.length; i++) g[i] /= N;
  for (let i = 0; i < dc; i++) g[i] += lambda * x[i];
}

/** The model's logits Z = X·W + b for the rows (one forward pass). */
function forward(X: SparseRows, rows: Int32Array, x: Float64Array, c: number, z: Float64Array): void {
  const cur = X.cursor(), dc = X.d * c;
  for (let p = 0, o = 0; p < rows.length; p++, o += c) {
    cur.at(rows[p]);
    const idx = cur.idx, val = cur.val, end = cur.end;
    if (c === 1) {
      let s = x[dc];
      for (let e = cur.start; e < end; e++) s += val[e] * x[idx[e]];
      z[o] = s;
      continue;
    }
    for (let k = 0; k < c; k++) z[o + k] = x[dc + k];
    for (let e = cur.start; e < end; e++) {
      const v = val[e], j = idx[e] * c;
      for (let k = 0; k < c; k++) z[o + k] += v * x[j + k];
    }
  }
}

/** g = [Xᵀ·r / N + λ·W, Σr / N] (one backward pass). */
function backward(X: SparseRows, rows: Int32Array, r: Float64Array, c: number, lambda: number, x: Float64Array, g: Float64Array): void {
  const cur = X.cursor(), dc = X.d * c, N = rows.length;
  g.fill(0);
  for (let p = 0, o = 0; p < rows.length; p++, o += c) {
    cur.at(rows[p]);
    const idx = cur.idx, val = cur.val, end = cur.end;
    if (c === 1) {
      const ri = r[p];
      for (let e = cur.start; e < end; e++) g[idx[e]] += ri * val[e];
      g[dc] += ri;
      continue;
    }
    for (let e = cur.start; e < end; e++) {
      const v = val[e], j = idx[e] * c;
      for (let k = 0; k < c; k++) g[j + k] += v * r[o + k];
    }
    for (let k = 0; k < c; k++) g[dc + k] += r[o + k];
  }
  for (let i = 0; i < g.length; i++) g[i] /= N;
  for (let i = 0; i < dc; i++) g[i] += lambda * x[i];
}

/** The two passes of one matrix: row by row, or column by column for many classes. */
interface Passes {
  forward(x: Float64Array, z: Float64Array): void;
  backward(r: Float64Array, x: Float64Array, g: Float64Array): void;
}

function passes(X: SparseRows, rows: Int32Array, c: number, lambda: number, byColumns = c >= COLUMN_CLASSES): Passes {
  if (!byColumns) return { forward: (x, z) => forward(X, rows, x, c, z), backward: (r, x, g) => backward(X, rows, r, c, lambda, x, g) };
  const C = columnsOf(X, rows);
  return { forward: (x, z) => forwardColumns(C, X.d, x, c, z), backward: (r, x, g) => backwardColumns(C, X.d, rows.length, r, c, lambda, x, g) };
}

/** f and ∇f at x (logits kept in z, residuals in r): one forward and one backward pass. */
function evaluate(M: Passes, d: number, y: ArrayLike<number>, c: number, lambda: number, x: Float64Array, g: Float64Array, z: Float64Array, r: Float64Array): number {
  M.forward(x, z);
  const f = meanLogitLoss(z, y, c, r) + 0.5 * lambda * dot(x, x, d * c);
  M.backward(r, x, g);
  return f;
}

/** The objective minimizeLogistic works on, as a function of x = [W, b] (for gradient checks; `byColumns` forces a pass order). */
export function logisticObjective(X: SparseRows, rows: Int32Array, y: ArrayLike<number>, c: number, lambda: number, byColumns?: boolean): (x: Float64Array, g: Float64Array) => number {
  const z = new Float64Array(rows.length * c), r = new Float64Array(rows.length * c);
  const M = passes(X, rows, c, lambda, byColumns);
  return (x, g) => evaluate(M, X.d, y, c, lambda, x, g, z, r);
}

function dot(a: Float64Array, b: Float64Array, n = a.length): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

export interface LogisticStop {
  maxIter: number;
  /** converged when ‖∇‖∞ ≤ gtol */
  gtol: number;
  /** or when the relative decrease of f drops to ftol (default scipy's 2.2e-9; 0 = off) */
  ftol?: number;
}

/**
 * Minimises mean loss + λ/2·‖W‖² from x = [W, b] (overwritten). Stops like `lbfgs`: ‖∇‖∞ ≤ gtol,
 * or a vanished relative decrease (scipy's factr 1e7), or maxIter / a failed search (not converged).
 */
export function minimizeLogistic(X: SparseRows, rows: Int32Array, y: ArrayLike<number>, c: number, lambda: number, x: Float64Array, o: LogisticStop, H: LbfgsHistory): LbfgsResult {
  const ftol = o.ftol ?? 2.2e-9;
  const P = x.length, dc = X.d * c, NC = rows.length * c;
  const z = new Float64Array(NC), zd = new Float64Array(NC), zt = new Float64Array(NC), r = new Float64Array(NC);
  let g = new Float64Array(P), gn = new Float64Array(P);
  const dir = new Float64Array(P), xn = new Float64Array(P), alpha = new Float64Array(H.m);
  const M = passes(X, rows, c, lambda);
  let fx = evaluate(M, X.d, y, c, lambda, x, g, z, r);
  let it = 0, evals = 1, converged = false;
  for (; it < o.maxIter; it++) {
    let gmax = 0;
    for (let i = 0; i < P; i++) gmax = Math.max(gmax, Math.abs(g[i]));
    if (gmax <= o.gtol) {
      converged = true;
      break;
    }
    H.direction(g, dir, alpha);
    let slope = dot(g, dir);
    if (!(slope < 0)) {
      H.clear();
      for (let i = 0; i < P; i++) dir[i] = -g[i];
      slope = -dot(g, g);
    }
    M.forward(dir, zd);
    evals++;
    // ‖W + tD‖² = ‖W‖² + 2t·W·D + t²‖D‖² on the penalised part
    const xx = dot(x, x, dc), xd = dot(x, dir, dc), dd = dot(dir, dir, dc);
    const at = (t: number): number => {
      for (let i = 0; i < NC; i++) zt[i] = z[i] + t * zd[i];
      return meanLogitLoss(zt, y, c) + 0.5 * lambda * (xx + 2 * t * xd + t * t * dd);
    };
    let t = 1, fn = at(1), ok = Number.isFinite(fn) && fn <= fx + 1e-4 * t * slope;
    for (let ls = 0; ls < 40 && !ok; ls++) {
      // minimiser of the quadratic through f(0), f'(0) and f(t), kept within [t/10, t/2]
      const q = Number.isFinite(fn) ? (-slope * t * t) / (2 * (fn - fx - slope * t)) : t / 10;
      t = Math.min(t / 2, Math.max(t / 10, q));
      fn = at(t);
      ok = Number.isFinite(fn) && fn <= fx + 1e-4 * t * slope;
    }
    if (!ok) break;
    for (let i = 0; i < P; i++) xn[i] = x[i] + t * dir[i];
    for (let i = 0; i < NC; i++) z[i] += t * zd[i];
    fn = meanLogitLoss(z, y, c, r) + 0.5 * lambda * dot(xn, xn, dc);
    M.backward(r, xn, gn);
    H.push(xn, x, gn, g);
    const stalled = fx - fn <= ftol * Math.max(Math.abs(fx), Math.abs(fn), 1e-300);
    x.set(xn);
    [g, gn] = [gn, g];
    fx = fn;
    if (stalled) {
      it++;
      converged = true;
      break;
    }
  }
  return { f: fx, iters: it, evals, converged };
}
