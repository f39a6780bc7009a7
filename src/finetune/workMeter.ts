/**
 * How much of a fine-tuning job is done, for the progress line's ETA (src/oof/schedule.ts). The
 * job's work is counted in padded tokens through the trained layers, as the trainer's loop runs
 * them: each training step (forward and backward ≈ 3 forward passes, plus the step's fixed cost),
 * each epoch's forward pass over the early-stopping rows, and the final forward passes over the
 * OOF fold and the test rows. Only counting: nothing here touches the job's numbers.
 */
import { lengthOrder, tokenBudgetBatches } from "../backbone/batching.js";
import type { JobProgress } from "../heads/types.js";

/** A training token's cost in forward passes: the backward pass costs about two. */
export const TRAIN_PASSES = 3;

/**
 * A training step's fixed cost in forward tokens: each trained layer's weights pass through the
 * gradient outputs and AdamW at every step, ≈ 0.09 s per layer, against ≈ 24·H² FLOPs per token
 * and layer at ≈ 100 GFLOP/s (the measurements behind priorSeconds in src/oof/registry.ts).
 */
export function stepTokens(hidden: number): number {
  return (0.09 * 100e9) / (24 * hidden * hidden);
}

/** Rows × the longest row: what a batch of `rows` costs, padded. */
export function paddedTokens(rows: ArrayLike<number>, length: (row: number) => number): number {
  let T = 0;
  for (let i = 0; i < rows.length; i++) T = Math.max(T, length(rows[i]));
  return rows.length * T;
}

/** Padded tokens of a forward pass over `rows`, batched as FinetuneModel.logits batches them. */
export function inferenceTokens(rows: ArrayLike<number>, length: (row: number) => number, budget: number): number {
  const lengths = Int32Array.from(rows, (r) => length(r));
  let sum = 0;
  for (const b of tokenBudgetBatches(lengthOrder(lengths), lengths, budget, 128)) sum += paddedTokens(b, (i) => lengths[i]);
  return sum;
}

/** Work done so far out of the planned `total`, reported as a fraction after each piece: increasing, at most 1. */
export class WorkMeter {
  private done = 0;
  private told = 0;

  constructor(private readonly total: number, private readonly report: JobProgress) {}

  add(units: number): void {
    this.done += units;
    // the plan and the loop sum the same pieces in another order: the last piece may land a rounding short of 1
    const p = this.done / this.total;
    this.tell(p > 1 - 1e-9 ? 1 : p);
  }

  private tell(p: number): void {
    if (!(p > this.told)) return;
    this.told = p;
    this.report(p);
  }

  /** Early stopping skipped epochs: only `left` units remain. */
  leaves(left: number): void {
    this.done = Math.max(this.done, this.total - left);
  }

  finish(): void {
    this.tell(1);
  }
}
