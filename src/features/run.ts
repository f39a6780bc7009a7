/** `npm run features`: the backbone pass over train and test of a competition. */
import { join } from "node:path";
import { finetunedHead, type Config } from "../config.js";
import { loadTextSplit } from "../data/competition.js";
import { Backbone } from "../backbone/backbone.js";
import { featurePassSplit, type SplitResult, type FeaturePassOptions } from "./pass.js";
import { info } from "../util/progress.js";
import { UserError } from "../util/errors.js";

export interface FeaturesResult {
  splits: SplitResult[];
  backbone: Backbone["info"];
}

/** Feature folder of a run. */
export function featuresDir(cfg: Config): string {
  return join(cfg.out, "features");
}

/** Loads both splits (validating them first), then runs the pass on each. */
export async function runFeatures(cfg: Config, extra: Partial<FeaturePassOptions> = {}): Promise<FeaturesResult> {
  const train = loadTextSplit(cfg.data, "train");
  const test = loadTextSplit(cfg.data, "test");
  const backbone = await Backbone.load(cfg.backbone.model, cfg.backbone.maxLength, cfg.backbone.threads);
  try {
    const hiddenLayers = cachedLayers(cfg, backbone.info.numLayers);
    const splits: SplitResult[] = [];
    for (const s of [{ name: "train", ...train }, { name: "test", ...test }]) {
      const r = await featurePassSplit(s, { backbone, featuresDir: featuresDir(cfg), textColumns: cfg.data.text, batchTokens: cfg.backbone.batchTokens, chunkRows: cfg.backbone.chunkRows, hiddenLayers, ...extra });
      splits.push(r);
      info(describe(r, backbone.provider));
    }
    return { splits, backbone: backbone.info };
  } finally {
    await backbone.release();
  }
}

/** The lower layer whose states the fine-tuned heads start from (L − finetune.topLayers), if any such head is listed. */
export function cachedLayers(cfg: Config, numLayers: number): number[] {
  if (!cfg.heads.some((h) => finetunedHead(h))) return [];
  if (cfg.finetune.topLayers > numLayers) throw new UserError(`"finetune.topLayers" ${cfg.finetune.topLayers} exceeds the model's ${numLayers} layers`);
  return [numLayers - cfg.finetune.topLayers];
}

export function describe(r: SplitResult, provider: string): string {
  if (r.unchanged) return `features ${r.split}: ${r.rows} rows unchanged, cached (0 forward passes, ${r.seconds.toFixed(2)} s)`;
  const tps = r.times.forward > 0 ? (r.forwardTokens / (r.times.forward / 1000)).toFixed(0) : "-";
  return `features ${r.split}: ${r.rows} rows, ${r.forwardRows} computed, ${r.reusedRows} reused, ${r.resumedRows} resumed; ${r.tokens} tokens; ${r.seconds.toFixed(1)} s (${tps} tok/s forward on ${provider})`;
}
