/**
 * The baseline a competitor would reach for: `@huggingface/transformers` feature-extraction with
 * mean pooling, on a last-hidden-state-only ONNX of the same weights, texts in their given order.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readSafetensors } from "../io/safetensors.js";
import { readModelConfig } from "../families/registry.js";
import { buildEncoderGraph } from "../backbone/encoderGraph.js";
import { locateWeights } from "../backbone/prepareModel.js";
import { writeFileAtomic } from "../io/atomic.js";

/** A checkpoint for the baseline: its config.json, weights and tokenizer.json. */
export interface BaselineSource {
  name: string;
  config: string;
  weights: string;
  tokenizer: string;
}

/** The default model's files. */
export function defaultBaselineSource(): BaselineSource {
  const src = locateWeights();
  return { name: "minilm-last", config: join(src, "model/config.json"), weights: join(src, "model/model.fp16.safetensors"), tokenizer: join(src, "model/tokenizer.json") };
}

/** transformers.js's tokenizer class per family, with the family's special tokens. */
const TOKENIZER_CLASS: Record<string, string> = { bert: "BertTokenizer", roberta: "RobertaTokenizer", "xlm-roberta": "XLMRobertaTokenizer", electra: "ElectraTokenizer" };

/** Writes a transformers.js model folder (config, tokenizer, onnx/model.onnx) under `root/<source.name>`. */
export function prepareBaselineModel(root: string, maxLength: number, source: BaselineSource = defaultBaselineSource()): string {
  const dir = join(root, source.name);
  mkdirSync(join(dir, "onnx"), { recursive: true });
  const { family, cfg } = readModelConfig(source.config);
  if (!existsSync(join(dir, "onnx", "model.onnx"))) {
    const bytes = buildEncoderGraph(family, readSafetensors(source.weights), cfg, { outputs: "lastHidden" });
    writeFileAtomic(join(dir, "onnx", "model.onnx"), bytes);
  }
  copyFileSync(source.config, join(dir, "config.json"));
  copyFileSync(source.tokenizer, join(dir, "tokenizer.json"));
  const tj = JSON.parse(readFileSync(source.tokenizer, "utf8")) as { model?: { unk_token?: string } };
  const t = family.tokens;
  writeFileAtomic(
    join(dir, "tokenizer_config.json"),
    JSON.stringify({ tokenizer_class: TOKENIZER_CLASS[cfg.modelType] ?? "PreTrainedTokenizer", do_lower_case: true, model_max_length: maxLength, unk_token: tj.model?.unk_token ?? "[UNK]", cls_token: t.cls, sep_token: t.sep, pad_token: t.pad, ...(t.cls === "[CLS]" ? { mask_token: "[MASK]" } : { bos_token: t.cls, eos_token: t.sep }) }),
  );
  return dir;
}

export interface BaselineResult {
  seconds: number;
  /** mean-pooled embeddings [N × H] */
  embeddings: Float32Array;
}

/** Runs feature-extraction (mean pooling) over `texts` in batches of `batchSize`, in the given order. */
export async function runTransformersJs(root: string, texts: readonly string[], threads: number, batchSize = 32, model = "minilm-last"): Promise<BaselineResult> {
  const tjs = await import("@huggingface/transformers");
  tjs.env.allowRemoteModels = false;
  tjs.env.localModelPath = root;
  const extractor = await tjs.pipeline("feature-extraction", model, {
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
