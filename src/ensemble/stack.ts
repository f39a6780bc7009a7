/**
 * Stacking: a ridge / logistic / softmax meta-model on the models' OOF predictions (log-odds
 * or log-probabilities for classification), its L2 strength tuned by inner CV over the same folds.
 */
import { applyStandardizer, fitStandardizer, link, linearForward, tuneLinear } from "../heads/linear.js";
import type { BlendContext, BlendModel } from "./types.js";

/** Meta-features: logit(p) (binary), log p (multiclass) or raw values (regression), per model. */
function metaFeatures(preds: readonly Float64Array[], ctx: BlendContext): { Z: Float64Array; d: number; n: number } {
  const M = preds.length, c = ctx.c, n = preds[0].length / c, d = M * c;
  const Z = new Float64Array(n * d);
  const clip = (p: number): number => Math.min(1 - 1e-7, Math.max(1e-7, p));
  for (let i = 0; i < n; i++)
    for (let m = 0; m < M; m++)
      for (let k = 0; k < c; k++) {
        const p = preds[m][i * c + k];
        Z[i * d + m * c + k] = ctx.task === "regression" ? p : c === 1 ? Math.log(clip(p) / (1 - clip(p))) : Math.log(clip(p));
      }
  return { Z, d, n };
}

export async function stack(preds: readonly Float64Array[], ctx: BlendContext): Promise<BlendModel> {
  const raw = metaFeatures(preds, ctx);
  const { d, n } = raw;
  const all = (k: number): Int32Array => Int32Array.from({ length: k }, (_, i) => i);
  const std = fitStandardizer(raw.Z, d, all(n));
  const Z = applyStandardizer(raw.Z, d, all(n), std);
  const strata = ctx.task === "regression" ? ctx.folds : Int32Array.from(ctx.y);
  const { model } = await tuneLinear(ctx.task, Z, n, d, ctx.y, ctx.c, strata, ctx.seed);
  const weights = Array.from({ length: preds.length }, (_, m) => {
    let s = 0;
    for (let k = 0; k < ctx.c; k++) for (let j = 0; j < ctx.c; j++) s += Math.abs(model.W[(m * ctx.c + k) * ctx.c + j]);
    return s;
  });
  const z = weights.reduce((a, b) => a + b, 0) || 1;
  return {
    weights: weights.map((w) => w / z),
    apply: (ps) => {
      const f = metaFeatures(ps, ctx);
      return link(ctx.task, linearForward(model, applyStandardizer(f.Z, d, all(f.n), std), f.n), ctx.c);
    },
  };
}
