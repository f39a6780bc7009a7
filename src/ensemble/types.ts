/** Shared shapes of the blending methods. */
import type { MetricName, Task } from "../config.js";

/** What a blender needs to know about the problem. */
export interface BlendContext {
  task: Task;
  metric: MetricName;
  /** prediction width */
  c: number;
  /** metric targets of the rows being fitted: class index (width 1) or values (width c) */
  y: Float64Array;
  seed: number;
  rounds: number;
  bags: number;
  /** fold of each fitted row (stacking trains its meta-model with the same folds) */
  folds: Int32Array;
}

/** A fitted blend. */
export interface BlendModel {
  /** per model (or per target × model for per-target blends), for display and blend.json */
  weights: number[] | number[][];
  /** Blends aligned prediction matrices ([rows × c] each, same order as fitted). */
  apply(preds: readonly Float64Array[]): Float64Array;
}

export type Blender = (preds: readonly Float64Array[], ctx: BlendContext) => BlendModel | Promise<BlendModel>;

/** Σ w_m P_m. */
export function weightedSum(preds: readonly Float64Array[], w: readonly number[]): Float64Array {
  const out = new Float64Array(preds[0].length);
  preds.forEach((p, m) => {
    if (w[m] === 0) return;
    for (let i = 0; i < out.length; i++) out[i] += w[m] * p[i];
  });
  return out;
}

/** A blend that is a fixed weighted average. */
export function linearBlend(w: number[]): BlendModel {
  return { weights: w, apply: (preds) => weightedSum(preds, w) };
}
