/** What every pooling head's trainer receives and returns for one fold. */
import type { FinetuneOptions, ModelName, Task } from "../config.js";
import type { LexicalCorpus } from "../lexical/corpus.js";
import type { TfidfOptions } from "../lexical/options.js";
import type { FeatureSplit } from "../features/store.js";

/** Features of the competition, opened from the feature export, and the texts' n-gram counts (when the lexical model runs). */
export interface FeatureSources {
  train: FeatureSplit;
  test: FeatureSplit;
  lexical?: LexicalCorpus;
}

export interface FoldTask {
  head: ModelName;
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
  options: {
    weightedLayer: { layerStart: number; source: "cls" | "mean" };
    finetune: FinetuneOptions;
    tfidf: TfidfOptions;
    /** the backbone's model folder (the fine-tuned heads start from its weights) */
    modelDir: string;
  };
}

/** JSON-serialisable values. */
export type Json = number | string | boolean | null | Json[] | { [k: string]: Json };

/** Fold result: OOF predictions for validIdx and test predictions, in output space (probabilities / target units). */
export interface FoldResult {
  head: ModelName;
  fold: number;
  oof: Float64Array;
  test: Float64Array;
  seconds: number;
  /** what the trainer chose or learned (L2 strength, epochs, layer weights, …) */
  info: Record<string, Json>;
}

/** A head's trainer: fits on trainIdx, predicts validIdx and test. */
export type HeadTrainer = (sources: FeatureSources, task: FoldTask) => Promise<FoldResult> | FoldResult;
