/**
 * `npm run bench`: poolblend's feature pass against transformers.js feature-extraction on the same
 * IMDB reviews in one process, per-stage times, heads' training, blend, peak RSS, and scaling
 * with rows and with maxLength.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildImdbCompetition, imdbRows } from "../data/bundled.js";
import { PROJECT_ROOT } from "../config.js";
import { benchConfig } from "./config.js";
import { Backbone } from "../backbone/backbone.js";
import { featurePassSplit } from "../features/pass.js";
import { runFeatures } from "../features/run.js";
import { FeatureSplit } from "../store/features.js";
import { runOof } from "../oof/run.js";
import { parseFinetuneOptions } from "../finetune/options.js";
import { checks } from "../models/checks.js";
import { runBlend } from "../ensemble/run.js";
import { prepareBaselineModel, runTransformersJs } from "./transformersBaseline.js";
import { finetuneEpochBench, type FinetuneEpochBench } from "./finetuneBench.js";
import { runTfidfBench, tfidfBenchTable, type TfidfBenchResult } from "./tfidfBench.js";
import { info } from "../util/progress.js";
import { ensureSetup } from "../setup.js";
import { peakRssMB } from "../util/peakRss.js";

export interface BenchOptions {
  rows: number;
  maxLength: number;
  threads: number;
  scaleRows: number[];
  scaleLengths: number[];
  scaleLengthRows: number;
  /** IMDB reviews for the tfidf vs scikit-learn comparison */
  tfidfRows: number;
  workDir: string;
  out: string;
}

/** Multiply-adds ×2 per token of a BERT encoder: 24·H² per layer for the dense parts, 4·T·H for attention. */
export function flopsPerToken(H: number, L: number, avgLen: number): { dense: number; attention: number } {
  return { dense: 24 * H * H * L, attention: 4 * avgLen * H * L };
}

/** One fresh feature pass over `texts`; returns wall seconds and tokens. */
async function passTime(backbone: Backbone, texts: string[], dir: string): Promise<{ seconds: number; tokens: number }> {
  rmSync(dir, { recursive: true, force: true });
  const r = await featurePassSplit({ name: "train", ids: texts.map((_, i) => String(i)), texts: texts.map((t) => [t]) }, { backbone, featuresDir: dir, textColumns: ["text"], batchTokens: 2048 });
  rmSync(dir, { recursive: true, force: true });
  return { seconds: r.seconds, tokens: r.tokens };
}

/** What every command pays to find the model and data built (model cards and file presence): the median of 9 checks, in ms. */
export async function setupCheckMs(): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < 9; i++) {
    const t0 = performance.now();
    await ensureSetup(() => {});
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[4];
}

export async function runBench(o: BenchOptions): Promise<Record<string, unknown>> {
  mkdirSync(o.workDir, { recursive: true });
  const compDir = join(o.workDir, "imdb");
  rmSync(compDir, { recursive: true, force: true });
  buildImdbCompetition(join(compDir, "data"), o.rows, 200);
  const cfg = benchConfig(compDir, "bench", o.maxLength, o.threads);

  info(`bench: poolblend feature pass on ${o.rows} IMDB reviews (maxLength ${o.maxLength}, ${o.threads} threads)`);
  const feats = await runFeatures(cfg);
  const train = feats.splits[0];
  const pbSeconds = train.seconds;
  const tokens = train.tokens;

  info("bench: transformers.js feature-extraction (mean pooling) on the same texts");
  const texts = imdbRows().slice(0, o.rows).map((r) => r.text);
  const tjsRoot = join(o.workDir, "tjs");
  prepareBaselineModel(tjsRoot, o.maxLength);
  const tjs = await runTransformersJs(tjsRoot, texts, o.threads);
  const split = FeatureSplit.open(join(cfg.out, "features", "train"));
  const mean = split.load("mean").data as Float32Array;
  const H0 = split.manifest.hiddenSize;
  const { maxDiff, compared } = meanDifference(split, mean, tjs.embeddings, H0, o.maxLength);

  const int8 = await int8Variant(o, texts, mean, split.rows, H0);

  info("bench: heads (5 folds each) and blend");
  const oof = await runOof(cfg);
  const t0 = performance.now();
  const bl = await runBlend(cfg);
  const blendSeconds = (performance.now() - t0) / 1000;

  info(`bench: one epoch of mean-ft (top ${parseFinetuneOptions(cfg.raw, checks(cfg.configFile)).topLayers} layers) over the cache vs recomputing the bottom layers`);
  const ftCfg = { ...cfg, heads: [...cfg.heads, "mean-ft" as const] };
  const ftFeatures = await runFeatures(ftCfg);
  const finetune = { ...(await finetuneEpochBench(ftCfg)), featurePassTrainSeconds: ftFeatures.splits[0].seconds };

  info(`bench: tfidf vs scikit-learn on ${o.tfidfRows} IMDB reviews (same options, folds and grid)`);
  const tfidf = await runTfidfBench({ rows: o.tfidfRows, workDir: join(o.workDir, "tfidf") });

  const { byRows, byLength } = await scaling(o, cfg.backbone.model);

  const H = feats.backbone.hiddenSize, L = feats.backbone.numLayers;
  const f = flopsPerToken(H, L, tokens / o.rows);
  const fwd = train.times.forward / 1000;
  const heads = Object.fromEntries(Object.entries(oof.heads).map(([h, s]) => [h, s.seconds]));
  const headsTotal = Object.values(heads).reduce((a, b) => a + b, 0);
  const results = {
    machine: { cores: (await import("node:os")).availableParallelism(), node: process.version },
    setup: { rows: o.rows, maxLength: o.maxLength, threads: o.threads, tokens },
    poolblend: { seconds: pbSeconds, tokensPerSecond: tokens / pbSeconds, stages: { tokenize: train.times.tokenize / 1000, forward: fwd, pooling: train.times.pooling / 1000, write: train.times.write / 1000 } },
    transformersJs: { seconds: tjs.seconds, tokensPerSecond: tokens / tjs.seconds, batchSize: 32, meanMaxAbsDiffToPoolblend: maxDiff, comparedRows: compared },
    ratio: tjs.seconds / pbSeconds,
    int8: int8 && { ...int8, ratioToTransformersJs: tjs.seconds / int8.seconds },
    flops: { perTokenDense: f.dense, perTokenAttentionAtMeanLength: f.attention, achievedGflops: ((f.dense + f.attention) * tokens) / fwd / 1e9 },
    heads: { secondsPerHead: heads, total: headsTotal, wall: oof.trainSeconds, backboneSeconds: pbSeconds, cpuRatioToBackbone: headsTotal / pbSeconds },
    finetune,
    tfidf,
    blend: { seconds: blendSeconds, perMethod: Object.fromEntries(Object.entries(bl.results).map(([m, r]) => [m, r.seconds])) },
    scaling: { byRows, byLength, lengthRows: o.scaleLengthRows },
    setupCheckMs: await setupCheckMs(),
    peakRssMB: peakRssMB(),
  };
  mkdirSync(join(o.out, ".."), { recursive: true });
  writeFileSync(o.out, JSON.stringify(results, null, 2) + "\n");
  return results;
}

/** The optional lossy variant (models/minilm-l6-int8), same texts, fresh pass: its speed and mean cosine to the fp32 mean-pooled vectors; null when not prepared. */
async function int8Variant(o: BenchOptions, texts: string[], mean: Float32Array, rows: number, H0: number): Promise<{ seconds: number; tokensPerSecond: number; meanCosineToFp32: number } | null> {
  const int8Dir = join(PROJECT_ROOT, "models/minilm-l6-int8");
  if (!existsSync(join(int8Dir, "model.onnx"))) return null;
  info("bench: poolblend feature pass with the int8 variant");
  const b8 = await Backbone.load(int8Dir, o.maxLength, o.threads);
  const dir8 = join(o.workDir, "int8");
  rmSync(dir8, { recursive: true, force: true });
  const r8 = await featurePassSplit({ name: "train", ids: texts.map((_, i) => String(i)), texts: texts.map((t) => [t]) }, { backbone: b8, featuresDir: dir8, textColumns: ["text"], batchTokens: 2048 });
  const m8 = FeatureSplit.open(join(dir8, "train")).load("mean").data as Float32Array;
  let cos = 0;
  for (let r = 0; r < rows; r++) {
    let ab = 0, aa = 0, bb = 0;
    for (let j = 0; j < H0; j++) {
      const a = mean[r * H0 + j], b = m8[r * H0 + j];
      ab += a * b;
      aa += a * a;
      bb += b * b;
    }
    cos += ab / Math.sqrt(aa * bb) / rows;
  }
  await b8.release();
  rmSync(dir8, { recursive: true, force: true });
  return { seconds: r8.seconds, tokensPerSecond: r8.tokens / r8.seconds, meanCosineToFp32: cos };
}

/**
 * Largest absolute difference of the mean-pooled vectors to transformers.js's. transformers.js 4.3
 * cuts truncated texts without keeping the final [SEP], so only texts that fit in maxLength are
 * comparable token for token.
 */
function meanDifference(split: FeatureSplit, mean: Float32Array, theirs: Float32Array, H0: number, maxLength: number): { maxDiff: number; compared: number } {
  const off = split.offsets();
  let maxDiff = 0, compared = 0;
  for (let r = 0; r < split.rows; r++) {
    if (off[r + 1] - off[r] >= maxLength) continue;
    compared++;
    for (let j = 0; j < H0; j++) maxDiff = Math.max(maxDiff, Math.abs(mean[r * H0 + j] - theirs[r * H0 + j]));
  }
  return { maxDiff, compared };
}

/** Feature-pass time as rows grow (at the bench's maxLength) and as maxLength grows (on scaleLengthRows rows). */
async function scaling(o: BenchOptions, model: string): Promise<{ byRows: { rows: number; seconds: number; tokens: number }[]; byLength: { maxLength: number; seconds: number; tokens: number }[] }> {
  const backbone = await Backbone.load(model, o.maxLength, o.threads);
  const all = imdbRows();
  const byRows: { rows: number; seconds: number; tokens: number }[] = [];
  for (const n of o.scaleRows) {
    info(`bench: scaling, ${n} rows`);
    byRows.push({ rows: n, ...(await passTime(backbone, all.slice(0, n).map((r) => r.text), join(o.workDir, "scale"))) });
  }
  await backbone.release();
  const byLength: { maxLength: number; seconds: number; tokens: number }[] = [];
  for (const L of o.scaleLengths) {
    info(`bench: scaling, maxLength ${L}`);
    const b = await Backbone.load(model, L, o.threads);
    byLength.push({ maxLength: L, ...(await passTime(b, all.slice(0, o.scaleLengthRows).map((r) => r.text), join(o.workDir, "scale"))) });
    await b.release();
  }
  return { byRows, byLength };
}

/** The printed table. */
export function benchTable(r: Record<string, unknown>): string {
  const x = r as {
    setup: { rows: number; maxLength: number; threads: number; tokens: number };
    poolblend: { seconds: number; tokensPerSecond: number; stages: Record<string, number> };
    transformersJs: { seconds: number; tokensPerSecond: number; meanMaxAbsDiffToPoolblend: number; comparedRows: number };
    ratio: number;
    int8: { seconds: number; tokensPerSecond: number; meanCosineToFp32: number; ratioToTransformersJs: number } | null;
    flops: { perTokenDense: number; perTokenAttentionAtMeanLength: number; achievedGflops: number };
    heads: { secondsPerHead: Record<string, number>; total: number; wall: number; backboneSeconds: number; cpuRatioToBackbone: number };
    finetune: FinetuneEpochBench & { featurePassTrainSeconds: number };
    tfidf: TfidfBenchResult;
    blend: { seconds: number };
    scaling: { byRows: { rows: number; seconds: number; tokens: number }[]; byLength: { maxLength: number; seconds: number; tokens: number }[]; lengthRows: number };
    setupCheckMs: number;
    peakRssMB: number;
  };
  const L: string[] = [];
  L.push(`${x.setup.rows} IMDB reviews, maxLength ${x.setup.maxLength}, ${x.setup.threads} threads, ${x.setup.tokens} valid tokens`);
  L.push("");
  L.push("| pass | seconds | tokens/s |");
  L.push("| --- | ---: | ---: |");
  L.push(`| poolblend feature pass (all five heads' features, written to disk) | ${x.poolblend.seconds.toFixed(1)} | ${x.poolblend.tokensPerSecond.toFixed(0)} |`);
  L.push(`| transformers.js feature-extraction, mean pooling | ${x.transformersJs.seconds.toFixed(1)} | ${x.transformersJs.tokensPerSecond.toFixed(0)} |`);
  L.push(`| **ratio** | | **${x.ratio.toFixed(2)}×** |`);
  if (x.int8) L.push(`| poolblend, optional int8 variant (lossy: mean cosine to fp32 ${x.int8.meanCosineToFp32.toFixed(4)}) | ${x.int8.seconds.toFixed(1)} | ${x.int8.tokensPerSecond.toFixed(0)} (${x.int8.ratioToTransformersJs.toFixed(2)}×) |`);
  L.push("");
  L.push(`stages: ${Object.entries(x.poolblend.stages).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(", ")}; mean pooling vs transformers.js on the ${x.transformersJs.comparedRows} untruncated texts: max |diff| ${x.transformersJs.meanMaxAbsDiffToPoolblend.toExponential(1)} (truncated texts differ: transformers.js 4.3 drops the final [SEP] when it truncates)`);
  L.push(`FLOPs/token: ${(x.flops.perTokenDense / 1e6).toFixed(1)} M dense + ${(x.flops.perTokenAttentionAtMeanLength / 1e6).toFixed(1)} M attention at the mean length; achieved ${x.flops.achievedGflops.toFixed(1)} GFLOP/s`);
  L.push(`heads (5 folds each, CPU seconds): ${Object.entries(x.heads.secondsPerHead).map(([h, s]) => `${h} ${s.toFixed(1)}`).join(", ")}; total ${x.heads.total.toFixed(1)} s, wall ${x.heads.wall.toFixed(1)} s vs backbone ${x.heads.backboneSeconds.toFixed(1)} s`);
  L.push(`heads' CPU time / backbone feature pass: ${x.heads.cpuRatioToBackbone.toFixed(2)}×`);
  const ft = x.finetune;
  L.push(`one epoch of mean-ft (top ${ft.topLayers} layers, ${ft.fitRows} rows): ${ft.cachedEpochSeconds.toFixed(1)} s over the cache vs ${ft.recomputedEpochSeconds.toFixed(1)} s recomputing the bottom layers every batch (${ft.speedup.toFixed(2)}× faster); the backbone's full forward pass over all train rows: ${ft.featurePassTrainSeconds.toFixed(1)} s`);
  L.push("", tfidfBenchTable(x.tfidf), "");
  L.push(`blend (all methods with nested CV): ${x.blend.seconds.toFixed(1)} s; peak RSS ${x.peakRssMB.toFixed(0)} MB`);
  L.push(`each command's check that the model and data are built: ${x.setupCheckMs.toFixed(1)} ms`);
  L.push(`time vs rows: ${x.scaling.byRows.map((s) => `${s.rows} → ${s.seconds.toFixed(1)} s`).join(", ")}`);
  L.push(`time vs maxLength (${x.scaling.lengthRows} rows): ${x.scaling.byLength.map((s) => `${s.maxLength} → ${s.seconds.toFixed(1)} s (${s.tokens} tokens)`).join(", ")}`);
  return L.join("\n");
}
