/**
 * A tiny fine-tuning world written to a temporary folder in milliseconds: a BERT checkpoint with
 * hidden size 8, 2 heads, FFN 16 and 3 layers (every tensor random, biases and LayerNorms too, so
 * no mix-up of names can go unseen), and train / test feature exports in the on-disk format
 * (src/features/store.ts) holding random pooled vectors, per-layer vectors, last-layer tokens and
 * the token states of layers 1 and 2. The arrays are returned as written, so a test can compute
 * what the trainer should read from them without reading them back through src/.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExportWriter, FEATURE_FORMAT, FeatureSplit } from "../../src/store/features.js";
import { halfToFloat, writeSafetensors, type Tensor } from "../../src/io/safetensors.js";
import { WEIGHTS_FILE } from "../../src/backbone/prepareModel.js";
import type { RowFeatures } from "../../src/backbone/backbone.js";
import type { FeatureSources } from "../../src/heads/types.js";
import { exactHalfBits, halfExact, normals } from "../reference/finetuneReference.js";

export const TINY = { H: 8, numHeads: 2, inter: 16, numLayers: 3, eps: 1e-12, hiddenLayers: [1, 2] } as const;

/** Writes config.json and weights.safetensors of the tiny checkpoint; `prefix` is put before every tensor name (e.g. "bert."). */
export function writeTinyCheckpoint(dir: string, seed: number, prefix = ""): Map<string, Tensor> {
  mkdirSync(dir, { recursive: true });
  const { H, inter: I } = TINY;
  const r = normals(seed);
  const tensors = new Map<string, Tensor>();
  const put = (name: string, shape: number[], scale: number, centre = 0): void => {
    tensors.set(prefix + name, { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => centre + scale * r()) });
  };
  for (let l = 0; l < TINY.numLayers; l++) {
    const p = `encoder.layer.${l}.`;
    for (const n of ["query", "key", "value"]) {
      put(`${p}attention.self.${n}.weight`, [H, H], 0.4);
      put(`${p}attention.self.${n}.bias`, [H], 0.1);
    }
    put(`${p}attention.output.dense.weight`, [H, H], 0.4);
    put(`${p}attention.output.dense.bias`, [H], 0.1);
    put(`${p}attention.output.LayerNorm.weight`, [H], 0.1, 1);
    put(`${p}attention.output.LayerNorm.bias`, [H], 0.1);
    put(`${p}intermediate.dense.weight`, [I, H], 0.4);
    put(`${p}intermediate.dense.bias`, [I], 0.1);
    put(`${p}output.dense.weight`, [H, I], 0.3);
    put(`${p}output.dense.bias`, [H], 0.1);
    put(`${p}output.LayerNorm.weight`, [H], 0.1, 1);
    put(`${p}output.LayerNorm.bias`, [H], 0.1);
  }
  // a tensor the fine-tuning never reads
  put("embeddings.word_embeddings.weight", [10, H], 0.02);
  const config = { model_type: "bert", hidden_size: H, num_hidden_layers: TINY.numLayers, num_attention_heads: TINY.numHeads, intermediate_size: I, hidden_act: "gelu", layer_norm_eps: TINY.eps, vocab_size: 10, max_position_embeddings: 32, type_vocab_size: 2, pad_token_id: 0 };
  writeFileSync(join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
  writeSafetensors(join(dir, WEIGHTS_FILE), tensors);
  return tensors;
}

/** One split as written: per row its features (float16 bits decoded in `tokens64` / `hidden64`). */
export interface TinySplit {
  rows: RowFeatures[];
  lengths: number[];
}

function randomRow(r: () => number, len: number): RowFeatures {
  const { H, numLayers } = TINY;
  const f32 = (n: number, shift: number): Float32Array => Float32Array.from({ length: n }, () => shift + r());
  const f16 = (n: number): Uint16Array => Uint16Array.from({ length: n }, () => exactHalfBits(halfExact(r())));
  return {
    mean: f32(H, 0.5), max: f32(H, 2), min: f32(H, -2),
    layersCls: f32((numLayers + 1) * H, 0.3), layersMean: f32((numLayers + 1) * H, -0.3),
    tokens: f16(len * H), hidden: TINY.hiddenLayers.map(() => f16(len * H)),
  };
}

function writeSplit(dir: string, r: () => number, lengths: number[]): TinySplit {
  const { H, numLayers } = TINY;
  mkdirSync(dir, { recursive: true });
  const rows = lengths.map((len) => randomRow(r, len));
  const T = lengths.reduce((a, b) => a + b, 0);
  const w = new ExportWriter(dir, rows.length, T, H, numLayers + 1, TINY.hiddenLayers);
  rows.forEach((row) => w.write(row));
  w.close();
  const manifest = {
    format: FEATURE_FORMAT, onnxSha256: "tiny", tokenizerSha256: "tiny", maxLength: 8, rows: rows.length, tokens: T, hiddenSize: H, numLayers,
    textColumns: ["text"], rowHashes: rows.map((_, i) => `h${i}`), hiddenLayers: [...TINY.hiddenLayers],
  };
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  writeFileSync(join(dir, "ids.csv"), ["id", ...rows.map((_, i) => `r${i}`)].join("\n") + "\n");
  return { rows, lengths };
}

export interface TinyWorld {
  root: string;
  modelDir: string;
  checkpoint: Map<string, Tensor>;
  sources: FeatureSources;
  train: TinySplit;
  test: TinySplit;
  /** binary labels of the train rows: 1 where the mean of the first channel of the row's layer-2 states is above the median (learnable by a -ft head with topLayers 1) */
  labels: number[];
}

/** The checkpoint and both feature exports (train: `nTrain` rows of 1–6 tokens; test: `nTest`). */
export function tinyWorld(nTrain: number, nTest: number, seed = 3): TinyWorld {
  const root = mkdtempSync(join(tmpdir(), "pb-tinyft-"));
  const modelDir = join(root, "model");
  const checkpoint = writeTinyCheckpoint(modelDir, seed);
  const r = normals(seed + 1);
  const len = (): number => 1 + Math.floor(Math.abs(r() * 2.5)) % 6;
  const train = writeSplit(join(root, "features", "train"), r, Array.from({ length: nTrain }, len));
  const test = writeSplit(join(root, "features", "test"), r, Array.from({ length: nTest }, len));
  const sources = { train: FeatureSplit.open(join(root, "features", "train")), test: FeatureSplit.open(join(root, "features", "test")) };
  const first = train.rows.map((row, i) => Array.from({ length: train.lengths[i] }, (_, t) => halfToFloat(row.hidden[1][t * TINY.H])).reduce((a, b) => a + b, 0) / train.lengths[i]);
  const median = [...first].sort((a, b) => a - b)[first.length >> 1];
  const labels = first.map((v) => (v >= median ? 1 : 0));
  return { root, modelDir, checkpoint, sources, train, test, labels };
}
