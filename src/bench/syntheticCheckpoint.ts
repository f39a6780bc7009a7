/**
 * Base-size (12 layers, hidden 768) checkpoints of a family with random weights, for the
 * benchmark: no package this project can install carries real RoBERTa or ELECTRA weights, and
 * speed depends on the architecture and the token count, not on the weights' values. The
 * vocabulary is the default model's WordPiece one (30,522 tokens), laid out with the family's
 * special tokens, so both sides of a comparison see the same, realistic token counts.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensors } from "../io/safetensors.js";
import { locateWeights } from "../backbone/prepareModel.js";
import { mulberry32 } from "../util/random.js";
import { writeSyntheticDeberta } from "./syntheticDeberta.js";
import { RandomCheckpoint } from "./randomTensor.js";

export const SYNTHETIC_FAMILIES = ["bert", "roberta", "electra", "deberta"] as const;
export type SyntheticFamily = (typeof SYNTHETIC_FAMILIES)[number];

const BASE = { hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, hidden_act: "gelu", layer_norm_eps: 1e-12 };
const MAX_POSITIONS = 512;

/** The default WordPiece tokenizer.json with RoBERTa's special tokens at ids 0–3 (every other id shifted by 4). */
function robertaLayout(tok: Record<string, unknown>): Record<string, unknown> {
  const model = tok.model as { vocab: Record<string, number>; unk_token: string };
  const specials = ["<s>", "<pad>", "</s>", "<unk>"];
  const vocab: Record<string, number> = Object.fromEntries(specials.map((s, i) => [s, i]));
  for (const [t, id] of Object.entries(model.vocab)) vocab[t] = id + specials.length;
  const added = specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const post = { type: "RobertaProcessing", sep: ["</s>", 2], cls: ["<s>", 0], trim_offsets: true, add_prefix_space: false };
  return { ...tok, added_tokens: added, model: { ...model, vocab, unk_token: "<unk>" }, post_processor: post, truncation: null, padding: null };
}

/** Writes config.json, model.safetensors and tokenizer.json of a random-weight base-size `family` checkpoint into `dir`. */
export function writeSyntheticCheckpoint(dir: string, family: SyntheticFamily, seed = 1): string {
  mkdirSync(dir, { recursive: true });
  const tok = JSON.parse(readFileSync(join(locateWeights(), "model/tokenizer.json"), "utf8")) as Record<string, unknown>;
  if (family === "deberta") return writeSyntheticDeberta(dir, tok, seed);
  const tokenizer = family === "roberta" ? robertaLayout(tok) : tok;
  const V = Object.keys((tokenizer.model as { vocab: Record<string, number> }).vocab).length;
  const pad = family === "roberta" ? 1 : 0;
  const positions = family === "roberta" ? MAX_POSITIONS + pad + 1 : MAX_POSITIONS;
  const types = family === "roberta" ? 1 : 2;
  const E = BASE.hidden_size;
  const config = { model_type: family, ...BASE, vocab_size: V, max_position_embeddings: positions, type_vocab_size: types, pad_token_id: pad, ...(family === "electra" ? { embedding_size: E } : {}) };
  const rnd = mulberry32(seed);
  const H = BASE.hidden_size, I = BASE.intermediate_size;
  const w = new RandomCheckpoint(rnd);
  w.normal("embeddings.word_embeddings.weight", [V, E]);
  w.normal("embeddings.position_embeddings.weight", [positions, E]);
  w.normal("embeddings.token_type_embeddings.weight", [types, E]);
  w.layerNorm("embeddings.LayerNorm", E);
  for (let l = 0; l < BASE.num_hidden_layers; l++) w.encoderLayer(`encoder.layer.${l}`, ["query", "key", "value"], H, I);
  writeFileSync(join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tokenizer));
  writeSafetensors(join(dir, "model.safetensors"), w.tensors);
  return dir;
}
