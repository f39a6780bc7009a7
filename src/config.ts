/**
 * ensemble.config.json: loading, CLI overrides (every flag wins over the file) and validation.
 * Paths in the file are relative to the file's folder.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "./util/errors.js";
import { FINETUNED_NAMES, HEAD_NAMES, type FinetunedName, type HeadName, type Task } from "./models/names.js";
import { parseTfidfOptions, type TfidfOptions } from "./lexical/options.js";

export type MetricName = "auc" | "logloss" | "accuracy" | "rmse" | "mcrmse";
export { FINETUNED_NAMES, HEAD_NAMES, finetunedHead, type FinetunedName, type HeadName, type Task } from "./models/names.js";

/** Everything `heads` may list: the frozen pooling heads, their fine-tuned twins, and the lexical model. */
export type ModelName = HeadName | FinetunedName | "tfidf";
export type BlendMethod = "hillclimb" | "nnls" | "rank" | "stack";

export const MODEL_NAMES: readonly ModelName[] = [...HEAD_NAMES, ...FINETUNED_NAMES, "tfidf"];
export const BLEND_METHODS: readonly BlendMethod[] = ["hillclimb", "nnls", "rank", "stack"];

/** Training of the `<head>-ft` models (README "Fine-tuned heads"). */
export interface FinetuneOptions {
  /** transformer layers trained above the cached hidden state of layer L − topLayers (1..L) */
  topLayers: number;
  /** maximum epochs; the best epoch on the early-stopping split is kept */
  epochs: number;
  /** peak learning rate of the transformer layers (AdamW) */
  lr: number;
  /** peak learning rate of the pooling head and the output layer */
  headLr: number;
  /** a batch holds at most this many padded tokens … */
  batchTokens: number;
  /** … and at most this many rows */
  batchRows: number;
  /** share of the steps with a linear warm-up; linear decay to zero after it */
  warmup: number;
  /** AdamW's decoupled weight decay (not applied to biases and LayerNorm gains) */
  weightDecay: number;
  /** the gradient's global L2 norm is clipped to this */
  clip: number;
  /** layer-wise learning-rate decay: layer i below the top trains at lr · llrd^i */
  llrd: number;
  /** stop after this many epochs without a better early-stopping loss */
  patience: number;
}
const METRICS_FOR: Record<Task, readonly MetricName[]> = {
  binary: ["auc", "logloss", "accuracy"],
  multiclass: ["logloss", "accuracy"],
  regression: ["rmse", "mcrmse"],
};

export interface Config {
  name: string;
  data: { dir: string; id: string; text: string[]; target: string[]; group: string | null };
  task: Task;
  metric: MetricName;
  folds: { k: number; seed: number };
  backbone: { model: string; maxLength: number; batchTokens: number; threads: number; chunkRows: number };
  heads: ModelName[];
  headOptions: { weightedLayer: { layerStart: number; source: "cls" | "mean" }; tfidf: TfidfOptions; workers: number; seed: number };
  finetune: FinetuneOptions;
  /** `auto`: submit the method with the best nested-CV score */
  blend: { method: BlendMethod | "auto"; rounds: number; bags: number };
  /** Absolute run folder (runs/<name> beside the config unless --out). */
  out: string;
  /** Absolute submission path. */
  submission: string;
  /** Folder of the config file: the base of relative paths. */
  baseDir: string;
}

/** The poolblend checkout (for the bundled models/ folder). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

type Json = Record<string, unknown>;

function isObj(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge, `over` wins; arrays and scalars replace. */
export function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Json, v) : v;
  return out;
}

export const FINETUNE_DEFAULTS: FinetuneOptions = { topLayers: 2, epochs: 4, lr: 1e-4, headLr: 1e-3, batchTokens: 4096, batchRows: 16, warmup: 0.1, weightDecay: 0.01, clip: 1, llrd: 1, patience: 2 };

const DEFAULTS: Json = {
  data: { id: "id", group: null },
  folds: { k: 5, seed: 42 },
  backbone: { model: "models/minilm-l6", maxLength: 256, batchTokens: 2048, threads: 0, chunkRows: 1024 },
  heads: [...HEAD_NAMES, "tfidf"],
  headOptions: { weightedLayer: { layerStart: 4, source: "cls" }, workers: 0, seed: 42 },
  finetune: { ...FINETUNE_DEFAULTS },
  blend: { method: "auto", rounds: 100, bags: 0 },
};

function uniqueHeads(heads: ModelName[], bad: (key: string, what: string) => never): ModelName[] {
  const dup = heads.find((h, i) => heads.indexOf(h) !== i);
  return dup ? bad("heads", `lists ${dup} twice`) : heads;
}

/** Loads a config file and applies overrides (already nested, e.g. from yargs dot-notation). */
export function loadConfig(file: string, overrides: Json = {}): Config {
  if (!existsSync(file)) throw new UserError(`${file}: config file not found`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!isObj(raw)) throw new UserError(`${file}: must be a JSON object`);
  return resolveConfig(deepMerge(deepMerge(DEFAULTS, raw), overrides), file);
}

/** The value checks of one config file: each returns the valid value or throws a UserError naming the file and key. */
interface Checks {
  bad: (key: string, what: string) => never;
  str: (v: unknown, key: string) => string;
  num: (v: unknown, key: string, min: number, int?: boolean) => number;
  /** a number in [0, 1] */
  frac: (v: unknown, key: string) => number;
  strList: (v: unknown, key: string) => string[];
  oneOf: <T extends string>(v: unknown, key: string, allowed: readonly T[]) => T;
}

function checks(file: string): Checks {
  const bad = (key: string, what: string): never => {
    throw new UserError(`${file}: "${key}" ${what}`);
  };
  const str = (v: unknown, key: string): string => (typeof v === "string" && v.length > 0 ? v : bad(key, "must be a non-empty string"));
  const num = (v: unknown, key: string, min: number, int = true): number => {
    const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isFinite(n) || n < min || (int && !Number.isInteger(n))) bad(key, `must be ${int ? "an integer" : "a number"} ≥ ${min}`);
    return n as number;
  };
  const strList = (v: unknown, key: string): string[] => {
    const arr = typeof v === "string" ? v.split(",") : v;
    if (!Array.isArray(arr) || arr.length === 0) bad(key, "must be a non-empty list of column names");
    return (arr as unknown[]).map((x, i) => str(x, `${key}[${i}]`));
  };
  const oneOf = <T extends string>(v: unknown, key: string, allowed: readonly T[]): T =>
    allowed.includes(v as T) ? (v as T) : bad(key, `must be one of ${allowed.join(", ")} (got ${JSON.stringify(v)})`);
  const frac = (v: unknown, key: string): number => {
    const x = num(v, key, 0, false);
    return x <= 1 ? x : bad(key, "must be between 0 and 1");
  };
  return { bad, str, num, frac, strList, oneOf };
}

/** The `finetune` block, key by key. */
function finetuneOptions(ft: Json, k: Checks): FinetuneOptions {
  const { num, frac } = k;
  return {
    topLayers: num(ft.topLayers, "finetune.topLayers", 1),
    epochs: num(ft.epochs, "finetune.epochs", 1),
    lr: num(ft.lr, "finetune.lr", 0, false),
    headLr: num(ft.headLr, "finetune.headLr", 0, false),
    batchTokens: num(ft.batchTokens, "finetune.batchTokens", 16),
    batchRows: num(ft.batchRows, "finetune.batchRows", 1),
    warmup: frac(ft.warmup, "finetune.warmup"),
    weightDecay: num(ft.weightDecay, "finetune.weightDecay", 0, false),
    clip: num(ft.clip, "finetune.clip", 0, false),
    llrd: frac(ft.llrd, "finetune.llrd"),
    patience: num(ft.patience, "finetune.patience", 1),
  };
}

/** Validates a merged raw config; errors name the config file and the key. */
export function resolveConfig(c: Json, file: string): Config {
  const k = checks(file);
  const { bad, str, num, strList, oneOf } = k;
  const baseDir = dirname(resolve(file));
  const name = str(c.name, "name");
  if (!/^[A-Za-z0-9._-]+$/.test(name)) bad("name", "may hold only letters, digits, '.', '_' and '-'");
  const data = isObj(c.data) ? c.data : bad("data", "must be an object");
  const task = oneOf(c.task, "task", ["binary", "multiclass", "regression"] as const);
  const metric = oneOf(c.metric, "metric", ["auc", "logloss", "accuracy", "rmse", "mcrmse"] as const);
  if (!METRICS_FOR[task].includes(metric)) bad("metric", `${metric} does not fit task ${task} (use ${METRICS_FOR[task].join(" or ")})`);
  const target = strList(data.target, "data.target");
  if (task !== "regression" && target.length !== 1) bad("data.target", `${task} takes exactly one target column`);
  const folds = isObj(c.folds) ? c.folds : bad("folds", "must be an object");
  const bb = isObj(c.backbone) ? c.backbone : bad("backbone", "must be an object");
  const heads = (Array.isArray(c.heads) ? c.heads : typeof c.heads === "string" ? c.heads.split(",") : bad("heads", "must be a list")) as unknown[];
  const ho = isObj(c.headOptions) ? c.headOptions : {};
  const wl = isObj(ho.weightedLayer) ? ho.weightedLayer : {};
  const blend = isObj(c.blend) ? c.blend : bad("blend", "must be an object");
  const ft = isObj(c.finetune) ? c.finetune : bad("finetune", "must be an object");
  const resolvePath = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
  const modelRel = str(bb.model, "backbone.model");
  const modelDir = existsSync(resolvePath(modelRel)) || isAbsolute(modelRel) ? resolvePath(modelRel) : join(PROJECT_ROOT, modelRel);
  const group = data.group === null || data.group === undefined || data.group === "" ? null : str(data.group, "data.group");
  return {
    name,
    data: { dir: resolvePath(str(data.dir, "data.dir")), id: str(data.id, "data.id"), text: strList(data.text, "data.text"), target, group },
    task,
    metric,
    folds: { k: num(folds.k, "folds.k", 2), seed: num(folds.seed, "folds.seed", 0) },
    backbone: {
      model: modelDir,
      maxLength: num(bb.maxLength, "backbone.maxLength", 3),
      batchTokens: num(bb.batchTokens, "backbone.batchTokens", 16),
      threads: num(bb.threads, "backbone.threads", 0),
      chunkRows: num(bb.chunkRows, "backbone.chunkRows", 1),
    },
    heads: uniqueHeads(heads.map((h, i) => oneOf(typeof h === "string" ? h.trim() : h, `heads[${i}]`, MODEL_NAMES)), bad),
    headOptions: {
      weightedLayer: { layerStart: num(wl.layerStart ?? 4, "headOptions.weightedLayer.layerStart", 0), source: oneOf(wl.source ?? "cls", "headOptions.weightedLayer.source", ["cls", "mean"] as const) },
      tfidf: parseTfidfOptions(ho.tfidf, bad),
      workers: num(ho.workers ?? 0, "headOptions.workers", 0),
      seed: num(ho.seed ?? 42, "headOptions.seed", 0),
    },
    finetune: finetuneOptions(ft, k),
    blend: { method: oneOf(blend.method, "blend.method", ["auto", ...BLEND_METHODS] as const), rounds: num(blend.rounds ?? 100, "blend.rounds", 1), bags: num(blend.bags ?? 0, "blend.bags", 0) },
    out: resolvePath(typeof c.out === "string" && c.out ? c.out : join("runs", name)),
    submission: resolvePath(typeof c.submission === "string" && c.submission ? c.submission : join("submissions", `${name}.csv`)),
    baseDir,
  };
}
