/**
 * Real inputs for the fine-tuning trainer: a feature export of the bundled UCI sentiment
 * sentences made by the real feature pass with the real default model, holding the states of
 * layers 4 and 5 (what `finetune.topLayers` 2 and 1 start from), and a fold task over it.
 */
import { join } from "node:path";
import { makeSentimentCompetition } from "./competition.js";
import { loadBackbone, ensureModel } from "./model.js";
import { loadTextSplit } from "../../src/data/competition.js";
import { featurePassSplit } from "../../src/features/pass.js";
import { FeatureSplit } from "../../src/store/features.js";
import { readCsv } from "../../src/io/csv.js";
import type { ModelName } from "../../src/config.js";
import { FINETUNE_DEFAULTS, type FinetuneModelOptions, type FinetuneOptions } from "../../src/finetune/options.js";
import type { FeatureSources, FoldTask } from "../../src/heads/types.js";

export interface FinetuneData {
  sources: FeatureSources;
  /** train labels (0/1) */
  labels: number[];
  root: string;
}

/** `nTrain` + `nTest` sentences through the real backbone (maxLength 64), caching layers 4 and 5. */
export async function sentimentFeatures(nTrain: number, nTest: number): Promise<FinetuneData> {
  const comp = makeSentimentCompetition(nTrain, nTest);
  const spec = { dir: comp.dataDir, id: "id", text: ["text"] };
  const backbone = await loadBackbone(64);
  const featuresDir = join(comp.root, "features");
  try {
    for (const name of ["train", "test"] as const) {
      const s = loadTextSplit(spec, name);
      await featurePassSplit({ name, ids: s.ids, texts: s.texts }, { backbone, featuresDir, textColumns: ["text"], batchTokens: 2048, hiddenLayers: [4, 5] });
    }
  } finally {
    await backbone.release();
  }
  const labels = readCsv(join(comp.dataDir, "train.csv")).rows.map((r) => Number(r[2]));
  return { sources: { train: FeatureSplit.open(join(featuresDir, "train")), test: FeatureSplit.open(join(featuresDir, "test")) }, labels, root: comp.root };
}

/** A binary fold task: `trainIdx` trains (10% of it early-stops), `validIdx` is held out. */
export function foldTask(head: ModelName, labels: number[], trainIdx: Int32Array, validIdx: Int32Array, finetune: Partial<FinetuneOptions>, seed = 7): FoldTask<FinetuneModelOptions> {
  return {
    head, fold: 0, task: "binary", c: 1, y: Float64Array.from(labels), strata: Int32Array.from(labels), trainIdx, validIdx, seed,
    options: { weightedLayer: { layerStart: 4, source: "cls" }, finetune: { ...FINETUNE_DEFAULTS, ...finetune }, modelDir: ensureModel() },
  };
}
