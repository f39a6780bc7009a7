/** Rank averaging for AUC: each model's predictions become normalised ranks, then a (weighted) mean. */
import { UserError } from "../util/errors.js";
import { averageRanks } from "../validation/metrics.js";
import type { BlendContext, BlendModel } from "./types.js";

/** Average ranks (ties share their mean rank) scaled to [0, 1]. */
export function normalisedRanks(p: ArrayLike<number>): Float64Array {
  const n = p.length;
  return averageRanks(p).map((r) => (n > 1 ? (r - 1) / (n - 1) : 0.5));
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
