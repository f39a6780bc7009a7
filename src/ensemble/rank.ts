/** Rank averaging for AUC: each model's predictions become normalised ranks, then a (weighted) mean. */
import { UserError } from "../util/errors.js";
import type { BlendContext, BlendModel } from "./types.js";

/** Average ranks (ties share their mean rank) scaled to [0, 1]. */
export function normalisedRanks(p: ArrayLike<number>): Float64Array {
  const n = p.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[a] - p[b]);
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && p[idx[j + 1]] === p[idx[i]]) j++;
    for (let k = i; k <= j; k++) r[idx[k]] = n > 1 ? (i + j) / 2 / (n - 1) : 0.5;
    i = j + 1;
  }
  return r;
}

export function rank(preds: readonly Float64Array[], ctx: BlendContext, weights?: number[]): BlendModel {
  if (ctx.metric !== "auc") throw new UserError(`blend.method rank needs metric auc (it keeps only the order of predictions), not ${ctx.metric}`);
  const w = weights ?? preds.map(() => 1 / preds.length);
  return {
    weights: w,
    apply: (ps) => {
      const out = new Float64Array(ps[0].length);
      ps.forEach((p, m) => normalisedRanks(p).forEach((v, i) => (out[i] += w[m] * v)));
      return out;
    },
  };
}
