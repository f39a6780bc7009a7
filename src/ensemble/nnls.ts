/**
 * Non-negative weights summing to one that optimise the metric: exact simplex-constrained least
 * squares for rmse/mcrmse (per target), a softmax-parametrised L-BFGS for logloss, coordinate
 * search for auc/accuracy.
 */
import { cholesky, cholSolve } from "../util/linalg.js";
import { lbfgs } from "../optim/lbfgs.js";
import { better, score } from "../validation/metrics.js";
import { linearBlend, weightedSum, type BlendContext, type BlendModel } from "./types.js";

/**
 * min ‖Σ w_m a_m − y‖² s.t. w ≥ 0, Σw = 1: accelerated projected gradient (FISTA) on the M × M
 * Gram system finds the support, then its KKT system gives the exact weights on it — exact for
 * any number of models (the earlier enumeration of all 2^M supports stopped at 14 models, fewer
 * than ten heads, tf-idf and a few external files).
 */
export function simplexLeastSquares(cols: readonly Float64Array[], y: ArrayLike<number>): number[] {
  const M = cols.length;
  const G = new Float64Array(M * M), b = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let r = 0; r < y.length; r++) s += cols[i][r] * cols[j][r];
      G[i * M + j] = G[j * M + i] = s;
    }
    let s = 0;
    for (let r = 0; r < y.length; r++) s += cols[i][r] * y[r];
    b[i] = s;
  }
  const approx = projectedGradient(G, b, M);
  const support = [...Array(M).keys()].filter((m) => approx[m] > 1e-9);
  const exact = supportSolution(G, b, M, support);
  // f(w) = wᵀGw − 2bᵀw, the squared error up to a constant
  const f = (w: readonly number[]): number => {
    let s = 0;
    for (let i = 0; i < M; i++) {
      let gw = 0;
      for (let j = 0; j < M; j++) gw += G[i * M + j] * w[j];
      s += w[i] * gw - 2 * b[i] * w[i];
    }
    return s;
  };
  return exact && f(exact) <= f(approx) + 1e-12 * Math.abs(f(approx)) ? exact : approx;
}

/** Euclidean projection onto the probability simplex (sort-based). */
function projectSimplex(v: Float64Array): Float64Array {
  const u = Float64Array.from(v).sort().reverse();
  let css = 0, theta = 0;
  for (let i = 0; i < u.length; i++) {
    css += u[i];
    const t = (css - 1) / (i + 1);
    if (u[i] - t > 0) theta = t;
  }
  return v.map((x) => Math.max(0, x - theta));
}

/** FISTA with step 1 / (2·λmax(G)). */
function projectedGradient(G: Float64Array, b: Float64Array, M: number): number[] {
  const mul = (v: Float64Array): Float64Array => Float64Array.from({ length: M }, (_, i) => v.reduce((s, x, j) => s + G[i * M + j] * x, 0));
  let e = new Float64Array(M).fill(1);
  let lmax = 0;
  for (let k = 0; k < 100; k++) {
    const n = mul(e);
    lmax = Math.hypot(...n);
    if (lmax === 0) break;
    e = n.map((x) => x / lmax);
  }
  const step = 1 / (2 * Math.max(lmax, 1e-300));
  let w: Float64Array = new Float64Array(M).fill(1 / M), z: Float64Array = Float64Array.from(w), t = 1;
  for (let it = 0; it < 20000; it++) {
    const g = mul(z);
    const next = projectSimplex(z.map((x, i) => x - step * 2 * (g[i] - b[i])));
    const tn = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    z = next.map((x, i) => x + ((t - 1) / tn) * (x - w[i]));
    const moved = next.reduce((s, x, i) => Math.max(s, Math.abs(x - w[i])), 0);
    w = next;
    t = tn;
    if (moved < 1e-15) break;
  }
  return Array.from(w);
}

/** Weights on `S` from its KKT system [G_SS 1; 1ᵀ 0][w; μ] = [b_S; 1], or undefined when infeasible there. */
function supportSolution(G: Float64Array, b: Float64Array, M: number, S: number[]): number[] | undefined {
  const k = S.length;
  if (k === 0) return undefined;
  // a tiny ridge keeps collinear models solvable
  const A = new Float64Array(k * k);
  S.forEach((i, a) => S.forEach((j, c) => (A[a * k + c] = G[i * M + j] + (a === c ? 1e-12 * (G[i * M + i] + 1) : 0))));
  let L: Float64Array;
  try {
    L = cholesky(A, k);
  } catch {
    return undefined;
  }
  const x1 = cholSolve(L, k, Float64Array.from(S, (i) => b[i]), 1);
  const x2 = cholSolve(L, k, new Float64Array(k).fill(1), 1);
  const s1 = x1.reduce((a, v) => a + v, 0), s2 = x2.reduce((a, v) => a + v, 0);
  const mu = (s1 - 1) / s2;
  const wS = Array.from(x1, (v, a) => v - mu * x2[a]);
  if (wS.some((v) => v < -1e-12)) return undefined;
  const w = new Array<number>(M).fill(0);
  S.forEach((i, a) => (w[i] = Math.max(0, wS[a])));
  const z = w.reduce((a, v) => a + v, 0);
  return w.map((v) => v / z);
}

function column(p: Float64Array, c: number, k: number): Float64Array {
  return Float64Array.from({ length: p.length / c }, (_, i) => p[i * c + k]);
}

/** Softmax weights fitted by L-BFGS on the blended log loss. */
async function loglossWeights(preds: readonly Float64Array[], ctx: BlendContext): Promise<number[]> {
  const M = preds.length, c = ctx.c, n = ctx.y.length;
  const f = (theta: Float64Array, g: Float64Array): number => {
    const mx = Math.max(...theta);
    const e = Array.from(theta, (t) => Math.exp(t - mx));
    const z = e.reduce((a, v) => a + v, 0);
    const w = e.map((v) => v / z);
    const dw = new Float64Array(M);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const yi = ctx.y[i];
      if (c === 1) {
        let p = 0;
        for (let m = 0; m < M; m++) p += w[m] * preds[m][i];
        p = Math.min(1 - 1e-15, Math.max(1e-15, p));
        loss -= yi === 1 ? Math.log(p) : Math.log(1 - p);
        const d = yi === 1 ? -1 / p : 1 / (1 - p);
        for (let m = 0; m < M; m++) dw[m] += d * preds[m][i];
      } else {
        let p = 0;
        for (let m = 0; m < M; m++) p += w[m] * preds[m][i * c + yi];
        p = Math.max(1e-15, p);
        loss -= Math.log(p);
        for (let m = 0; m < M; m++) dw[m] -= preds[m][i * c + yi] / p;
      }
    }
    // chain rule through the softmax
    let wdw = 0;
    for (let m = 0; m < M; m++) wdw += w[m] * dw[m];
    for (let m = 0; m < M; m++) g[m] = (w[m] * (dw[m] - wdw)) / n;
    return loss / n;
  };
  const { x } = await lbfgs(f, new Float64Array(M), { maxIter: 500, tol: 1e-10 });
  const mx = Math.max(...x);
  const e = Array.from(x, (t) => Math.exp(t - mx));
  const z = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / z);
}

/** Coordinate search on the simplex for metrics without gradients (auc, accuracy). */
function coordinateWeights(preds: readonly Float64Array[], ctx: BlendContext): number[] {
  const M = preds.length;
  const s = (w: number[]): number => score(ctx.metric, ctx.y, weightedSum(preds, w), ctx.c);
  let w = new Array<number>(M).fill(1 / M);
  let cur = s(w);
  for (let step = 0.2; step > 1e-3; step /= 2) {
    let improved = true;
    for (let pass = 0; improved && pass < 50; pass++) {
      improved = false;
      for (let m = 0; m < M; m++)
        for (const dir of [1, -1]) {
          const t = [...w];
          t[m] = Math.max(0, t[m] + dir * step);
          const z = t.reduce((a, v) => a + v, 0);
          if (z <= 0) continue;
          const tn = t.map((v) => v / z);
          const v = s(tn);
          if (better(ctx.metric, v, cur)) {
            w = tn;
            cur = v;
            improved = true;
          }
        }
    }
  }
  return w;
}

export async function nnls(preds: readonly Float64Array[], ctx: BlendContext): Promise<BlendModel> {
  if (ctx.metric === "rmse" || ctx.metric === "mcrmse") {
    // mcrmse is a mean of per-column RMSEs, so each target's weights are optimal on their own
    // (rmse over several columns shares one set of weights: stack the columns)
    if (ctx.metric === "rmse") return linearBlend(simplexLeastSquares(preds, ctx.y));
    const per = Array.from({ length: ctx.c }, (_, k) => simplexLeastSquares(preds.map((p) => column(p, ctx.c, k)), column(ctx.y, ctx.c, k)));
    return {
      weights: per,
      apply: (ps) => {
        const out = new Float64Array(ps[0].length);
        for (let i = 0; i < out.length; i++) {
          const k = i % ctx.c;
          for (let m = 0; m < ps.length; m++) out[i] += per[k][m] * ps[m][i];
        }
        return out;
      },
    };
  }
  if (ctx.metric === "logloss") return linearBlend(await loglossWeights(preds, ctx));
  return linearBlend(coordinateWeights(preds, ctx));
}
