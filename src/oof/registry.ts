/**
 * Model name → trainer, its cache identity (options and code) and its a-priori cost. Trainers
 * are loaded lazily so a worker only imports what it runs.
 */
import { finetunedHead, type Config, type ModelName } from "../config.js";
import type { HeadTrainer } from "../heads/types.js";
import type { FeatureSplit } from "../features/store.js";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256 } from "../util/hash.js";

export async function trainerFor(model: ModelName): Promise<HeadTrainer> {
  if (finetunedHead(model)) return (await import("../finetune/train.js")).train;
  if (model === "tfidf") {
    const { train } = await import("../lexical/model.js");
    return (sources, t) => {
      if (!sources.lexical) throw new Error("tfidf: no n-gram counts were handed to the job");
      return train(sources.lexical, t, t.options.tfidf);
    };
  }
  switch (model) {
    case "mean":
      return (await import("../heads/mean.js")).train;
    case "max":
      return (await import("../heads/max.js")).train;
    case "min":
      return (await import("../heads/min.js")).train;
    case "weightedLayer":
      return (await import("../heads/weightedLayer.js")).train;
    case "attention":
      return (await import("../heads/attention.js")).train;
  }
  throw new Error(`no trainer for ${model}`);
}

const SRC = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The module whose `train` a model runs: models that share one run the same trainer and cost alike per unit of prior. */
export function entry(model: ModelName): string {
  if (model === "tfidf") return "lexical/model.ts";
  return finetunedHead(model) ? "finetune/train.ts" : `heads/${model}.ts`;
}

/** Every source file `file` (relative to src/) imports, directly or not: the code its results depend on. */
function localImports(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(join(SRC, file), "utf8");
  // type-only imports change no behaviour
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(?!type\s)[^;]*?from\s+"(\.{1,2}\/[^"]+)\.js"/g)) localImports(join(dirname(file), `${m[1]}.ts`), seen);
  for (const m of text.matchAll(/import\("(\.{1,2}\/[^"]+)\.js"\)/g)) localImports(join(dirname(file), `${m[1]}.ts`), seen);
  return seen;
}

/** The source files (relative to src/) a model's results depend on. */
export function codeFiles(model: ModelName): string[] {
  return [...localImports(entry(model))].sort();
}

/**
 * Fingerprint of the code that trains `model`: every source file its trainer imports, directly or
 * not. Cached fold results are recomputed whenever that code changes — no version to remember to
 * bump — and only then (a change to the attention head leaves the fine-tuned heads' results cached).
 */
export function codeFingerprint(model: ModelName): string {
  const files = codeFiles(model);
  return sha256(files.map((f) => `${f}\0${readFileSync(join(SRC, f), "utf8")}`).join("\0")).slice(0, 16);
}

/** The options a model's results depend on (so changing `finetune` never recomputes a frozen head). */
export function modelOptions(cfg: Config, model: ModelName): Record<string, unknown> {
  const head = finetunedHead(model) ?? model;
  return {
    seed: cfg.headOptions.seed,
    ...(head === "weightedLayer" ? { weightedLayer: cfg.headOptions.weightedLayer } : {}),
    ...(finetunedHead(model) ? { finetune: cfg.finetune } : {}),
    ...(model === "tfidf" ? { tfidf: cfg.headOptions.tfidf } : {}),
  };
}

/** What a job's cost depends on. */
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

export function problemSize(train: FeatureSplit, test: FeatureSplit, classes: number): ProblemSize {
  const m = train.manifest;
  return { rows: m.rows, testRows: test.rows, tokens: m.tokens, testTokens: test.manifest.tokens, hidden: m.hiddenSize, layers: m.numLayers, classes };
}

/**
 * A-priori seconds of one fold job on one core of a recent x86 CPU — only a starting point:
 * the progress line rescales the estimates by the latest finished jobs (oof/schedule.ts). Coefficients come
 * from jobs measured on the 2-core AVX-512 machine (README "Performance").
 */
export function priorSeconds(model: ModelName, s: ProblemSize, finetune: Pick<Config["finetune"], "topLayers" | "epochs" | "batchRows" | "batchTokens">): number {
  const H = s.hidden, c = Math.max(1, s.classes);
  // forward passes over the OOF fold and the test rows, and the early-stopping rows each epoch
  const inferTokens = (epochs: number): number => 0.2 * s.tokens + s.testTokens + 0.08 * s.tokens * epochs;
  const head = finetunedHead(model);
  if (head) {
    // forward + backward of topLayers layers ≈ 72·H² FLOPs per token each, over the fit rows (72% of train) per epoch;
    // and each step's fixed cost per trained layer (its 12·H² weights pass through the gradient outputs and AdamW
    // at every step, whatever the batch's size):
    // ≈ 0.09 s, from 43 classes of 6,000 sentences against the frozen heads in the same run (an -ft job took
    // 6.6× a mean job, 17× an attention job), where 16-row batches of 33 tokens make the steps cost as much as their FLOPs
    const k = finetune.topLayers, e = finetune.epochs;
    const steps = e * Math.max((0.72 * s.rows) / finetune.batchRows, (0.72 * s.tokens) / finetune.batchTokens);
    return (72 * H * H * k * (0.72 * s.tokens * e) + 24 * H * H * k * inferTokens(e)) / 100e9 + 0.09 * k * steps + 3;
  }
  switch (model) {
    case "tfidf":
      // ≈ 30 passes per λ over ~2,500 stored n-grams per 200 tokens, 3 inner folds × 6 λ, one multiply-add per class;
      // softmax needs more passes as classes grow (43 classes: 270–400 s measured per fold job on 6,000 sentences)
      return ((30 * 18 * 0.67 * s.tokens * 12.5 * c) / 0.5e9) * (c > 1 ? 2 * Math.max(1, c / 24) : 1) + 1;
    case "attention":
      // ≈ 2 epochs of 8·H² FLOPs per token forward + backward, plus inference
      return (8 * H * H * 2 * 0.72 * s.tokens + 4 * H * H * inferTokens(2)) / 100e9 + 1;
    case "weightedLayer":
      return (30 * s.rows * H * c * 8) / 2.5e9 + 0.5;
    default:
      // ≈ 1,500 L-BFGS evaluations over two thirds of the training rows, two float64 products each
      return (1500 * 4 * 0.53 * s.rows * H * c) / 25e9 + 0.5;
  }
}
