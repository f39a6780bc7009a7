/**
 * The linear output models of the pooled heads: L2-regularised logistic (binary), softmax
 * (multiclass) and ridge (regression) on standardised features, with the L2 strength chosen by
 * inner cross-validation on the training rows only.
 */
import type { Task } from "../config.js";
import { cholesky, cholSolve, lbfgs } from "../util/linalg.js";
import { gram, objective } from "./linearGraph.js";
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

/**
 * Fits logistic (c = 1) or softmax regression: mean cross-entropy + λ/2‖W‖², bias unpenalised.
 * `Y` is `indicator(y, c)` for the n rows of Z. The products run in ONNX Runtime (linearGraph.ts).
 */
export async function fitLogistic(Z: Float64Array, n: number, d: number, Y: Float64Array, c: number, lambda: number, init?: LinearModel): Promise<LinearModel> {
  const kind = c === 1 ? "binary" : "multiclass";
  const P = d * c + c;
  const x0 = new Float64Array(P);
  if (init) {
    x0.set(init.W);
    x0.set(init.b, d * c);
  }
  const f = async (x: Float64Array, g: Float64Array): Promise<number> => {
    const r = await objective(kind, Z, n, d, x.slice(0, d * c), x.slice(d * c), Y);
    g.set(r.gW);
    g.set(r.gb, d * c);
    let loss = r.loss;
    for (let p = 0; p < d * c; p++) {
      loss += 0.5 * lambda * x[p] * x[p];
      g[p] += lambda * x[p];
    }
    return loss;
  };
  const { x, iters, evals } = await lbfgs(f, x0, FIT);
  if (process.env.PB_DEBUG) console.error(`fitLogistic n=${n} c=${c} λ=${lambda} iters=${iters} evals=${evals}`);
  return { W: x.slice(0, d * c), b: x.slice(d * c), d, c };
}

/** Ridge on standardised Z and targets Y [n × c] from their Gram products: one Cholesky per distinct λ, every target at once. */
export function ridgeFromGram(G: Float64Array, ZtY: Float64Array, ym: Float64Array, n: number, d: number, c: number, lambdas: readonly number[]): LinearModel {
  // Z is (close to) centred, so the intercept is the target mean: XᵀY of centred targets = ZᵀY − (Σz)·ȳ ≈ ZᵀY
  const W = new Float64Array(d * c);
  for (const l of new Set(lambdas)) {
    const A = Float64Array.from(G);
    for (let j = 0; j < d; j++) A[j * d + j] += l * n;
    const sol = cholSolve(cholesky(A, d), d, ZtY, c);
    for (let k = 0; k < c; k++) if (lambdas[k] === l) for (let j = 0; j < d; j++) W[j * c + k] = sol[j * c + k];
  }
  return { W, b: ym, d, c };
}

/** Ridge on standardised Z [n × d] and targets Y [n × c], one λ per target (or one for all). */
export async function fitRidge(Z: Float64Array, n: number, d: number, Y: Float64Array, c: number, lambda: number | readonly number[]): Promise<LinearModel> {
  const lambdas = typeof lambda === "number" ? new Array<number>(c).fill(lambda) : lambda;
  const { G, ZtY, ym } = await centredGram(Z, n, d, Y, c);
  return ridgeFromGram(G, ZtY, ym, n, d, c, lambdas);
}

/** Gram products with the targets centred on their mean (so the Gram of standardised rows gives the exact ridge solution). */
async function centredGram(Z: Float64Array, n: number, d: number, Y: Float64Array, c: number): Promise<{ G: Float64Array; ZtY: Float64Array; ym: Float64Array }> {
  const ym = new Float64Array(c);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) ym[k] += Y[i * c + k] / n;
  const Yc = Float64Array.from(Y, (v, i) => v - ym[i % c]);
  const { G, ZtY } = await gram(Z, n, d, Yc, c);
  return { G, ZtY, ym };
}

export const LAMBDA_GRID = [1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1];

/** Mean log loss of fitted logits of `rows` against class indices. */
function logLoss(task: Task, logits: Float64Array, y: ArrayLike<number>, c: number): number {
  const p = link(task, logits, c);
  let s = 0;
  for (let i = 0; i < y.length; i++) s -= Math.log(Math.max(c === 1 ? (y[i] === 1 ? p[i] : 1 - p[i]) : p[i * c + y[i]], 1e-15));
  return s;
}

/** The inner folds' rows, matrices and targets, made once for the whole λ path. */
interface InnerFold {
  n: number;
  Ztr: Float64Array;
  Zva: Float64Array;
  Ytr: Float64Array;
  yva: Float64Array;
  nva: number;
  model?: LinearModel;
}

/**
 * Chooses λ by inner K-fold on the training rows (summed log loss, or per-target squared error for
 * ridge), then refits on all of them. Returns the model and the chosen λ (one per target for ridge).
 * Logistic: the folds walk the grid together from strong to weak regularisation, each fit
 * warm-started from the previous; once the summed validation loss has risen twice in a row the
 * weaker λs are not fitted (the curve has turned). The final fit starts from the inner folds' mean.
 */
export async function tuneLinear(task: Task, Z: Float64Array, n: number, d: number, y: Float64Array, c: number, strata: ArrayLike<number>, seed: number, innerK = 3): Promise<{ model: LinearModel; lambda: number[] }> {
  const inner = stratifiedFolds(strata, innerK, seed);
  const yw = task === "regression" ? c : 1;
  const folds: InnerFold[] = Array.from({ length: innerK }, (_, f) => {
    const tr = rowsWhere(inner, (x) => x !== f), va = rowsWhere(inner, (x) => x === f);
    const ytr = takeRows(y, tr, yw);
    return { n: tr.length, Ztr: takeRows(Z, tr, d), Zva: takeRows(Z, va, d), Ytr: task === "regression" ? ytr : indicator(ytr, c), yva: takeRows(y, va, yw), nva: va.length };
  });
  if (task === "regression") return tuneRidge(folds, Z, n, d, y, c);
  const grid = LAMBDA_GRID;
  const loss = new Float64Array(grid.length).fill(Infinity);
  let best = grid.length - 1, rises = 0;
  for (let gi = grid.length - 1; gi >= 0 && rises < 2; gi--) {
    loss[gi] = 0;
    for (const f of folds) {
      f.model = await fitLogistic(f.Ztr, f.n, d, f.Ytr, c, grid[gi], f.model);
      loss[gi] += logLoss(task, linearForward(f.model, f.Zva, f.nva), f.yva, c);
    }
    if (loss[gi] < loss[best]) {
      best = gi;
      rises = 0;
    } else rises++;
  }
  const init = meanModel(folds.map((f) => f.model!));
  return { model: await fitLogistic(Z, n, d, indicator(y, c), c, grid[best], init), lambda: [grid[best]] };
}

async function tuneRidge(folds: InnerFold[], Z: Float64Array, n: number, d: number, y: Float64Array, c: number): Promise<{ model: LinearModel; lambda: number[] }> {
  const grid = LAMBDA_GRID.map((l) => l * 10);
  const loss = grid.map(() => new Float64Array(c));
  for (const f of folds) {
    const { G, ZtY, ym } = await centredGram(f.Ztr, f.n, d, f.Ytr, c);
    grid.forEach((l, gi) => {
      const p = linearForward(ridgeFromGram(G, ZtY, ym, f.n, d, c, new Array<number>(c).fill(l)), f.Zva, f.nva);
      for (let i = 0; i < f.nva; i++) for (let k = 0; k < c; k++) loss[gi][k] += (p[i * c + k] - f.yva[i * c + k]) ** 2;
    });
  }
  const lambda = Array.from({ length: c }, (_, k) => grid[grid.reduce((bi, _, gi) => (loss[gi][k] < loss[bi][k] ? gi : bi), 0)]);
  return { model: await fitRidge(Z, n, d, y, c, lambda), lambda };
}

function meanModel(ms: LinearModel[]): LinearModel {
  const W = new Float64Array(ms[0].W.length), b = new Float64Array(ms[0].b.length);
  for (const m of ms) {
    for (let i = 0; i < W.length; i++) W[i] += m.W[i] / ms.length;
    for (let i = 0; i < b.length; i++) b[i] += m.b[i] / ms.length;
  }
  return { ...ms[0], W, b };
}
