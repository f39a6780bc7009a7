/**
 * Brings another encoder into poolblend's model-folder format (model.onnx with the pooled
 * outputs, tokenizer.json, config.json, poolblend-model.json):
 * - a Hugging Face checkpoint folder (config.json, *.safetensors, tokenizer.json) of a family in
 *   src/families/registry.ts: the graph is built from the weights, fused ops where the family
 *   has them; what cannot be read fails here, naming the file, not later at `features`;
 * - an ONNX file that outputs every hidden state (`hidden_states.0` … `hidden_states.L`, as an
 *   export with output_hidden_states gives): the pooling outputs are appended to its graph.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { readSafetensors } from "../io/safetensors.js";
import { addPooledOutputs, buildEncoderGraph } from "./encoderGraph.js";
import { EncoderTokenizer } from "./tokenizer.js";
import { readModelConfig } from "../families/registry.js";
import { encoderTensors } from "../families/weights.js";
import type { EncoderConfig } from "../families/types.js";
import { GraphBuilder, DT } from "../onnx/graphBuilder.js";
import { writeFileAtomic } from "../io/atomic.js";
import { sha256, sha256File } from "../util/hash.js";
import { UserError } from "../util/errors.js";
import { GRAPH_VERSION, WEIGHTS_FILE, type ModelCard } from "./prepareModel.js";

/** Appends the pooled outputs to an ONNX model exposing all hidden states; returns the new bytes and the layer count. */
export function poolOnnxHiddenStates(file: string, bytes: Uint8Array): { bytes: Uint8Array; numLayers: number; hiddenSize: number } {
  const { g, outputs, inputs } = GraphBuilder.extend(bytes);
  const names = new Set(inputs.map((i) => i.name));
  for (const need of ["input_ids", "attention_mask"]) if (!names.has(need)) throw new UserError(`${file}: needs an input named ${need} (has ${[...names].join(", ")})`);
  const hs = outputs
    .map((o) => ({ name: o.name ?? "", idx: /hidden_states[._]?(\d+)$/.exec(o.name ?? "")?.[1], o }))
    .filter((x) => x.idx !== undefined)
    .sort((a, b) => Number(a.idx) - Number(b.idx));
  if (hs.length < 2) throw new UserError(`${file}: no hidden-state outputs (expected hidden_states.0 … hidden_states.L; outputs are ${outputs.map((o) => o.name).join(", ")})`);
  hs.forEach((h, i) => {
    if (Number(h.idx) !== i) throw new UserError(`${file}: hidden-state outputs must run 0..L without gaps (missing hidden_states.${i})`);
  });
  const dims = hs[0].o.type?.tensorType?.shape?.dim ?? [];
  const H = Number(dims[2]?.dimValue ?? 0);
  if (!H) throw new UserError(`${file}: ${hs[0].name} must have a fixed hidden size as its last dimension`);
  const maskF = g.op("Cast", ["attention_mask"], { to: DT.FLOAT });
  addPooledOutputs(g, hs.map((h) => h.name), maskF, H);
  return { bytes: g.toBytes("imported_pooled"), numLayers: hs.length - 1, hiddenSize: H };
}

/** The largest token id tokenizer.json can produce + 1 (its model vocabulary and added tokens). */
export function tokenizerVocabSize(file: string): number {
  let j: { model?: { vocab?: Record<string, number> | [string, number][] }; added_tokens?: { id: number }[] };
  try {
    j = JSON.parse(readFileSync(file, "utf8")) as typeof j;
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const vocab = j.model?.vocab;
  if (!vocab) throw new UserError(`${file}: no model vocabulary (WordPiece, BPE or Unigram expected)`);
  const ids = Array.isArray(vocab) ? [vocab.length - 1] : Object.values(vocab);
  return Math.max(-1, ...ids, ...(j.added_tokens ?? []).map((t) => t.id)) + 1;
}

/** What a checkpoint folder gives: the graph and the card's numbers, and the head tensors left out. */
function buildFromCheckpoint(source: string, tok: string): { bytes: Uint8Array; cfg: EncoderConfig; weightsFile: string; ignored: string[] } {
  const cfgFile = join(source, "config.json");
  if (!existsSync(cfgFile)) throw new UserError(`${cfgFile}: not found (a Hugging Face checkpoint folder holds config.json, one *.safetensors file and tokenizer.json)`);
  const { family, cfg } = readModelConfig(cfgFile);
  const st = readdirSync(source).filter((f) => f.endsWith(".safetensors"));
  if (st.length !== 1) throw new UserError(`${source}: expected one .safetensors file with the weights, found ${st.length}${st.length > 1 ? ` (${st.join(", ")}; merge shards into one)` : ""}`);
  const weightsFile = join(source, st[0]);
  const all = readSafetensors(weightsFile);
  const { tensors, ignored, get } = encoderTensors(family, all, weightsFile);
  if (tensors.size === 0) throw new UserError(`${weightsFile}: no ${family.modelTypes[0]} encoder tensors (${family.wordEmbeddings} missing)`);
  const rows = get(family.wordEmbeddings).shape[0];
  const vocab = tokenizerVocabSize(tok);
  if (vocab > rows) throw new UserError(`${tok}: the tokenizer's ids run to ${vocab - 1}, but ${weightsFile} embeds only ${rows} tokens: tokenizer and weights do not belong together`);
  // the tokenizer must hold the family's special tokens
  new EncoderTokenizer(tok, 2 + family.tokens.pairSeparators, family.tokens);
  const bytes = buildEncoderGraph(family, all, cfg, { outputs: "pooled", fused: true }, weightsFile);
  return { bytes, cfg, weightsFile, ignored };
}

/** Prepares `out` from a checkpoint folder or an ONNX file; `tokenizer` defaults to the source folder's tokenizer.json. `log` gets one line about head tensors left out. */
export function importModel(source: string, out: string, tokenizer?: string, log: (line: string) => void = () => {}): ModelCard {
  if (!existsSync(source)) throw new UserError(`${source}: not found`);
  const isDir = statSync(source).isDirectory();
  let tok = tokenizer ?? join(isDir ? source : join(source, ".."), "tokenizer.json");
  if (!tokenizer && isDir && !existsSync(tok)) tok = convertedTokenizer(source, out) ?? tok;
  if (!existsSync(tok)) throw new UserError(`${tok}: tokenizer.json not found (pass --tokenizer)`);
  let bytes: Uint8Array, numLayers: number, hiddenSize: number, maxPositions = 512;
  const sourceHashes: Record<string, string> = {};
  if (isDir) {
    const built = buildFromCheckpoint(source, tok);
    ({ bytes } = built);
    ({ numLayers, hiddenSize, maxPositions } = built.cfg);
    if (built.ignored.length) log(`using the encoder of ${built.weightsFile}; ${built.ignored.length} other tensors (task heads) left out: ${summarise(built.ignored)}`);
    sourceHashes[basename(built.weightsFile)] = sha256File(built.weightsFile);
    mkdirSync(out, { recursive: true });
    copyFileSync(join(source, "config.json"), join(out, "config.json"));
    copyFileSync(built.weightsFile, join(out, WEIGHTS_FILE));
  } else {
    ({ bytes, numLayers, hiddenSize } = poolOnnxHiddenStates(source, readFileSync(source)));
    sourceHashes[source] = sha256File(source);
  }
  mkdirSync(out, { recursive: true });
  writeFileAtomic(join(out, "model.onnx"), bytes);
  if (tok !== join(out, "tokenizer.json")) copyFileSync(tok, join(out, "tokenizer.json"));
  const card: ModelCard = { graphVersion: GRAPH_VERSION, source, sourceHashes, onnxSha256: sha256(bytes), numLayers, hiddenSize, maxPositions };
  writeFileAtomic(join(out, "poolblend-model.json"), JSON.stringify(card, null, 2) + "\n");
  return card;
}

/** A checkpoint folder without tokenizer.json whose family converts what it ships (DeBERTa-v3's spm.model): out/tokenizer.json. */
function convertedTokenizer(source: string, out: string): string | undefined {
  const cfgFile = join(source, "config.json");
  if (!existsSync(cfgFile)) return undefined;
  const json = readModelConfig(cfgFile).family.tokenizerFromFolder?.(source);
  if (!json) return undefined;
  mkdirSync(out, { recursive: true });
  const file = join(out, "tokenizer.json");
  writeFileAtomic(file, JSON.stringify(json));
  return file;
}

/** "lm_head.*, pooler.*" — tensor names grouped by their first component. */
function summarise(names: readonly string[]): string {
  return [...new Set(names.map((n) => n.split(".").slice(0, n.split(".").length > 2 ? 2 : 1).join(".") + ".*"))].join(", ");
}
