/**
 * Hill climbing (Caruana et al. 2004, "Ensemble selection from libraries of models"): start
 * from the best single model, greedily add — with replacement — the model that most improves
 * the metric, keep the best iteration (not the last); optional bagging of the selection over
 * random halves of the library.
 */
import { better, score } from "../validation/metrics.js";
import { mulberry32 } from "../util/random.js";
import { linearBlend, type BlendContext, type BlendModel } from "./types.js";

/** Selection counts of one hill climb over the models in `pool`. */
export function climb(preds: readonly Float64Array[], ctx: BlendContext, pool: readonly number[]): number[] {
  const M = preds.length;
  const s = (p: Float64Array): number => score(ctx.metric, ctx.y, p, ctx.c);
  let best = pool[0];
  let bestScore = s(preds[best]);
  for (const m of pool.slice(1)) {
    const v = s(preds[m]);
    if (better(ctx.metric, v, bestScore)) {
      best = m;
      bestScore = v;
    }
  }
  const counts = new Array<number>(M).fill(0);
  counts[best] = 1;
  let sum = Float64Array.from(preds[best]);
  let size = 1;
  let bestCounts = [...counts];
  const cur = new Float64Array(sum.length);
  for (let round = 1; round < ctx.rounds; round++) {
    let pick = -1, pickScore = bestScore;
    for (const m of pool) {
      for (let i = 0; i < cur.length; i++) cur[i] = (sum[i] + preds[m][i]) / (size + 1);
      const v = s(cur);
      // strict improvement only: ties keep the smaller ensemble
      if (better(ctx.metric, v, pickScore)) {
        pick = m;
        pickScore = v;
      }
    }
    if (pick < 0) break;
    counts[pick]++;
    size++;
    for (let i = 0; i < sum.length; i++) sum[i] += preds[pick][i];
    bestScore = pickScore;
    bestCounts = [...counts];
  }
  return bestCounts;
}

export function hillclimb(preds: readonly Float64Array[], ctx: BlendContext): BlendModel {
  const M = preds.length;
  const all = Array.from({ length: M }, (_, i) => i);
  if (ctx.bags <= 0) {
    const counts = climb(preds, ctx, all);
    const total = counts.reduce((a, b) => a + b, 0);
    return linearBlend(counts.map((x) => x / total));
  }
  const rand = mulberry32(ctx.seed);
  const w = new Array<number>(M).fill(0);
  for (let b = 0; b < ctx.bags; b++) {
    const pool = all.filter(() => rand() < 0.5);
    const counts = climb(preds, ctx, pool.length ? pool : all);
    const total = counts.reduce((a, c) => a + c, 0);
    counts.forEach((c, m) => (w[m] += c / total / ctx.bags));
  }
  return linearBlend(w);
}

