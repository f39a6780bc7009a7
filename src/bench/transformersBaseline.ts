/**
 * The baseline a competitor would reach for: `@huggingface/transformers` feature-extraction with
 * mean pooling, on a last-hidden-state-only ONNX of the same weights, texts in their given order.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readSafetensors } from "../backbone/safetensors.js";
import { readModelConfig } from "../families/registry.js";
import { buildEncoderGraph } from "../backbone/encoderGraph.js";
import { locateWeights } from "../backbone/prepareModel.js";
import { writeFileAtomic } from "../io/atomic.js";

/** Writes a transformers.js model folder (config, tokenizer, onnx/model.onnx) under `root/minilm-last`. */
export function prepareBaselineModel(root: string, maxLength: number): string {
  const dir = join(root, "minilm-last");
  const src = locateWeights();
  mkdirSync(join(dir, "onnx"), { recursive: true });
  if (!existsSync(join(dir, "onnx", "model.onnx"))) {
    const { family, cfg } = readModelConfig(join(src, "model/config.json"));
    const bytes = buildEncoderGraph(family, readSafetensors(join(src, "model/model.fp16.safetensors")), cfg, { outputs: "lastHidden" });
    writeFileAtomic(join(dir, "onnx", "model.onnx"), bytes);
  }
  copyFileSync(join(src, "model/config.json"), join(dir, "config.json"));
  copyFileSync(join(src, "model/tokenizer.json"), join(dir, "tokenizer.json"));
  const tj = JSON.parse(readFileSync(join(src, "model/tokenizer.json"), "utf8")) as { model?: { unk_token?: string } };
  writeFileAtomic(
    join(dir, "tokenizer_config.json"),
    JSON.stringify({ tokenizer_class: "BertTokenizer", do_lower_case: true, model_max_length: maxLength, unk_token: tj.model?.unk_token ?? "[UNK]", cls_token: "[CLS]", sep_token: "[SEP]", pad_token: "[PAD]", mask_token: "[MASK]" }),
  );
  return dir;
}

export interface BaselineResult {
  seconds: number;
  /** mean-pooled embeddings [N × H] */
  embeddings: Float32Array;
}

/** Runs feature-extraction (mean pooling) over `texts` in batches of `batchSize`, in the given order. */
export async function runTransformersJs(root: string, texts: readonly string[], threads: number, batchSize = 32): Promise<BaselineResult> {
  const tjs = await import("@huggingface/transformers");
  tjs.env.allowRemoteModels = false;
  tjs.env.localModelPath = root;
  const extractor = await tjs.pipeline("feature-extraction", "minilm-last", {
    dtype: "fp32",
    device: "cpu",
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all" },
  });
  const parts: Float32Array[] = [];
  const t0 = performance.now();
  for (let i = 0; i < texts.length; i += batchSize) {
    const out = await extractor(texts.slice(i, i + batchSize) as string[], { pooling: "mean", normalize: false });
    parts.push(Float32Array.from(out.data as Float32Array));
  }
  const seconds = (performance.now() - t0) / 1000;
  await extractor.dispose();
  const emb = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    emb.set(p, o);
    o += p.length;
  }
  return { seconds, embeddings: emb };
}
