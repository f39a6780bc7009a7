/** `npm run features`: the backbone pass over train and test of a competition. */
import { join } from "node:path";
import type { Config } from "../config.js";
import { ModelLineup } from "../registry/lineup.js";
import { loadTextSplit } from "../data/competition.js";
import { Backbone } from "../backbone/backbone.js";
import { existsSync } from "node:fs";
import { cachedSplit, featurePassSplit, type SplitInput, type SplitResult, type FeaturePassOptions } from "./pass.js";
import { FEATURE_FORMAT, readManifest, type CacheKey, type Manifest } from "../store/features.js";
import { sha256File } from "../util/hash.js";
import { info } from "../util/progress.js";

export interface FeaturesResult {
  splits: SplitResult[];
  backbone: Backbone["info"];
}

/** Feature folder of a run. */
export function featuresDir(cfg: Config): string {
  return runFeaturesDir(cfg.out);
}

/** Feature folder of the run folder `runDir`. */
export function runFeaturesDir(runDir: string): string {
  return join(runDir, "features");
}

/** Loads both splits (validating them first), then runs the pass on each — unless both exports are already up to date. */
export async function runFeatures(cfg: Config, extra: Partial<FeaturePassOptions> = {}): Promise<FeaturesResult> {
  const train = loadTextSplit(cfg.data, "train");
  const test = loadTextSplit(cfg.data, "test");
  const splits = [{ name: "train", ...train }, { name: "test", ...test }];
  const lineup = await ModelLineup.load(cfg);
  // the hidden layers the listed models' families need stored (the fine-tuned heads: L − finetune.topLayers)
  const cachedLayers = (numLayers: number): number[] => lineup.lowerLayers(cfg.heads, numLayers);
  const cached = cachedRun(cfg, splits, cachedLayers);
  if (cached) return cached;
  const backbone = await Backbone.load(cfg.backbone.model, cfg.backbone.maxLength, cfg.backbone.threads);
  try {
    const hiddenLayers = cachedLayers(backbone.info.numLayers);
    const results: SplitResult[] = [];
    for (const s of splits) {
      const r = await featurePassSplit(s, { backbone, featuresDir: featuresDir(cfg), textColumns: cfg.data.text, batchTokens: cfg.backbone.batchTokens, chunkRows: cfg.backbone.chunkRows, hiddenLayers, ...extra });
      results.push(r);
      info(describe(r, backbone.provider));
    }
    return { splits: results, backbone: backbone.info };
  } finally {
    await backbone.release();
  }
}

/** Both splits' results when their exports are up to date (the model's and tokenizer's files hashed, the model not loaded). */
function cachedRun(cfg: Config, splits: SplitInput[], cachedLayers: (numLayers: number) => number[]): FeaturesResult | undefined {
  const t0 = performance.now();
  const model = join(cfg.backbone.model, "model.onnx"), tokenizer = join(cfg.backbone.model, "tokenizer.json");
  if (!existsSync(model) || !existsSync(tokenizer)) return undefined;
  const key: CacheKey = { format: FEATURE_FORMAT, onnxSha256: sha256File(model), tokenizerSha256: sha256File(tokenizer), maxLength: cfg.backbone.maxLength };
  const found: Manifest[] = [];
  for (const s of splits) {
    const prev = readManifest(join(featuresDir(cfg), s.name));
    const m = prev && cachedSplit(s, featuresDir(cfg), key, cachedLayers(prev.numLayers));
    if (!m) return undefined;
    found.push(m);
  }
  const seconds = (performance.now() - t0) / 1000;
  const results = found.map((m, i): SplitResult => ({
    split: splits[i].name, rows: m.rows, forwardRows: 0, reusedRows: m.rows, resumedRows: 0, tokens: m.tokens, forwardTokens: 0, unchanged: true, seconds, times: { tokenize: 0, forward: 0, pooling: 0, write: 0 },
  }));
  for (const r of results) info(describe(r, "cpu"));
  const m = found[0];
  return { splits: results, backbone: { modelDir: cfg.backbone.model, onnxSha256: key.onnxSha256, tokenizerSha256: key.tokenizerSha256, hiddenSize: m.hiddenSize, numLayers: m.numLayers, maxLength: m.maxLength } };
}

export function describe(r: SplitResult, provider: string): string {
  if (r.unchanged) return `features ${r.split}: ${r.rows} rows unchanged, cached (0 forward passes, ${r.seconds.toFixed(2)} s)`;
  const tps = r.times.forward > 0 ? (r.forwardTokens / (r.times.forward / 1000)).toFixed(0) : "-";
  const queued = r.queuedRows ? `, ${r.queuedRows} computed by the queue's workers` : "";
  return `features ${r.split}: ${r.rows} rows, ${r.forwardRows} computed${queued}, ${r.reusedRows} reused, ${r.resumedRows} resumed; ${r.tokens} tokens; ${r.seconds.toFixed(1)} s (${tps} tok/s forward on ${provider})`;
}
