/**
 * Blending on OOF predictions: every method fitted on all OOF rows (weights, in-sample score,
 * test predictions) and scored honestly by nested CV — fit on K−1 folds' OOF, score the
 * held-out fold, average.
 */
import type { BlendMethod } from "../config.js";
import { score } from "../validation/metrics.js";
import { rowsWhere, takeRows } from "../util/rows.js";
import { hillclimb } from "./hillclimb.js";
import { nnls } from "./nnls.js";
import { rank } from "./rank.js";
import { stack } from "./stack.js";
import type { BlendContext, Blender, BlendModel } from "./types.js";

export const BLENDERS: Record<BlendMethod, Blender> = { hillclimb, nnls, rank, stack };

export interface BlendInput {
  names: string[];
  /** OOF predictions per model, [n × c] in train row order */
  oof: Float64Array[];
  /** test predictions per model, [nTest × c] */
  test: Float64Array[];
  ctx: BlendContext;
}

export interface BlendResult {
  method: BlendMethod;
  weights: Record<string, number> | Record<string, Record<string, number>>;
  oofScore: number;
  nestedScore: number;
  nestedFolds: number[];
  /** blended OOF (in-sample) and test predictions */
  oof: Float64Array;
  test: Float64Array;
  seconds: number;
}

/** Fits `method` on the rows of `rows` only. */
async function fitOn(method: BlendMethod, input: BlendInput, rows: Int32Array): Promise<BlendModel> {
  const { ctx } = input;
  const yw = ctx.task === "regression" ? ctx.c : 1;
  return BLENDERS[method](input.oof.map((p) => takeRows(p, rows, ctx.c)), { ...ctx, y: takeRows(ctx.y, rows, yw), folds: Int32Array.from(rows, (r) => ctx.folds[r]) });
}

function named(names: string[], w: number[] | number[][], columns: string[]): BlendResult["weights"] {
  if (Array.isArray(w[0])) return Object.fromEntries((w as number[][]).map((per, k) => [columns[k], Object.fromEntries(names.map((n, m) => [n, per[m]]))]));
  return Object.fromEntries(names.map((n, m) => [n, (w as number[])[m]]));
}

/** Runs one method: full fit, in-sample score, nested-CV score, test predictions. */
export async function blend(method: BlendMethod, input: BlendInput, columns: string[]): Promise<BlendResult> {
  const t0 = performance.now();
  const { ctx } = input;
  const n = input.oof[0].length / ctx.c;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const full = await fitOn(method, input, all);
  const oof = full.apply(input.oof);
  const yw = ctx.task === "regression" ? ctx.c : 1;
  const folds = [...new Set(ctx.folds)].sort((a, b) => a - b);
  const nestedFolds: number[] = [];
  for (const f of folds) {
    const fit = rowsWhere(ctx.folds, (x) => x !== f), held = rowsWhere(ctx.folds, (x) => x === f);
    const m = await fitOn(method, input, fit);
    nestedFolds.push(score(ctx.metric, takeRows(ctx.y, held, yw), m.apply(input.oof.map((p) => takeRows(p, held, ctx.c))), ctx.c));
  }
  return {
    method,
    weights: named(input.names, full.weights, columns),
    oofScore: score(ctx.metric, ctx.y, oof, ctx.c),
    nestedScore: nestedFolds.reduce((a, b) => a + b, 0) / nestedFolds.length,
    nestedFolds,
    oof,
    test: full.apply(input.test),
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Methods that apply to this metric (rank averaging keeps only order, so it is AUC-only). */
export function methodsFor(metric: string): BlendMethod[] {
  return metric === "auc" ? ["hillclimb", "nnls", "rank", "stack"] : ["hillclimb", "nnls", "stack"];
}
