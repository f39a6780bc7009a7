/**
 * What a model family declares, in the spirit of a scikit-learn estimator: the model names it
 * serves, its slice of the config (parsed and validated by the family), what its fold results
 * depend on besides the data and the code, its a-priori cost, the inputs it needs beyond the
 * feature export, and the module that trains it. The built-in families live in their own folders
 * (src/heads/family.ts, src/finetune/family.ts, src/lexical/family.ts); src/registry/lineup.ts
 * lists them, plus any module a config names under "modelFamilies" (its default export is one).
 * The feature pass, the OOF runner and the queue read only this shape.
 */
import type { Checks, RawConfig } from "./checks.js";

/** What a fold job's cost depends on. */
export interface ProblemSize {
  rows: number;
  testRows: number;
  /** valid tokens of train and test */
  tokens: number;
  testTokens: number;
  hidden: number;
  layers: number;
  classes: number;
}

/** The text columns of every train and test row. */
export interface TrainTexts {
  train: string[][];
  test: string[][];
}

/**
 * A model family. `O` is its options: a plain JSON object (a fold job carries them, with `modelDir`, to a worker thread or
 * through the queue to another machine). Its trainer module exports
 * `train(sources: FeatureSources, task: FoldTask<O>)` (src/heads/types.ts).
 */
export interface ModelFamily<O = unknown> {
  /** the model names it serves, as the config's `heads` lists them */
  readonly names: readonly string[];
  /** what the blend's "what each family adds" calls its models, e.g. "the frozen heads" */
  readonly label: string;
  /** its slice of the whole config (keys as users write them), validated: errors go through `k` */
  parseOptions(config: RawConfig, k: Checks): O;
  /** what a model's fold results depend on besides the data, the code and the seed (the job key hashes it) */
  cacheOptions(name: string, o: O): Record<string, unknown>;
  /** the module whose `train` runs a fold job of `name`: also the root of the code it depends on */
  trainer(name: string): URL;
  /** a-priori seconds of one fold job on one core (a starting point for the ETA) */
  priorSeconds(name: string, size: ProblemSize, o: O): number;
  /** the hidden layer whose states the feature pass must store for `name` (0-based), if any */
  lowerLayer?(name: string, o: O, numLayers: number): number | undefined;
  /**
   * An input built once per run from the texts and handed to each of the family's fold jobs as
   * `sources.shared` (in this process's worker threads: shared memory, not copied).
   */
  shared?(texts: TrainTexts, o: O): Promise<unknown>;
}
