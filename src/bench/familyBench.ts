/**
 * A benchmark row per encoder family, on a 12-layer base-size checkpoint of each
 * (syntheticCheckpoint.ts): poolblend's feature pass (fused graph, and the plain-op graph for
 * what the fused ops buy) against transformers.js feature-extraction on the same checkpoint and
 * texts, in the same run; and one epoch of mean-ft over the cache against the same epoch
 * recomputing the bottom layers.
 */
import { mkdirSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { buildImdbCompetition, imdbRows, sentimentRows } from "../data/bundled.js";
import { importModel } from "../backbone/importModel.js";
import { buildEncoderGraph } from "../backbone/encoderGraph.js";
import { readSafetensors } from "../io/safetensors.js";
import { readModelConfig } from "../families/registry.js";
import { Backbone } from "../backbone/backbone.js";
import { featurePassSplit } from "../features/pass.js";
import { runFeatures } from "../features/run.js";
import { prepareBaselineModel, runTransformersJs } from "./transformersBaseline.js";
import { finetuneEpochBench, type FinetuneEpochBench } from "./finetuneBench.js";
import { writeSyntheticCheckpoint, type SyntheticFamily } from "./syntheticCheckpoint.js";
import { benchConfig } from "./config.js";
import { info } from "../util/progress.js";

export interface FamilyBenchOptions {
  families: SyntheticFamily[];
  rows: number;
  maxLength: number;
  threads: number;
  workDir: string;
}

export interface FamilyBenchRow {
  family: SyntheticFamily;
  layers: number;
  hidden: number;
  tokens: number;
  poolblend: { seconds: number; tokensPerSecond: number };
  poolblendPlainOps: { seconds: number; tokensPerSecond: number };
  transformersJs: { seconds: number; tokensPerSecond: number; meanMaxAbsDiffToPoolblend: number; comparedRows: number };
  ratio: number;
  finetune: FinetuneEpochBench;
}

/** A model folder whose graph has the plain-op pattern instead of the fused ops (same weights). */
function plainVariant(checkpoint: string, prepared: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const { family, cfg } = readModelConfig(join(checkpoint, "config.json"));
  writeFileSync(join(dir, "model.onnx"), buildEncoderGraph(family, readSafetensors(join(checkpoint, "model.safetensors")), cfg, { outputs: "pooled", fused: false }));
  for (const f of ["tokenizer.json", "config.json"]) copyFileSync(join(prepared, f), join(dir, f));
  return dir;
}

async function passOnly(modelDir: string, texts: string[], maxLength: number, threads: number, dir: string): Promise<{ seconds: number; tokens: number }> {
  const b = await Backbone.load(modelDir, maxLength, threads);
  try {
    rmSync(dir, { recursive: true, force: true });
    const r = await featurePassSplit({ name: "train", ids: texts.map((_, i) => String(i)), texts: texts.map((t) => [t]) }, { backbone: b, featuresDir: dir, textColumns: ["text"], batchTokens: 2048 });
    rmSync(dir, { recursive: true, force: true });
    return { seconds: r.seconds, tokens: r.tokens };
  } finally {
    await b.release();
  }
}

/**
 * Mean pooling of poolblend and transformers.js on short sentences that fit in maxLength
 * (transformers.js 4.3 drops the final special token when it truncates, so truncated rows differ).
 */
async function shortTextAgreement(prepared: string, tjsRoot: string, family: SyntheticFamily, o: FamilyBenchOptions): Promise<{ maxDiff: number; rows: number }> {
  const texts = sentimentRows().slice(0, 64).map((r) => r.text);
  const b = await Backbone.load(prepared, o.maxLength, o.threads);
  const rows = texts.map((t) => b.tokenizer.encode([t]));
  const ours = await b.forward(rows);
  await b.release();
  const tjs = await runTransformersJs(tjsRoot, texts, o.threads, 32, family);
  const H = ours[0].mean.length;
  let maxDiff = 0, n = 0;
  ours.forEach((r, i) => {
    if (rows[i].ids.length >= o.maxLength) return;
    n++;
    for (let j = 0; j < H; j++) maxDiff = Math.max(maxDiff, Math.abs(r.mean[j] - tjs.embeddings[i * H + j]));
  });
  return { maxDiff, rows: n };
}

/** One family's row. */
async function familyRow(family: SyntheticFamily, o: FamilyBenchOptions): Promise<FamilyBenchRow> {
  const root = join(o.workDir, family);
  rmSync(root, { recursive: true, force: true });
  info(`bench: ${family}, a 12-layer base-size checkpoint with random weights`);
  const ckpt = writeSyntheticCheckpoint(join(root, "checkpoint"), family);
  const prepared = join(root, "model");
  const card = importModel(ckpt, prepared);
  buildImdbCompetition(join(root, "data"), o.rows, 50);
  const cfg = { ...benchConfig(root, family, o.maxLength, o.threads, prepared), heads: ["mean" as const, "mean-ft" as const] };
  const texts = imdbRows().slice(0, o.rows).map((r) => r.text);

  info(`bench: ${family} feature pass (fused ops)`);
  const feats = await runFeatures(cfg);
  const train = feats.splits[0];
  info(`bench: ${family} feature pass (plain ops)`);
  const plain = await passOnly(plainVariant(ckpt, prepared, join(root, "plain")), texts, o.maxLength, o.threads, join(root, "plain-features"));
  info(`bench: ${family} transformers.js feature-extraction on the same checkpoint`);
  const tjsRoot = join(root, "tjs");
  prepareBaselineModel(tjsRoot, o.maxLength, { name: family, config: join(ckpt, "config.json"), weights: join(ckpt, "model.safetensors"), tokenizer: join(ckpt, "tokenizer.json") });
  const tjs = await runTransformersJs(tjsRoot, texts, o.threads, 32, family);
  const H = card.hiddenSize;
  const agreement = await shortTextAgreement(prepared, tjsRoot, family, o);
  info(`bench: ${family} one epoch of mean-ft over the cache vs recomputing the bottom layers`);
  const finetune = await finetuneEpochBench(cfg);
  return {
    family, layers: card.numLayers, hidden: H, tokens: train.tokens,
    poolblend: { seconds: train.seconds, tokensPerSecond: train.tokens / train.seconds },
    poolblendPlainOps: { seconds: plain.seconds, tokensPerSecond: plain.tokens / plain.seconds },
    transformersJs: { seconds: tjs.seconds, tokensPerSecond: train.tokens / tjs.seconds, meanMaxAbsDiffToPoolblend: agreement.maxDiff, comparedRows: agreement.rows },
    ratio: tjs.seconds / train.seconds,
    finetune,
  };
}

export async function runFamilyBench(o: FamilyBenchOptions): Promise<FamilyBenchRow[]> {
  const rows: FamilyBenchRow[] = [];
  for (const f of o.families) rows.push(await familyRow(f, o));
  return rows;
}

export function familyBenchTable(rows: readonly FamilyBenchRow[], o: Pick<FamilyBenchOptions, "rows" | "maxLength" | "threads">): string {
  const L: string[] = [];
  L.push(`families: 12-layer base-size checkpoints (random weights), ${o.rows} IMDB reviews, maxLength ${o.maxLength}, ${o.threads} threads`);
  L.push("");
  L.push("| family | tokens | poolblend tok/s (fused) | plain ops tok/s | transformers.js tok/s | ratio | mean vs transformers.js | mean-ft epoch: cache / recompute |");
  L.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows)
    L.push(
      `| ${r.family} | ${r.tokens} | ${r.poolblend.tokensPerSecond.toFixed(0)} | ${r.poolblendPlainOps.tokensPerSecond.toFixed(0)} | ${r.transformersJs.tokensPerSecond.toFixed(0)} | ${r.ratio.toFixed(2)}× | ${r.transformersJs.meanMaxAbsDiffToPoolblend.toExponential(1)} (${r.transformersJs.comparedRows} rows) | ` +
        `${r.finetune.cachedEpochSeconds.toFixed(1)} s / ${r.finetune.recomputedEpochSeconds.toFixed(1)} s (${r.finetune.speedup.toFixed(2)}×) |`,
    );
  return L.join("\n");
}
