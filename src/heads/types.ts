/** What every pooling head's trainer receives and returns for one fold. */
import type { FeatureSplit } from "../store/features.js";
import type { FoldAnswer, FoldTask } from "../models/fold.js";
import type { Json } from "../models/names.js";

export type { FoldTask, Json };

/** Features of the competition, opened from the feature export, and the input its family shares between its fold jobs (src/models/family.ts `shared`). */
export interface FeatureSources<S = unknown> {
  train: FeatureSplit;
  test: FeatureSplit;
  shared?: S;
}

/** Fold result: OOF predictions for validIdx and test predictions, in output space (probabilities / target units). */
export type FoldResult = FoldAnswer<string>;

/** Told the fraction (0–1] of a job's work done so far, as the job runs. */
export type JobProgress = (fraction: number) => void;

/** A head's trainer: fits on trainIdx, predicts validIdx and test; it may report its progress (the ETA uses it), or not. */
export type HeadTrainer = (sources: FeatureSources, task: FoldTask, progress?: JobProgress) => Promise<FoldResult> | FoldResult;
