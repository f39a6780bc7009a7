/**
 * ensemble.config.json: loading, CLI overrides (every flag wins over the file) and validation.
 * Paths in the file are relative to the file's folder.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "./util/errors.js";
import { checks, isObj } from "./models/checks.js";
import { DEFAULT_MODELS, type Task } from "./models/names.js";

export type MetricName = "auc" | "logloss" | "accuracy" | "rmse" | "mcrmse";
export { FINETUNED_NAMES, HEAD_NAMES, finetunedHead, type FinetunedName, type HeadName, type Task } from "./models/names.js";

/** A name `heads` may list: one a model family serves (src/registry/lineup.ts checks them). */
export type ModelName = string;
export type BlendMethod = "hillclimb" | "nnls" | "rank" | "stack";

export const BLEND_METHODS: readonly BlendMethod[] = ["hillclimb", "nnls", "rank", "stack"];

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
  /** the models to train, each served by a model family (the families check the names and parse their options: src/registry/lineup.ts) */
  heads: ModelName[];
  headOptions: { workers: number; seed: number };
  /** family modules besides poolblend's own, absolute ("modelFamilies" in the file: paths relative to it) */
  modelFamilies: string[];
  /** `auto`: submit the method with the best nested-CV score */
  blend: { method: BlendMethod | "auto"; rounds: number; bags: number };
  /** Absolute run folder (runs/<name> beside the config unless --out). */
  out: string;
  /** Absolute submission path. */
  submission: string;
  /** Folder of the config file: the base of relative paths. */
  baseDir: string;
  /** The config file (errors name it). */
  configFile: string;
  /** The file merged with the defaults and the overrides, as written: each model family reads its own slice of it. */
  raw: Readonly<Json>;
}

/** The poolblend checkout (for the bundled models/ folder). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

type Json = Record<string, unknown>;

/** Deep merge, `over` wins; arrays and scalars replace. */
export function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Json, v) : v;
  return out;
}

const DEFAULTS: Json = {
  data: { id: "id", group: null },
  folds: { k: 5, seed: 42 },
  backbone: { model: "models/minilm-l6", maxLength: 256, batchTokens: 2048, threads: 0, chunkRows: 1024 },
  heads: [...DEFAULT_MODELS],
  headOptions: { workers: 0, seed: 42 },
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

/** Validates a merged raw config; errors name the config file and the key. */
export function resolveConfig(c: Json, file: string): Config {
  const { bad, str, num, strList, oneOf } = checks(file);
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
  const blend = isObj(c.blend) ? c.blend : bad("blend", "must be an object");
  const families = c.modelFamilies === undefined ? [] : Array.isArray(c.modelFamilies) ? (c.modelFamilies as unknown[]) : bad("modelFamilies", "must be a list of module paths");
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
    heads: uniqueHeads(heads.map((h, i) => (typeof h === "string" ? h.trim() : bad(`heads[${i}]`, `must be a model name (got ${JSON.stringify(h)})`))), bad),
    headOptions: { workers: num(ho.workers ?? 0, "headOptions.workers", 0), seed: num(ho.seed ?? 42, "headOptions.seed", 0) },
    modelFamilies: families.map((m, i) => resolvePath(str(m, `modelFamilies[${i}]`))),
    blend: { method: oneOf(blend.method, "blend.method", ["auto", ...BLEND_METHODS] as const), rounds: num(blend.rounds ?? 100, "blend.rounds", 1), bags: num(blend.bags ?? 0, "blend.bags", 0) },
    out: resolvePath(typeof c.out === "string" && c.out ? c.out : join("runs", name)),
    submission: resolvePath(typeof c.submission === "string" && c.submission ? c.submission : join("submissions", `${name}.csv`)),
    baseDir,
    configFile: file,
    raw: c,
  };
}
