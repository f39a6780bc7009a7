/**
 * The linear output models of the pooled heads: L2-regularised logistic (binary), softmax
 * (multiclass) and ridge (regression) on standardised features, with the L2 strength chosen by
 * inner cross-validation on the training rows only.
 */
import type { Task } from "../config.js";
import { cholesky, cholSolve } from "../util/linalg.js";
import { lbfgs } from "../optim/lbfgs.js";
import { sigmoid, softmaxRows } from "../optim/links.js";
import { gram, objective } from "./linearGraph.js";
import { stratifiedFolds } from "../folds/kfold.js";
import { summedLogLoss } from "../validation/metrics.js";
import { permuteRows, takeRows } from "../util/rows.js";

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
  return c === 1 ? sigmoid(logits) : softmaxRows(logits, c);
}

/** Targets as the objective wants them: 0/1 (binary, c = 1) or one-hot rows (multiclass), [n × c]. */
export function indicator(y: ArrayLike<number>, c: number): Float64Array {
  const Y = new Float64Array(y.length * c);
  for (let i = 0; i < y.length; i++) {
    if (c === 1) Y[i] = y[i];
    else Y[i * c + y[i]] = 1;
  }
  return Y;
}

/** L-BFGS stopping rule of the logistic fits: tight enough that CV does not move, bounded so that no fit runs away. */
const FIT = { maxIter: 300, tol: 1e-5 };

/** Contiguous rows of a training set: views into the caller's matrices, never copies. */
export interface RowBlock {
  /** [n × d] standardised features */
  Z: Float64Array;
  /** [n × c] targets: `indicator` rows for classification, values for regression */
  Y: Float64Array;
  n: number;
}

/**
 * Fits logistic (c = 1) or softmax regression on the union of `blocks`: mean cross-entropy +
 * λ/2‖W‖², bias unpenalised. The products run in ONNX Runtime (linearGraph.ts), block by block.
 */
export async function fitDenseLogistic(blocks: readonly RowBlock[], d: number, c: number, lambda: number, init?: LinearModel): Promise<LinearModel> {
  const kind = c === 1 ? "binary" : "multiclass";
  const P = d * c + c;
  const N = blocks.reduce((a, b) => a + b.n, 0);
  const x0 = new Float64Array(P);
  if (init) {
    x0.set(init.W);
    x0.set(init.b, d * c);
  }
  const f = async (x: Float64Array, g: Float64Array): Promise<number> => {
    const W = x.slice(0, d * c), b = x.slice(d * c);
    g.fill(0);
    let loss = 0;
    for (const blk of blocks) {
      // each block's mean, weighted back to a sum over all rows
      const r = await objective(kind, blk.Z, blk.n, d, W, b, blk.Y);
      const w = blk.n / N;
      loss += r.loss * w;
      for (let p = 0; p < d * c; p++) g[p] += r.gW[p] * w;
      for (let k = 0; k < c; k++) g[d * c + k] += r.gb[k] * w;
    }
    for (let p = 0; p < d * c; p++) {
      loss += 0.5 * lambda * x[p] * x[p];
      g[p] += lambda * x[p];
    }
    return loss;
  };
  const { x } = await lbfgs(f, x0, FIT);
  return { W: x.slice(0, d * c), b: x.slice(d * c), d, c };
}

/** Ridge on standardised Z and targets Y [n × c] from their Gram products: one Cholesky per distinct λ, every target at once. */
export function ridgeFromGram(G: Float64Array, ZtY: Float64Array, ym: Float64Array, n: number, d: number, c: number, lambdas: readonly number[]): LinearModel {
  const W = new Float64Array(d * c);
  for (const l of new Set(lambdas)) {
    const A = Float64Array.from(G);
    for (let j = 0; j < d; j++) A[j * d + j] += l * n;
    const sol = cholSolve(cholesky(A, d), d, ZtY, c);
    for (let k = 0; k < c; k++) if (lambdas[k] === l) for (let j = 0; j < d; j++) W[j * c + k] = sol[j * c + k];
  }
  return { W, b: ym, d, c };
}

/** A block's share of ridge's normal equations: ZᵀZ, ZᵀY, Σz, Σy. */
interface BlockGram {
  G: Float64Array;
  ZtY: Float64Array;
  zsum: Float64Array;
  ysum: Float64Array;
  n: number;
}

async function blockGram(b: RowBlock, d: number, c: number): Promise<BlockGram> {
  const { G, ZtY } = await gram(b.Z, b.n, d, b.Y, c);
  const zsum = new Float64Array(d), ysum = new Float64Array(c);
  for (let i = 0; i < b.n; i++) {
    for (let j = 0; j < d; j++) zsum[j] += b.Z[i * d + j];
    for (let k = 0; k < c; k++) ysum[k] += b.Y[i * c + k];
  }
  return { G, ZtY, zsum, ysum, n: b.n };
}

/**
 * Ridge of a union of blocks, with the intercept the targets' mean: ZᵀY of centred targets is
 * ΣZᵀY − (Σz)·ȳᵀ, so each block's products are computed once for every fold that trains on it.
 */
function ridgeOf(parts: readonly BlockGram[], d: number, c: number, lambdas: readonly number[]): LinearModel {
  const n = parts.reduce((a, p) => a + p.n, 0);
  const G = new Float64Array(d * d), ZtY = new Float64Array(d * c), zsum = new Float64Array(d), ym = new Float64Array(c);
  for (const p of parts) {
    for (let i = 0; i < G.length; i++) G[i] += p.G[i];
    for (let i = 0; i < ZtY.length; i++) ZtY[i] += p.ZtY[i];
    for (let j = 0; j < d; j++) zsum[j] += p.zsum[j];
    for (let k = 0; k < c; k++) ym[k] += p.ysum[k] / n;
  }
  for (let j = 0; j < d; j++) for (let k = 0; k < c; k++) ZtY[j * c + k] -= zsum[j] * ym[k];
  return ridgeFromGram(G, ZtY, ym, n, d, c, lambdas);
}

export const LAMBDA_GRID = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1];

/** Summed log loss of logits against class indices (never clipped above: see summedLogLoss). */
function logLoss(task: Task, logits: Float64Array, y: ArrayLike<number>, c: number): number {
  return summedLogLoss(y, link(task, logits, c), c, false);
}

/** The training rows grouped by inner fold: block f is fold f's rows, so a fold trains on the other blocks — views, not copies. */
interface InnerBlocks {
  blocks: RowBlock[];
  /** metric targets per block: class index (width 1) or values (width c) */
  targets: Float64Array[];
  all: RowBlock;
}

/** Reorders Z's rows in place (and a copy of y) by inner fold. */
function innerBlocks(task: Task, Z: Float64Array, n: number, d: number, y: Float64Array, c: number, inner: Int32Array, K: number): InnerBlocks {
  const yw = task === "regression" ? c : 1;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => inner[a] - inner[b] || a - b);
  permuteRows(Z, d, order);
  const yp = takeRows(y, order, yw);
  const Y = task === "regression" ? yp : indicator(yp, c);
  const starts = [0];
  for (let f = 0; f < K; f++) starts.push(starts[f] + order.filter((i) => inner[i] === f).length);
  const view = (a: number, b: number): RowBlock => ({ Z: Z.subarray(a * d, b * d), Y: Y.subarray(a * c, b * c), n: b - a });
  return {
    blocks: Array.from({ length: K }, (_, f) => view(starts[f], starts[f + 1])),
    targets: Array.from({ length: K }, (_, f) => yp.subarray(starts[f] * yw, starts[f + 1] * yw)),
    all: view(0, n),
  };
}

/** The blocks fold f trains on, adjacent ones merged into one view. */
function trainingBlocks(ib: InnerBlocks, f: number, d: number, c: number): RowBlock[] {
  const before = ib.blocks.slice(0, f), after = ib.blocks.slice(f + 1);
  const merge = (bs: RowBlock[]): RowBlock[] => {
    if (bs.length === 0) return [];
    const n = bs.reduce((a, b) => a + b.n, 0);
    const first = bs[0];
    return [{ Z: new Float64Array(first.Z.buffer, first.Z.byteOffset, n * d), Y: new Float64Array(first.Y.buffer, first.Y.byteOffset, n * c), n }];
  };
  return [...merge(before), ...merge(after)];
}

/**
 * Chooses λ by inner K-fold on the training rows (summed log loss, or per-target squared error for
 * ridge), then refits on all of them. Returns the model and the chosen λ (one per target for ridge).
 * Takes ownership of Z: its rows are reordered in place, so that every fold's training rows are
 * contiguous views (no copies of a possibly 100-MB matrix). Logistic: the folds walk the grid
 * together from strong to weak regularisation, each fit warm-started from the previous; once the
 * summed validation loss has risen twice in a row the weaker λs are not fitted (the curve has
 * turned). The final fit starts from the inner folds' mean.
 */
export async function tuneLinear(task: Task, Z: Float64Array, n: number, d: number, y: Float64Array, c: number, strata: ArrayLike<number>, seed: number, innerK = 3): Promise<{ model: LinearModel; lambda: number[] }> {
  const ib = innerBlocks(task, Z, n, d, y, c, stratifiedFolds(strata, innerK, seed), innerK);
  if (task === "regression") return tuneRidge(ib, d, c);
  const grid = LAMBDA_GRID;
  const loss = new Float64Array(grid.length).fill(Infinity);
  const models: (LinearModel | undefined)[] = ib.blocks.map(() => undefined);
  let best = grid.length - 1, rises = 0;
  for (let gi = grid.length - 1; gi >= 0 && rises < 2; gi--) {
    loss[gi] = 0;
    for (let f = 0; f < innerK; f++) {
      const m = (models[f] = await fitDenseLogistic(trainingBlocks(ib, f, d, c), d, c, grid[gi], models[f]));
      loss[gi] += logLoss(task, linearForward(m, ib.blocks[f].Z, ib.blocks[f].n), ib.targets[f], c);
    }
    if (loss[gi] < loss[best]) {
      best = gi;
      rises = 0;
    } else rises++;
  }
  const init = meanModel(models.map((m) => m!));
  return { model: await fitDenseLogistic([ib.all], d, c, grid[best], init), lambda: [grid[best]] };
}

async function tuneRidge(ib: InnerBlocks, d: number, c: number): Promise<{ model: LinearModel; lambda: number[] }> {
  const grid = LAMBDA_GRID.map((l) => l * 10);
  const loss = grid.map(() => new Float64Array(c));
  const grams: BlockGram[] = [];
  for (const b of ib.blocks) grams.push(await blockGram(b, d, c));
  ib.blocks.forEach((va, f) => {
    const train = grams.filter((_, g) => g !== f);
    grid.forEach((l, gi) => {
      const p = linearForward(ridgeOf(train, d, c, new Array<number>(c).fill(l)), va.Z, va.n);
      for (let i = 0; i < va.n; i++) for (let k = 0; k < c; k++) loss[gi][k] += (p[i * c + k] - ib.targets[f][i * c + k]) ** 2;
    });
  });
  const lambda = Array.from({ length: c }, (_, k) => grid[grid.reduce((bi, _, gi) => (loss[gi][k] < loss[bi][k] ? gi : bi), 0)]);
  return { model: ridgeOf(grams, d, c, lambda), lambda };
}

function meanModel(ms: LinearModel[]): LinearModel {
  const W = new Float64Array(ms[0].W.length), b = new Float64Array(ms[0].b.length);
  for (const m of ms) {
    for (let i = 0; i < W.length; i++) W[i] += m.W[i] / ms.length;
    for (let i = 0; i < b.length; i++) b[i] += m.b[i] / ms.length;
  }
  return { ...ms[0], W, b };
}
