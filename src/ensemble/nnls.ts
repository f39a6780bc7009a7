/**
 * Non-negative weights summing to one that optimise the metric: exact simplex-constrained least
 * squares for rmse/mcrmse (per target), a softmax-parametrised L-BFGS for logloss, coordinate
 * search for auc/accuracy.
 */
import { cholesky, cholSolve, lbfgs } from "../util/linalg.js";
import { better, score } from "../validation/metrics.js";
import { linearBlend, weightedSum, type BlendContext, type BlendModel } from "./types.js";

/**
 * min ‖Σ w_m a_m − y‖² s.t. w ≥ 0, Σw = 1, exactly: every support set is solved through its
 * KKT system and the best feasible one kept (2^M sets — fine for the handful of models a blend has).
 */
export function simplexLeastSquares(cols: readonly Float64Array[], y: ArrayLike<number>): number[] {
  const M = cols.length;
  if (M > 14) throw new Error(`exact simplex least squares takes at most 14 models, got ${M}`);
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
  const sse = (w: number[]): number => {
    let s = 0;
    for (let r = 0; r < y.length; r++) {
      let p = 0;
      for (let m = 0; m < M; m++) p += w[m] * cols[m][r];
      s += (p - y[r]) ** 2;
    }
    return s;
  };
  let best: number[] = [], bestErr = Infinity;
  for (let mask = 1; mask < 1 << M; mask++) {
    const S = [...Array(M).keys()].filter((m) => mask & (1 << m));
    const k = S.length;
    // KKT: [G_SS 1; 1ᵀ 0] [w; μ] = [b_S; 1]; solved via G_SS⁻¹ (with a tiny ridge for collinear models)
    const A = new Float64Array(k * k);
    S.forEach((i, a) => S.forEach((j, c) => (A[a * k + c] = G[i * M + j] + (a === c ? 1e-12 * (G[i * M + i] + 1) : 0))));
    let L: Float64Array;
    try {
      L = cholesky(A, k);
    } catch {
      continue;
    }
    const x1 = cholSolve(L, k, Float64Array.from(S, (i) => b[i]), 1);
    const x2 = cholSolve(L, k, new Float64Array(k).fill(1), 1);
    const s1 = x1.reduce((a, v) => a + v, 0), s2 = x2.reduce((a, v) => a + v, 0);
    const mu = (s1 - 1) / s2;
    const wS = Array.from(x1, (v, a) => v - mu * x2[a]);
    if (wS.some((v) => v < -1e-12)) continue;
    const w = new Array<number>(M).fill(0);
    S.forEach((i, a) => (w[i] = Math.max(0, wS[a])));
    const z = w.reduce((a, v) => a + v, 0);
    const wn = w.map((v) => v / z);
    const e = sse(wn);
    if (e < bestErr - 1e-12 * Math.max(1, e)) {
      bestErr = e;
      best = wn;
    }
  }
  return best;
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
