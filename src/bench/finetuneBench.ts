/**
 * What the cache buys the fine-tuned heads: one training epoch of `mean-ft` over the cached states
 * of layer L − k, against the same epoch with the bottom L − k layers recomputed for every batch
 * (what a notebook that freezes the bottom layers does), measured in the same run; both next to
 * the full forward pass of the backbone over the same rows.
 */
import { join } from "node:path";
import type { Config } from "../config.js";
import { prepare } from "../oof/run.js";
import { featuresDir } from "../features/run.js";
import { FeatureSplit } from "../store/features.js";
import { train, type HiddenStates } from "../finetune/train.js";
import { cachedLayer, parseFinetuneModelOptions } from "../finetune/options.js";
import { checks } from "../models/checks.js";
import { openTokenizer, type EncoderTokenizer, type Encoded } from "../backbone/tokenizer.js";
import { buildEncoderGraph } from "../backbone/encoderGraph.js";
import { readModelConfig } from "../families/registry.js";
import { readSafetensors } from "../io/safetensors.js";
import { WEIGHTS_FILE } from "../backbone/prepareModel.js";
import { GraphBuilder, DT } from "../onnx/graphBuilder.js";
import { OrtSession, int64, f16bits } from "../backends/ort.js";
import { rowsWhere } from "../util/rows.js";

/** The backbone's bottom `layers` layers with a float16 output of the last: the frozen part a notebook recomputes. */
function bottomGraph(modelDir: string, layers: number): Uint8Array {
  const { family, cfg } = readModelConfig(join(modelDir, "config.json"));
  const bytes = buildEncoderGraph(family, readSafetensors(join(modelDir, WEIGHTS_FILE)), { ...cfg, numLayers: layers }, { outputs: "lastHidden", fused: true });
  const { g } = GraphBuilder.extend(bytes);
  g.op("Cast", ["last_hidden_state"], { to: DT.FLOAT16 }, "states");
  g.output({ name: "states", type: DT.FLOAT16, dims: ["batch", "seq", cfg.hiddenSize] });
  return g.toBytes("bottom_layers");
}

/** States of layer L − k computed by the bottom layers for each batch, from texts tokenised once. */
class RecomputedStates implements HiddenStates {
  constructor(private readonly rows: Encoded[], private readonly tok: EncoderTokenizer, private readonly session: OrtSession) {}

  length(row: number): number {
    return this.rows[row].ids.length;
  }

  async batch(rows: ArrayLike<number>): Promise<{ tokens: Uint16Array; mask: Float32Array; T: number }> {
    const b = this.tok.padBatch(Array.from(rows, (r) => this.rows[r]));
    const dims = [b.size, b.seqLen];
    const feeds = { input_ids: int64(b.inputIds, dims), attention_mask: int64(b.attentionMask, dims), token_type_ids: int64(b.tokenTypeIds, dims) };
    const out = await this.session.run(Object.fromEntries(Object.entries(feeds).filter(([k]) => this.session.inputNames.includes(k))));
    return { tokens: f16bits(out.states), mask: Float32Array.from(b.attentionMask, (x) => Number(x)), T: b.seqLen };
  }

  close(): void {}
}

export interface FinetuneEpochBench {
  topLayers: number;
  fitRows: number;
  cachedEpochSeconds: number;
  recomputedEpochSeconds: number;
  speedup: number;
}

/** One fold job of mean-ft with one epoch, twice: over the cache, and recomputing the bottom layers. */
export async function finetuneEpochBench(cfg: Config): Promise<FinetuneEpochBench> {
  const p = prepare(cfg);
  const sources = { train: FeatureSplit.open(join(featuresDir(cfg), "train")), test: FeatureSplit.open(join(featuresDir(cfg), "test")) };
  const f = 0;
  const o = parseFinetuneModelOptions(cfg.raw, checks(cfg.configFile));
  const t = {
    head: "mean-ft" as const, fold: f, task: p.targets.task, c: p.targets.c, y: p.targets.y, strata: p.targets.strata,
    trainIdx: rowsWhere(p.folds, (x) => x !== f), validIdx: rowsWhere(p.folds, (x) => x === f), seed: cfg.headOptions.seed * 1000 + f,
    options: { ...o, finetune: { ...o.finetune, epochs: 1 }, modelDir: cfg.backbone.model },
  };
  const cached = await train(sources, t);
  const tok = openTokenizer(cfg.backbone.model, cfg.backbone.maxLength);
  const layers = cachedLayer(sources.train.manifest.numLayers, o.finetune.topLayers);
  // one thread, like every fine-tuning job
  const session = await OrtSession.load(bottomGraph(cfg.backbone.model, layers), { threads: 1 });
  try {
    const texts = { train: p.train.texts, test: p.test.texts };
    const recomputed = await train(sources, t, undefined, (split) => new RecomputedStates((split === sources.train ? texts.train : texts.test).map((x) => tok.encode(x)), tok, session));
    const a = (cached.info.epochSeconds as number[])[0], b = (recomputed.info.epochSeconds as number[])[0];
    return { topLayers: o.finetune.topLayers, fitRows: Math.round(t.trainIdx.length * 0.9), cachedEpochSeconds: a, recomputedEpochSeconds: b, speedup: b / a };
  } finally {
    await session.release();
  }
}
