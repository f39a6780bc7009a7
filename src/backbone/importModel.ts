/**
 * Brings another BERT-family model into poolblend's model-folder format (model.onnx with the
 * pooled outputs, tokenizer.json, poolblend-model.json):
 * - a Hugging Face `BertModel` checkpoint folder (config.json, *.safetensors, tokenizer.json):
 *   the graph is built from the weights, fused ops included;
 * - an ONNX file that outputs every hidden state (`hidden_states.0` … `hidden_states.L`, as an
 *   export with output_hidden_states gives): the pooling outputs are appended to its graph.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { readSafetensors } from "./safetensors.js";
import { readBertConfig } from "./bertConfig.js";
import { addPooledOutputs, buildBertGraph } from "./bertGraph.js";
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

/** Prepares `out` from a checkpoint folder or an ONNX file; `tokenizer` defaults to the source folder's tokenizer.json. */
export function importModel(source: string, out: string, tokenizer?: string): ModelCard {
  if (!existsSync(source)) throw new UserError(`${source}: not found`);
  const isDir = statSync(source).isDirectory();
  const tok = tokenizer ?? join(isDir ? source : join(source, ".."), "tokenizer.json");
  if (!existsSync(tok)) throw new UserError(`${tok}: tokenizer.json not found (pass --tokenizer)`);
  let bytes: Uint8Array, numLayers: number, hiddenSize: number, maxPositions = 512;
  const sourceHashes: Record<string, string> = {};
  if (isDir) {
    const st = readdirSync(source).filter((f) => f.endsWith(".safetensors"));
    if (st.length !== 1) throw new UserError(`${source}: expected one .safetensors file, found ${st.length}`);
    const cfg = readBertConfig(join(source, "config.json"));
    bytes = buildBertGraph(readSafetensors(join(source, st[0])), cfg, { outputs: "pooled", fused: true });
    ({ numLayers, hiddenSize, maxPositions } = { numLayers: cfg.numLayers, hiddenSize: cfg.hiddenSize, maxPositions: cfg.maxPositions });
    sourceHashes[st[0]] = sha256File(join(source, st[0]));
    mkdirSync(out, { recursive: true });
    copyFileSync(join(source, "config.json"), join(out, "config.json"));
    copyFileSync(join(source, st[0]), join(out, WEIGHTS_FILE));
  } else {
    ({ bytes, numLayers, hiddenSize } = poolOnnxHiddenStates(source, readFileSync(source)));
    sourceHashes[source] = sha256File(source);
  }
  mkdirSync(out, { recursive: true });
  writeFileAtomic(join(out, "model.onnx"), bytes);
  copyFileSync(tok, join(out, "tokenizer.json"));
  const card: ModelCard = { graphVersion: GRAPH_VERSION, source, sourceHashes, onnxSha256: sha256(bytes), numLayers, hiddenSize, maxPositions };
  writeFileAtomic(join(out, "poolblend-model.json"), JSON.stringify(card, null, 2) + "\n");
  return card;
}
