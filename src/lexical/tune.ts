/**
 * Chooses the L2 strength by inner cross-validation on the fold's training rows, walking the grid
 * from strong to weak with every inner model warm-started from its previous λ (extrapolated along
 * the path, and keeping its L-BFGS curvature), then refits on all
 * training rows at the chosen λ, starting from the mean of the inner models fitted at that λ.
 */
import type { Task } from "../models/names.js";
import { stratifiedFolds } from "../folds/kfold.js";
import { summedLogLoss } from "../validation/metrics.js";
import type { SparseRows } from "./foldMatrix.js";
import type { TfidfOptions } from "./options.js";
import { fitLogistic, fitRidge, predictRows, toProbabilities, type FitInfo, type PathState, type SparseLinear, zeroModel } from "./sparseLinear.js";

export interface TuneResult {
  model: SparseLinear;
  /** chosen λ (one per target for regression) */
  lambda: number[];
  /** inner-CV loss per λ tried (mean log loss, or per-target MSE), strong → weak */
  path: { lambda: number; loss: number[] }[];
  /** passes over the rows, all fits, and the refit's share */
  passes: number;
  refitPasses: number;
  notConverged: number;
}

type Tuning = Pick<TfidfOptions, "lambdas" | "innerK" | "patience" | "tol" | "maxIter">;

/** A training problem on some rows: rows (matrix row indices) and their targets. */
interface Part {
  rows: Int32Array;
  /** class per row, or [rows × c] targets */
  y: Float64Array;
  model: SparseLinear;
  path: PathState;
}

function pick(src: Float64Array, pos: ArrayLike<number>, w: number): Float64Array {
  const out = new Float64Array(pos.length * w);
  for (let i = 0; i < pos.length; i++) for (let k = 0; k < w; k++) out[i * w + k] = src[pos[i] * w + k];
  return out;
}

/** Fits one part at λ (per target for ridge), warm from its current model. */
function fitAt(task: Task, X: SparseRows, part: Part, lambdas: number[], o: Tuning): FitInfo {
  if (task === "regression") return fitRidge(X, part.rows, part.y, part.model, lambdas, { tol: o.tol, maxIter: o.maxIter });
  // sklearn's rule: its tol on the gradient of C·Σloss + ½‖W‖², i.e. ‖∇‖∞ ≤ tol·λ here
  return fitLogistic(X, part.rows, part.y, part.model, lambdas[0], { gtol: o.tol * lambdas[0], maxIter: o.maxIter }, part.path);
}

/** Validation loss: summed log loss (width 1) or summed squared error per target. */
function validationLoss(task: Task, X: SparseRows, rows: Int32Array, y: Float64Array, m: SparseLinear): Float64Array {
  const c = m.c;
  const p = predictRows(X, rows, m);
  if (task === "regression") {
    const out = new Float64Array(c);
    for (let i = 0; i < rows.length; i++) for (let k = 0; k < c; k++) out[k] += (p[i * c + k] - y[i * c + k]) ** 2;
    return out;
  }
  toProbabilities(p, c);
  return Float64Array.of(summedLogLoss(y, p, c));
}

/** Copies a model's [W, b] into `to` (float32: only a starting point): every output (k = -1) or output k only. */
function copyTarget(from: SparseLinear, to: Float32Array, k: number): void {
  if (k < 0) to.set(from.x);
  else for (let j = k; j < from.x.length; j += from.c) to[j] = from.x[j];
}

/**
 * x ← x + κ·(x − previous solution); returns x's value before the jump (float32: it only steers
 * the next start). `prev` is undefined at the first λ.
 */
function extrapolate(x: Float64Array, prev: Float32Array | undefined, kappa: number): Float32Array {
  const before = Float32Array.from(x);
  if (prev && kappa > 0) for (let i = 0; i < x.length; i++) x[i] += kappa * (x[i] - prev[i]);
  return before;
}

function makePart(X: SparseRows, rows: Int32Array, y: Float64Array, c: number): Part {
  return { rows, y, model: zeroModel(X.d, c), path: {} };
}

/** Inner CV over the grid, then the refit. `y` is per row of `rows` (class index, or [rows × c] targets). */
export function tuneSparse(task: Task, X: SparseRows, rows: Int32Array, y: Float64Array, c: number, strata: ArrayLike<number>, seed: number, o: Tuning): TuneResult {
  const grid = [...new Set(o.lambdas)].sort((a, b) => b - a);
  const w = task === "regression" ? c : 1;
  const inner = stratifiedFolds(strata, o.innerK, seed);
  const parts: { fit: Part; vaRows: Int32Array; vaY: Float64Array; prev?: Float32Array }[] = [];
  for (let f = 0; f < o.innerK; f++) {
    const tr: number[] = [], va: number[] = [];
    inner.forEach((x, i) => (x === f ? va : tr).push(i));
    if (tr.length === 0 || va.length === 0) continue;
    parts.push({ fit: makePart(X, Int32Array.from(tr, (i) => rows[i]), pick(y, tr, w), c), vaRows: Int32Array.from(va, (i) => rows[i]), vaY: pick(y, va, w) });
  }
  const path: { lambda: number; loss: number[] }[] = [];
  const rises = new Int32Array(w);
  // each inner model's weights at its target's best λ so far: their mean starts the refit
  const snapshots = parts.map((p) => new Float32Array(p.fit.model.x.length));
  const bestLoss = new Float64Array(w).fill(Infinity);
  let passes = 0, notConverged = 0;
  for (let gi = 0; gi < grid.length; gi++) {
    const lambda = grid[gi];
    const loss = new Float64Array(w);
    // linear extrapolation of the path in log λ (passes per fit roughly halve on IMDB)
    const kappa = gi >= 2 ? Math.log(grid[gi - 1] / lambda) / Math.log(grid[gi - 2] / grid[gi - 1]) : 0;
    for (const p of parts) {
      p.prev = extrapolate(p.fit.model.x, p.prev, kappa);
      const r = fitAt(task, X, p.fit, new Array<number>(c).fill(lambda), o);
      passes += r.passes;
      if (!r.converged) notConverged++;
      validationLoss(task, X, p.vaRows, p.vaY, p.fit.model).forEach((v, k) => (loss[k] += v / rows.length));
    }
    path.push({ lambda, loss: Array.from(loss) });
    for (let k = 0; k < w; k++) {
      const prev = path.length > 1 ? path[path.length - 2].loss[k] : Infinity;
      rises[k] = loss[k] > prev ? rises[k] + 1 : 0;
      if (loss[k] < bestLoss[k]) {
        bestLoss[k] = loss[k];
        parts.forEach((p, i) => copyTarget(p.fit.model, snapshots[i], task === "regression" ? k : -1));
      }
    }
    if (o.patience > 0 && rises.every((r) => r >= o.patience)) break;
  }
  const best = (k: number): number => path.reduce((bi, p, i) => (p.loss[k] < path[bi].loss[k] ? i : bi), 0);
  const lambda = task === "regression" ? Array.from({ length: c }, (_, k) => path[best(k)].lambda) : new Array<number>(c).fill(path[best(0)].lambda);
  // refit on every training row at the chosen λ, from the mean of the inner models there
  const full = makePart(X, rows, y, c);
  for (const snap of snapshots) for (let i = 0; i < snap.length; i++) full.model.x[i] += snap[i] / snapshots.length;
  const r = fitAt(task, X, full, lambda, o);
  passes += r.passes;
  const refitPasses = r.passes;
  if (!r.converged) notConverged++;
  return { model: full.model, lambda: task === "regression" ? lambda : [lambda[0]], path, passes, refitPasses, notConverged };
}
