/**
 * One fold's problem and its answer, in the form every model's trainer shares. Kept at the bottom
 * so the lexical model and the heads both import it downward; src/heads/types.ts adds the options
 * the heads read.
 */
import type { Json, Task } from "./names.js";

export interface FoldProblem<Name extends string> {
  head: Name;
  fold: number;
  task: Task;
  /** prediction width */
  c: number;
  /** all train targets: class index per row, or n × c values */
  y: Float64Array;
  strata: Int32Array;
  trainIdx: Int32Array;
  validIdx: Int32Array;
  seed: number;
}

/** Fold result: OOF predictions for validIdx and test predictions, in output space (probabilities / target units). */
export interface FoldAnswer<Name extends string> {
  head: Name;
  fold: number;
  oof: Float64Array;
  test: Float64Array;
  seconds: number;
  /** what the trainer chose or learned (L2 strength, epochs, layer weights, …) */
  info: Record<string, Json>;
}

/** A model's fold job: the problem, the model family's options (src/models/family.ts), and the backbone's folder. */
export interface FoldTask<O = unknown> extends FoldProblem<string> {
  /** `modelDir`: the backbone's model folder (the fine-tuned heads start from its weights) */
  options: O & { modelDir: string };
}
