/** What every pooling head's trainer receives and returns for one fold. */
import type { FinetuneOptions, ModelName } from "../config.js";
import type { LexicalCorpus } from "../lexical/corpus.js";
import type { TfidfOptions } from "../lexical/options.js";
import type { FeatureSplit } from "../features/store.js";
import type { FoldAnswer, FoldProblem } from "../models/fold.js";
import type { Json } from "../models/names.js";

export type { Json };

/** Features of the competition, opened from the feature export, and the texts' n-gram counts (when the lexical model runs). */
export interface FeatureSources {
  train: FeatureSplit;
  test: FeatureSplit;
  lexical?: LexicalCorpus;
}

export interface FoldTask extends FoldProblem<ModelName> {
  options: {
    weightedLayer: { layerStart: number; source: "cls" | "mean" };
    finetune: FinetuneOptions;
    tfidf: TfidfOptions;
    /** the backbone's model folder (the fine-tuned heads start from its weights) */
    modelDir: string;
  };
}

/** Fold result: OOF predictions for validIdx and test predictions, in output space (probabilities / target units). */
export type FoldResult = FoldAnswer<ModelName>;

/** Told the fraction (0–1] of a job's work done so far, as the job runs. */
export type JobProgress = (fraction: number) => void;

/** A head's trainer: fits on trainIdx, predicts validIdx and test; it may report its progress (the ETA uses it), or not. */
export type HeadTrainer = (sources: FeatureSources, task: FoldTask, progress?: JobProgress) => Promise<FoldResult> | FoldResult;
